import { createServer, type IncomingHttpHeaders } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecretStore } from '../../../shared/application/integrations/ports';
import { createPartnerPolicy, type PartnerPolicy, type ResilienceOverrides } from '../../../shared/adapters/partners/resilience';

/** A fresh folder for a sandbox's state, removed by `dispose`. */
export async function tempDir(prefix = 'algesta-partners-'): Promise<{ path: string; dispose(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, dispose: () => rm(path, { recursive: true, force: true }) };
}

/** A policy with test-sized delays: short timeout and backoff, a breaker that stays closed unless asked. */
export function fastPolicy(
  partner: string,
  overrides: ResilienceOverrides = {},
  logger?: { warn(msg: string, f?: Record<string, unknown>): void },
): PartnerPolicy {
  return createPartnerPolicy(
    partner,
    {
      // Generous: under a loaded `npm test` a legitimate local call must never time out.
      timeoutMs: 5_000,
      retries: 2,
      maxRetryAfterMs: 3_000,
      ...overrides,
      backoff: { initialDelayMs: 5, maxDelayMs: 20, ...overrides.backoff },
      breaker: { consecutiveFailures: 1_000, halfOpenAfterMs: 60_000, ...overrides.breaker },
    },
    logger,
  );
}

/** Secrets from a map; `set` rotates one. */
export function memorySecrets(values: Record<string, string>): SecretStore & { set(name: string, value: string): void } {
  const map = new Map(Object.entries(values));
  return {
    get: async (name) => {
      const v = map.get(name);
      if (v === undefined) throw new Error(`no secret ${name}`);
      return v;
    },
    set: (name, value) => void map.set(name, value),
  };
}

/** Every log line written, as text: for "no secret in the logs" assertions. */
export function captureLogger(): { lines: string[]; warn(msg: string, fields?: Record<string, unknown>): void } {
  const lines: string[] = [];
  return { lines, warn: (msg, fields) => void lines.push(JSON.stringify({ msg, ...fields })) };
}

export interface ReceivedWebhook {
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: Buffer;
}

/** An HTTP endpoint that records what is posted to it and answers 200: a stand-in for our webhook. */
export async function webhookReceiver(): Promise<{ url: string; received: ReceivedWebhook[]; close(): Promise<void> }> {
  const received: ReceivedWebhook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, rawBody: Buffer.concat(chunks) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/webhooks/docusign`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What was thrown, for assertions on error classes and fields. */
export async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail, and it succeeded');
}
