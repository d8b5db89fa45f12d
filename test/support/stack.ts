import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAlgestaClient, type AlgestaClient, type paths } from '../../client';
import { TOPOLOGY } from '../../shared/adapters/servicebus/topology';
import { silentLogger } from '../../shared/platform/logger';
import type { LocalBus } from '../../local/bus/local-bus';
import { DEMO } from '../../local/seed';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack';
import { PNG, putFile } from './files';

/**
 * The whole local stack in this test process, on a free port and a fresh data folder. Each test
 * file runs in its own process (vitest `forks`), so the environment it sets is its own.
 * `options.retrySchedule` replaces the workflows' retry schedule (docs/local-host.md).
 */
export async function startTestStack(
  env: Record<string, string> = {},
  options: Pick<LocalStackOptions, 'retrySchedule' | 'feedSchedule'> = {},
): Promise<LocalStack & { dataDir: string; dispose(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'algesta-e2e-'));
  // The demo plan is seeded paused: its orders would change what other tests count.
  Object.assign(process.env, { LOG_LEVEL: 'error', DEMO_PLAN: 'paused', ...env });
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
 * The dashboard's typed client (client/) for a bearer token, one per token: the tests call the API's
 * `/api/v1/...` operations the way the dashboard does, so a contract change (a renamed field, action or
 * path) is a type error in the tests (`npm run typecheck`) and not only a failure at run time. Calls
 * that break the contract on purpose (malformed JSON, wrong content types, bodies the schema forbids,
 * unknown actions) and partners' webhooks use `apiClient` below.
 */
export function typedClients(stackUrl: string): (token?: string) => AlgestaClient {
  const byToken = new Map<string | undefined, AlgestaClient>();
  return (token) => {
    let client = byToken.get(token);
    if (!client) byToken.set(token, (client = createAlgestaClient({ baseUrl: stackUrl, ...(token ? { token } : {}) })));
    return client;
  };
}
export type TypedClients = ReturnType<typeof typedClients>;

const ACTIONS_PREFIX = '/api/v1/orders/{orderId}/actions/';
type ActionPath = Extract<keyof paths, `${typeof ACTIONS_PREFIX}${string}`>;
/** Every order action the document lists (`triage`, `select-quote`…): one operation each. */
export type OrderAction = ActionPath extends `${typeof ACTIONS_PREFIX}${infer A}` ? A : never;
type ActionOperation<A extends OrderAction> = paths[`${typeof ACTIONS_PREFIX}${A}`]['post'];
/** The action's typed body (`OrdersAction<Action>Body` in the document). */
export type OrderActionBody<A extends OrderAction> = NonNullable<
  ActionOperation<A>['requestBody']
>['content']['application/json'];
/** The body argument: required where the document requires a body, optional where it may be empty. */
type BodyArg<A extends OrderAction> = undefined extends ActionOperation<A>['requestBody']
  ? [body?: OrderActionBody<A>]
  : [body: OrderActionBody<A>];
/** What an action answers on success: the order after it. */
export type ActionResult<A extends OrderAction> = ActionOperation<A>['responses'][200]['content']['application/json'];
/** The body of any error answer among `responses` (problem details, per the document). */
type ErrorBodies<R> = {
  [S in keyof R]: S extends 200 | 201 | 204 ? never : R[S] extends { content: infer C } ? C[keyof C] : never;
}[keyof R];
export type ActionProblem<A extends OrderAction> = ErrorBodies<ActionOperation<A>['responses']>;

function postAction<A extends OrderAction>(
  client: AlgestaClient,
  orderId: string,
  action: A,
  body: OrderActionBody<A> | undefined,
) {
  // One concrete action's operation stands for all: the public signatures above carry each action's types.
  const path = `${ACTIONS_PREFIX}${action}` as `${typeof ACTIONS_PREFIX}triage`;
  return client.POST(path, { params: { path: { orderId } }, ...(body !== undefined ? { body: body as never } : {}) }) as Promise<
    { data: ActionResult<A>; error?: never; response: Response } | { data?: never; error: ActionProblem<A>; response: Response }
  >;
}

/**
 * An order action through the typed client that must succeed (200): a step of a test's setup that
 * fails loudly, with the problem text, instead of at a later assertion. Returns the order after it.
 */
export function orderActions(as: TypedClients) {
  return async function act<A extends OrderAction>(
    orderId: string,
    action: A,
    token: string,
    ...[body]: BodyArg<A>
  ): Promise<ActionResult<A>> {
    const { data, error, response } = await postAction(as(token), orderId, action, body);
    if (error !== undefined || !data) throw new Error(`${action}: expected 200, got ${response.status} ${JSON.stringify(error)}`);
    return data;
  };
}

/** An order action with a well-formed body that the API must refuse with `status`; returns the problem. */
export function refusedActions(as: TypedClients) {
  return async function refused<A extends OrderAction>(
    orderId: string,
    action: A,
    token: string,
    status: number,
    ...[body]: BodyArg<A>
  ): Promise<ActionProblem<A>> {
    const { error, response } = await postAction(as(token), orderId, action, body);
    if (response.status !== status || error === undefined)
      throw new Error(`${action}: expected ${status}, got ${response.status} ${JSON.stringify(error)}`);
    return error;
  };
}

/**
 * A new order of the demo client with the demo provider's quote selected: the client's approval is
 * all that is left before the contract. `extra` goes into the create body (an `externalRef`, say).
 */
export async function quotedOrder(
  as: TypedClients,
  tokens: Record<'operator' | 'client' | 'provider', string>,
  title: string,
  extra: Partial<CreateOrderBody> = {},
): Promise<string> {
  const act = orderActions(as);
  const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
  const id = (await createOrder(as, tokens.client, { priority: 'P3', title, description: 'x', ...extra })).id;
  await act(id, 'triage', tokens.operator);
  await act(id, 'request-quotes', tokens.operator, { quoteDeadline: inHours(2) });
  const quote = await as(tokens.provider).POST('/api/v1/orders/{orderId}/quotes', {
    params: { path: { orderId: id } },
    body: { amount: { amount: 700_000_00, currency: 'COP' }, leadTimeDays: 1, validUntil: inHours(24 * 30).slice(0, 10) },
  });
  if (!quote.data) throw new Error(`quote: expected 201, got ${quote.response.status} ${JSON.stringify(quote.error)}`);
  await act(id, 'select-quote', tokens.operator, { quoteId: quote.data.id });
  return id;
}
export type CreateOrderBody = NonNullable<paths['/api/v1/orders']['post']['requestBody']>['content']['application/json'];

/** A valid create body for a P2 HVAC order at `siteId`, with `extra` over it. */
export const orderBody = (siteId: string, extra: Partial<CreateOrderBody> = {}): CreateOrderBody => ({
  siteId,
  category: 'hvac',
  priority: 'P2',
  title: 'Aire acondicionado sin enfriar',
  description: 'El equipo del piso 3 no enfría desde ayer.',
  ...extra,
});

/** A new order through the typed client (`extra` into the create body); returns it as created. */
export async function createOrder(as: TypedClients, token: string, extra: Partial<CreateOrderBody> = {}) {
  const { data, error, response } = await as(token).POST('/api/v1/orders', {
    body: { siteId: DEMO.siteIds[0]!, category: 'hvac', priority: 'P3', title: 'Aire', description: 'No enfría', ...extra },
  });
  if (!data) throw new Error(`create: expected 201, got ${response.status} ${JSON.stringify(error)}`);
  return data;
}

/** An order as `token` reads it (`GET /api/v1/orders/{orderId}`); fails unless 200. */
export async function readOrder(as: TypedClients, token: string, orderId: string) {
  const { data, error, response } = await as(token).GET('/api/v1/orders/{orderId}', { params: { path: { orderId } } });
  if (!data) throw new Error(`read ${orderId}: expected 200, got ${response.status} ${JSON.stringify(error)}`);
  return data;
}

/** Announces, uploads (to Azurite, through the SAS URL) and confirms a file of an order; returns its id. */
export async function storedAttachment(
  as: TypedClients,
  token: string,
  orderId: string,
  file: { kind?: 'photo' | 'evidence' | 'invoice' | 'other'; bytes?: Buffer; contentType?: string; fileName?: string } = {},
): Promise<string> {
  const { kind = 'photo', bytes = PNG, contentType = 'image/png' } = file;
  const fileName = file.fileName ?? `file.${contentType.split('/')[1]}`;
  const announced = await as(token).POST('/api/v1/orders/{orderId}/attachments', {
    params: { path: { orderId } },
    body: { kind, fileName, contentType, size: bytes.length },
  });
  if (!announced.data) throw new Error(`announce: got ${announced.response.status} ${JSON.stringify(announced.error)}`);
  const uploaded = await putFile(announced.data.upload, bytes);
  if (uploaded !== 201) throw new Error(`upload: got ${uploaded}`);
  const attachmentId = announced.data.attachment.id;
  const confirmed = await as(token).POST('/api/v1/orders/{orderId}/attachments/{attachmentId}/confirm', {
    params: { path: { orderId, attachmentId } },
  });
  if (confirmed.data?.status !== 'STORED')
    throw new Error(`confirm: got ${confirmed.response.status} ${JSON.stringify(confirmed.error)}`);
  return attachmentId;
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

/**
 * A small untyped HTTP client for what the typed client must not or cannot say: requests that break
 * the contract on purpose (malformed JSON, other content types, oversized or invalid bodies, unknown
 * routes), partners' webhooks with their signatures, and the health probes. Real requests over the
 * loopback interface.
 */
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
