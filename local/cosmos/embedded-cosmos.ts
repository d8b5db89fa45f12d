import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError, OWN_HANDLERS, parseContinuation, type HandlerContext, type Reply } from './handlers';
import { Journal } from './journal';
import { CosmosStore, vercel, type Change } from './store';
import { Engine } from './transactions';

/**
 * An embedded, durable Cosmos DB for local runs and tests, spoken to with the real `@azure/cosmos`
 * SDK over plain HTTP (the SDK accepts `http://` endpoints; see shared/adapters/cosmos/client.ts).
 *
 * `@vercel/cosmosdb-server` provides the data model and the query engine (its Account and router);
 * this module provides the HTTP server, and `handlers.ts` the handlers of every mutation, batch,
 * point read and query, so that:
 * - every acknowledged change is journaled and fdatasync'ed BEFORE its answer leaves (journal.ts);
 * - transactional batches are atomic (transactions.ts);
 * - documents expire by TTL: invisible to reads at once, deleted (and journaled) by the next write
 *   to their container or by the sweeper within a second;
 * - connections are kept alive (vercel's server answers `Connection: close` by default).
 * See docs/embedded-cosmos.md.
 */
export interface EmbeddedCosmos {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** The account key to give the SDK. Not checked by the server. */
  readonly key: string;
  /** Stops accepting, lets in-flight requests finish, closes the connections and the journal. Idempotent. */
  close(): Promise<void>;
}

export interface EmbeddedCosmosOptions {
  /** Where the journal and snapshot live (created if missing). */
  readonly dataDir: string;
  /** 0 (default): a free port chosen by the OS. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
}

/** The public, well-known Cosmos DB emulator key (not a secret). */
export const EMULATOR_KEY = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

const SWEEP_INTERVAL_MS = 1000;
/** Longer than the client's idle time, so the server rarely closes a socket the client is reusing. */
const KEEP_ALIVE_TIMEOUT_MS = 30_000;
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const CLOSE_GRACE_MS = 10_000;
const QUERY_METRICS =
  'totalExecutionTimeInMs=0.00;queryCompileTimeInMs=0.00;queryLogicalPlanBuildTimeInMs=0.00;queryPhysicalPlanBuildTimeInMs=0.00;queryOptimizationTimeInMs=0.00;VMExecutionTimeInMs=0.00;indexLookupTimeInMs=0.00;documentLoadTimeInMs=0.00;systemFunctionExecuteTimeInMs=0.00;userFunctionExecuteTimeInMs=0.00;retrievedDocumentCount=0;retrievedDocumentSize=0;outputDocumentCount=1;outputDocumentSize=0;writeOutputTimeInMs=0.00;indexUtilizationRatio=0.00';

export async function startEmbeddedCosmos(opts: EmbeddedCosmosOptions): Promise<EmbeddedCosmos> {
  const store = new CosmosStore();
  const journal = await Journal.open<Change>({
    dir: opts.dataDir,
    apply: (change) => store.apply(change),
    snapshot: () => store.records(),
  });
  const engine = new Engine(store, journal);
  const requests = new InFlight();
  let closing = false;

  const server = createServer({ keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS }, (req, res) => {
    requests.track(serve(engine, req, res, () => closing));
  });
  try {
    await listen(server, opts.port ?? 0, opts.host ?? '127.0.0.1');
  } catch (err) {
    await journal.close();
    throw err;
  }
  const endpoint = `http://${urlHost(server.address() as AddressInfo)}`;
  store.setEndpoint(endpoint);
  const sweeper = setInterval(() => sweep(engine), SWEEP_INTERVAL_MS);
  // The sweeper must never keep a process alive that is otherwise done.
  sweeper.unref();

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      closing = true;
      clearInterval(sweeper);
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // In-flight requests finish; one still waiting for its body after the grace period (a
      // stalled client) loses its socket, which ends it.
      await Promise.race([requests.drained(), delay(CLOSE_GRACE_MS)]);
      // Answers sent while closing said `Connection: close`; whatever is left is idle or stalled.
      server.closeAllConnections();
      await requests.drained();
      await stopped;
      await journal.close();
    })());
  return { endpoint, key: EMULATOR_KEY, close };
}

/** A timer callback must not throw (that would end the process); a failed sweep is retried next tick. */
function sweep(engine: Engine): void {
  try {
    engine.sweepExpired();
  } catch (err) {
    console.error('embedded Cosmos DB: TTL sweep failed', err);
  }
}

function delay(ms: number): Promise<void> {
  // Unref'd: a pending grace timer must not keep a process alive.
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function urlHost(address: AddressInfo): string {
  const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '[::1]' : address.address;
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${address.port}`;
}

/** Counts requests being served, so that `close()` can wait for them. */
class InFlight {
  private count = 0;
  private idle: (() => void)[] = [];

  track(request: Promise<void>): void {
    this.count++;
    void request.finally(() => {
      this.count--;
      if (this.count === 0) for (const resolve of this.idle.splice(0)) resolve();
    });
  }

  drained(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }
}

/** One request: route, handle, wait until what it did or saw is durable, answer. Never throws. */
async function serve(engine: Engine, req: IncomingMessage, res: ServerResponse, isClosing: () => boolean): Promise<void> {
  let body: unknown;
  try {
    body = await dispatch(engine, req, res, isClosing);
  } catch (err) {
    body = answerError(engine, res, err);
  }
  try {
    // Nothing leaves before everything it may reflect is on disk: its own change, and any change
    // it read that another request applied but whose fsync is still running (group commit).
    await engine.journal.waitDurable(engine.journal.lastLsn);
  } catch (err) {
    body = answerError(engine, res, err);
  }
  try {
    send(req, res, body, isClosing());
  } catch (err) {
    // The client went away or the answer could not be encoded: nothing more to do for it.
    res.destroy(err instanceof Error ? err : undefined);
  }
}

async function dispatch(engine: Engine, req: IncomingMessage, res: ServerResponse, isClosing: () => boolean): Promise<unknown> {
  if (engine.journal.failure) throw engine.journal.failure;
  // A request that arrives on a kept-alive connection after close() began: the journal may be gone.
  if (isClosing()) throw new HttpError(503, 'ServiceUnavailable', 'the embedded Cosmos DB is shutting down');
  const route = vercel.route(req);
  if (!route) throw new HttpError(400, 'BadRequest', 'no route');
  const [params, handler] = route;
  // Before any handler: vercel's list handlers would restart at the beginning on a bad token.
  parseContinuation(headerValue(req, 'x-ms-continuation'));
  const own = OWN_HANDLERS.get(handler);
  if (!own) return handler(engine.store.account, req, res, params);
  const ctx: HandlerContext = { req, params, engine, store: engine.store, readBody: () => readJson(req) };
  const reply: Reply = await own(ctx);
  res.statusCode = reply.status;
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  return reply.body;
}

/** Sets the status for a failure and returns its Cosmos-style body. */
function answerError(engine: Engine, res: ServerResponse, err: unknown): unknown {
  const e = err as { badRequest?: boolean; conflict?: boolean; message?: string };
  const [status, code] =
    err instanceof HttpError
      ? [err.status, err.code]
      : engine.journal.failure
        ? [503, 'ServiceUnavailable']
        : e?.badRequest || err instanceof SyntaxError
          ? [400, 'BadRequest']
          : e?.conflict
            ? [409, 'Conflict']
            : [500, 'InternalServerError'];
  if (status === 500) console.error('embedded Cosmos DB: request failed', err);
  res.statusCode = status;
  return { code, message: e?.message ?? String(err) };
}

/** Headers as vercel's `generateRequestHandler` sets them, but keep-alive (unless closing). */
function send(req: IncomingMessage, res: ServerResponse, body: unknown, closing: boolean): void {
  const payload = res.statusCode > 399 && isRecord(body) && body.message === undefined ? { ...body, message: '' } : body;
  if (isRecord(payload) && typeof payload._etag === 'string') res.setHeader('etag', payload._etag);
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-location', `http://${req.headers.host ?? ''}${req.url ?? ''}`);
  res.setHeader('connection', closing ? 'close' : 'keep-alive');
  res.setHeader('x-ms-activity-id', randomUUID());
  res.setHeader('x-ms-request-charge', '1');
  if (req.headers['x-ms-documentdb-populatequerymetrics']) res.setHeader('x-ms-documentdb-query-metrics', QUERY_METRICS);
  // Change-feed requests (A-IM: Incremental feed): vercel's convention, kept as is.
  if (req.headers['a-im'] && res.statusCode === 200) {
    if (req.headers['if-none-match']) res.statusCode = 304;
    res.setHeader('etag', '1');
  }
  res.end(payload === undefined || res.statusCode === 204 || res.statusCode === 304 ? undefined : JSON.stringify(payload));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) throw new HttpError(413, 'RequestEntityTooLarge', `request body over ${MAX_BODY_BYTES} bytes`);
      chunks.push(chunk);
    }
  } catch (err) {
    // The client went away mid-body: its problem, not a server failure worth logging.
    if (err instanceof HttpError) throw err;
    throw new HttpError(400, 'BadRequest', 'the request body was not received completely');
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'BadRequest', 'the request body is not valid JSON');
  }
}
