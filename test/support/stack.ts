import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOPOLOGY } from '../../shared/adapters/servicebus/topology';
import { silentLogger } from '../../shared/platform/logger';
import type { LocalBus } from '../../local/bus/local-bus';
import { DEMO } from '../../local/seed';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack';

/**
 * The whole local stack in this test process, on a free port and a fresh data folder. Each test
 * file runs in its own process (vitest `forks`), so the environment it sets is its own.
 * `options.retrySchedule` replaces the workflows' retry schedule (docs/local-host.md).
 */
export async function startTestStack(
  env: Record<string, string> = {},
  options: Pick<LocalStackOptions, 'retrySchedule'> = {},
): Promise<LocalStack & { dataDir: string; dispose(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'algesta-e2e-'));
  Object.assign(process.env, { LOG_LEVEL: 'error', ...env });
  const stack = await startLocalStack({ dataDir, port: 0, logger: silentLogger, ...options });
  return {
    ...stack,
    dataDir,
    dispose: async () => {
      await stack.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * `POST /orders/{id}/actions/{action}` that must answer `expected` (200 by default): a step of a test's
 * setup that fails loudly, with the problem text, instead of at a later assertion.
 */
export function orderActions(api: ReturnType<typeof apiClient>) {
  return async function act(orderId: string, action: string, token: string, body?: unknown, expected = 200) {
    const r = await api('POST', `/v1/orders/${orderId}/actions/${action}`, { token, ...(body !== undefined ? { body } : {}) });
    if (r.status !== expected) throw new Error(`${action}: expected ${expected}, got ${r.status} ${r.text}`);
    return r;
  };
}

/**
 * A new order of the demo client with the demo provider's quote selected: the client's approval is
 * all that is left before the contract. `extra` goes into the create body (an `externalRef`, say).
 */
export async function quotedOrder(
  api: ReturnType<typeof apiClient>,
  tokens: Record<'operator' | 'client' | 'provider', string>,
  title: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const act = orderActions(api);
  const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
  const r = await api('POST', '/v1/orders', {
    token: tokens.client,
    body: { siteId: DEMO.siteIds[0], category: 'hvac', priority: 'P3', title, description: 'x', ...extra },
  });
  if (r.status !== 201) throw new Error(`create: expected 201, got ${r.status} ${r.text}`);
  const id = r.body.id as string;
  await act(id, 'triage', tokens.operator);
  await act(id, 'request-quotes', tokens.operator, { quoteDeadline: inHours(2) });
  const quote = await api('POST', `/v1/orders/${id}/quotes`, {
    token: tokens.provider,
    body: { amount: { amount: 700_000_00, currency: 'COP' }, leadTimeDays: 1, validUntil: inHours(24 * 30).slice(0, 10) },
  });
  await act(id, 'select-quote', tokens.operator, { quoteId: quote.body.id });
  return id;
}

/** Every dead-lettered message of a local bus, with its subscription (none expected after a test). */
export async function allDeadLetters(bus: LocalBus): Promise<{ subscription: string; messageId: string; description: string }[]> {
  const found: { subscription: string; messageId: string; description: string }[] = [];
  for (const { name } of TOPOLOGY.subscriptions) {
    for (const m of await bus.deadLetters(name))
      found.push({ subscription: name, messageId: m.messageId, description: m.description });
  }
  return found;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A small HTTP client for the tests: real requests over the loopback interface. */
export function apiClient(baseUrl: string) {
  return async function call<T = any>(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; rawBody?: string | Uint8Array; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | Uint8Array | undefined;
    if (opts.rawBody !== undefined) body = opts.rawBody;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(baseUrl + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  };
}

/** Polls until the probe returns a value (workflows run asynchronously behind the API). */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
