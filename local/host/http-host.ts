/**
 * The HTTP side of the Azure Functions host, for running the app on this machine: routes requests
 * to the app's `httpTrigger` registrations (taken from the `@azure/functions-core` shim, never from
 * a list of our own) in the host's order, hands each request to the worker's invocation path
 * (local/worker/invoke.ts) as the RPC data the host sends, and writes the HTTP response the
 * programming model returned in the RPC response. Other trigger types belong to other parts of the
 * local runtime and are ignored here.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { format } from 'node:util';
import { currentFunctionsCore, readOnly, type FunctionsCoreShim, type Registration } from '../functions-core';
import { ALL_HTTP_METHODS, createRouteTable, type RouteOrder, type RouteTable } from '../../shared/platform/http/routes';
import { invocationRequest, invokeAsWorker, withHostSpan } from '../worker/invoke';
import type { RpcHttpCookie, RpcHttpData, RpcInvocationRequest, RpcInvocationResponse, RpcTypedData } from '../worker/rpc';
import { readRoutePrefix } from './route-prefix';

export interface HttpHostOptions {
  readonly registrations: readonly Registration[];
  /** Default 7071, the Functions host's; 0 picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default: host.json `extensions.http.routePrefix` of the working directory, else `api`. */
  readonly routePrefix?: string;
  /**
   * The order routes are tried in. Default `function-name`, the Azure host's rule (function name,
   * ordinal ignoring case, first match: shared/platform/http/routes.ts cites the host's source);
   * `precedence` is ASP.NET Core's, for checking the app under both.
   */
  readonly routeOrder?: RouteOrder;
  /** Every line the host writes: invocations, the functions' own logs, failures. Default: stdout. */
  readonly log?: (line: string) => void;
  /** Larger request bodies get 413. Default 100 MiB, the host's `maxRequestBodySize`. */
  readonly maxBodyBytes?: number;
  /** Where the invocation hooks come from. Default: the installed shim (none installed: no hooks). */
  readonly core?: FunctionsCoreShim;
  /**
   * Local tooling served by this host ahead of the Functions routing (the console, local/console/):
   * it answers `true` when it took the request. Azure's host has nothing of the kind.
   */
  readonly localRoutes?: LocalRoutes;
}

export type LocalRoutes = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface HttpRouteInfo {
  readonly name: string;
  /** The template as registered (the function name when it has none). */
  readonly route: string;
  readonly methods: readonly string[];
}

export interface HttpHost {
  /** `http://host:port`, without the route prefix. */
  readonly url: string;
  readonly port: number;
  /** The HTTP functions served, in registration order. */
  readonly routes: readonly HttpRouteInfo[];
  /** Stops accepting requests, waits for those in flight, then runs the appTerminate hooks. */
  close(): Promise<void>;
}

const DEFAULT_PORT = 7071;
const DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024;
/** Hop-by-hop headers a function cannot set; the list `@azure/functions` applies when it streams. */
const BLOCKED_RESPONSE_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
]);

interface HostContext {
  readonly table: RouteTable<Registration>;
  readonly core: FunctionsCoreShim | undefined;
  readonly log: (line: string) => void;
  readonly maxBodyBytes: number;
  readonly origin: string;
  readonly localRoutes: LocalRoutes | undefined;
  stopping: boolean;
}

export async function startHttpHost(opts: HttpHostOptions): Promise<HttpHost> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const routePrefix = opts.routePrefix ?? readRoutePrefix(undefined, log);
  const registrations = opts.registrations.filter(isHttpRegistration);
  if (registrations.length === 0) {
    // The usual cause: the library asked for its core API before the shim existed and cached "none".
    log('No HTTP functions are registered. Was installFunctionsCore() called before the app was imported?');
  }
  const table = createRouteTable(
    registrations.map((r) => ({ name: r.name, route: routeOf(r), methods: methodsOf(r), target: r })),
    { routePrefix, order: opts.routeOrder ?? 'function-name', warn: log },
  );
  const server = createServer({ keepAlive: true });
  const address = await listen(server, opts.port ?? DEFAULT_PORT, opts.host ?? '127.0.0.1');
  const url = `http://${formatHost(address)}:${address.port}`;
  const ctx: HostContext = {
    table,
    core: opts.core ?? currentFunctionsCore(),
    log,
    maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    origin: url,
    localRoutes: opts.localRoutes,
    stopping: false,
  };
  const inFlight = trackRequests(server, ctx);
  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    routes: registrations.map((r) => ({ name: r.name, route: routeOf(r) ?? r.name, methods: methodsOf(r) ?? ALL_HTTP_METHODS })),
    close: () => (closing ??= closeHost(server, ctx, inFlight)),
  };
}

/**
 * The appStart hooks, as the worker runs them once the app's entry is loaded. Call it after importing
 * the entry and before serving.
 */
export async function runAppStartHooks(opts: { functionAppDirectory?: string; core?: FunctionsCoreShim } = {}): Promise<void> {
  const core = opts.core ?? currentFunctionsCore();
  if (!core) return;
  const context = Object.defineProperties(
    { functionAppDirectory: opts.functionAppDirectory ?? process.cwd() },
    appHookDataProperties(core),
  );
  await core.runHooks('appStart', context);
}

/** The appTerminate hooks; `close()` runs them, this is for a caller that stops without a host. */
export async function runAppTerminateHooks(opts: { core?: FunctionsCoreShim } = {}): Promise<void> {
  const core = opts.core ?? currentFunctionsCore();
  if (!core) return;
  await core.runHooks('appTerminate', Object.defineProperties({}, appHookDataProperties(core)));
}

function appHookDataProperties(core: FunctionsCoreShim): PropertyDescriptorMap {
  return { hookData: readOnly('hookData', core.appLevelOnlyHookData), appHookData: readOnly('appHookData', core.appHookData) };
}

// ---------------------------------------------------------------------------------------------
// Server lifecycle
// ---------------------------------------------------------------------------------------------

function isHttpRegistration(r: Registration): boolean {
  return r.trigger.type.toLowerCase() === 'httptrigger';
}

function routeOf(r: Registration): string | undefined {
  return typeof r.trigger.route === 'string' ? r.trigger.route : undefined;
}

function methodsOf(r: Registration): readonly string[] | undefined {
  const methods = r.trigger.methods;
  return Array.isArray(methods) && methods.length > 0 ? methods.map((m) => String(m).toUpperCase()) : undefined;
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function formatHost(address: AddressInfo): string {
  if (address.address === '0.0.0.0') return '127.0.0.1';
  if (address.address === '::') return '[::1]';
  return address.family === 'IPv6' ? `[${address.address}]` : address.address;
}

function trackRequests(server: Server, ctx: HostContext): Set<Promise<void>> {
  const inFlight = new Set<Promise<void>>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const done: Promise<void> = serveRequest(req, res, ctx)
      .catch((err: unknown) => failRequest(res, ctx, err))
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  });
  return inFlight;
}

async function closeHost(server: Server, ctx: HostContext, inFlight: Set<Promise<void>>): Promise<void> {
  ctx.stopping = true;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive sockets that go idle once their last response is out would hold `close` open forever.
  const sweep = setInterval(() => server.closeIdleConnections(), 25);
  server.closeIdleConnections();
  try {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    await closed;
  } finally {
    clearInterval(sweep);
  }
  if (ctx.core) await runAppTerminateHooks({ core: ctx.core });
}

/** Anything that escaped the request pipeline: answer 500 if we still can, else drop the socket. */
function failRequest(res: ServerResponse, ctx: HostContext, err: unknown): void {
  ctx.log(`Request failed: ${describeError(err)}`);
  if (!res.headersSent) sendEmpty(res, ctx, 500);
  else res.destroy();
}

// ---------------------------------------------------------------------------------------------
// One request
// ---------------------------------------------------------------------------------------------

async function serveRequest(req: IncomingMessage, res: ServerResponse, ctx: HostContext): Promise<void> {
  if (ctx.localRoutes && (await ctx.localRoutes(req, res))) return;
  const method = (req.method ?? 'GET').toUpperCase();
  const url = requestUrl(req, ctx.origin);
  const match = ctx.table.match(method, url.pathname);
  if (!match) return sendEmpty(res, ctx, 404);
  const body = await readBody(req, ctx.maxBodyBytes);
  if (body === 'too-large') return sendEmpty(res, ctx, 413, true);
  const registration = match.route.target;
  const traceparent = firstHeader(req.headers.traceparent);
  const tracestate = joinedHeader(req.headers.tracestate);
  const hostSpan = {
    name: registration.name,
    kind: 'http' as const,
    ...(traceparent ? { traceparent } : {}),
    ...(tracestate ? { tracestate } : {}),
    attributes: { 'http.request.method': method, 'http.route': match.route.template, 'url.path': url.pathname },
  };
  await withHostSpan(hostSpan, async (traceContext) => {
    const request = invocationRequest(registration, {
      trigger: { http: rpcHttpRequest(req, method, url, match.params, body) },
      traceContext,
    });
    const response = await invokeWithLogging(registration, request, ctx);
    if (response === 'failed') return sendEmpty(res, ctx, 500);
    sendRpcResponse(res, ctx, method, response.returnValue?.http);
  });
}

/**
 * The request as the host hands it to the worker (azure-functions-host,
 * src/WebJobs.Script.Grpc/MessageExtensions/RpcMessageConversionExtensions.cs, `ToRpcHttp`): header
 * names lower-cased with repeated values joined by ",", query keys with a non-empty value only,
 * route values, and — with the worker's `RawHttpBodyBytes` and `RpcHttpBodyOnly` capabilities
 * (azure-functions-nodejs-worker, src/eventHandlers/getWorkerCapabilities.ts) — the body as raw bytes.
 * The library builds its `HttpRequest` from this (`fromRpcTypedData` → `new HttpRequest(rpcHttp)`).
 */
function rpcHttpRequest(
  req: IncomingMessage,
  method: string,
  url: URL,
  params: Record<string, string>,
  body: Uint8Array,
): RpcHttpData {
  return {
    method,
    url: url.href,
    headers: requestHeaders(req),
    query: queryValues(url.searchParams),
    params,
    ...(body.length > 0 ? { body: { bytes: body } } : {}),
    identities: [],
  };
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function joinedHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** The URL the function sees: scheme, Host header, raw path and query, as the host builds it. */
function requestUrl(req: IncomingMessage, origin: string): URL {
  const raw = req.url ?? '/';
  if (/^https?:\/\//i.test(raw)) return new URL(raw);
  // Concatenated, not resolved: a path starting with `//` is a path here, not a host.
  try {
    return new URL(`http://${req.headers.host ?? new URL(origin).host}${raw}`);
  } catch {
    return new URL(`${origin}${raw}`);
  }
}

const NO_BODY = new Uint8Array(0);

/** The raw bytes, binary-safe; `too-large` past the limit (announced or actual). */
async function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | 'too-large'> {
  const declared = req.headers['content-length'];
  // RFC 9112 §6.3: a request with neither Content-Length nor Transfer-Encoding has no body, so a
  // GET skips the stream iteration (Node discards the empty message when the response ends).
  if ((declared === undefined || declared === '0') && req.headers['transfer-encoding'] === undefined) return NO_BODY;
  if (Number(declared ?? 0) > limit) return 'too-large';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return 'too-large';
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** Lower-case names, repeated headers joined with "," (what the host sends the worker). */
function requestHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (values) headers[name] = values.join(',');
  }
  return headers;
}

/** Like the host, a repeated key arrives once with its values joined by ","; an empty value not at all. */
function queryValues(search: URLSearchParams): Record<string, string> {
  const query: Record<string, string> = {};
  for (const key of new Set(search.keys())) {
    const value = search.getAll(key).join(',');
    if (value !== '') query[key] = value;
  }
  return query;
}

// ---------------------------------------------------------------------------------------------
// Invocation, as the worker does it (local/worker/invoke.ts)
// ---------------------------------------------------------------------------------------------

async function invokeWithLogging(
  registration: Registration,
  request: RpcInvocationRequest,
  ctx: HostContext,
): Promise<RpcInvocationResponse | 'failed'> {
  const invocationId = request.invocationId;
  const started = performance.now();
  const elapsed = () => `${Math.round(performance.now() - started)}ms`;
  ctx.log(
    `Executing 'Functions.${registration.name}' (Reason='This function was programmatically called via the host APIs.', Id=${invocationId})`,
  );
  try {
    if (!ctx.core) throw new Error('No @azure/functions-core shim is installed: nothing can invoke the function.');
    const response = await invokeAsWorker(registration, request, {
      core: ctx.core,
      log: (entry) => ctx.log(`[${entry.level}] ${registration.name}: ${entry.message}`),
    });
    ctx.log(`Executed 'Functions.${registration.name}' (Succeeded, Id=${invocationId}, Duration=${elapsed()})`);
    return response;
  } catch (err) {
    ctx.log(`Executed 'Functions.${registration.name}' (Failed, Id=${invocationId}, Duration=${elapsed()})`);
    ctx.log(`Function '${registration.name}' failed (Id=${invocationId}): ${describeError(err)}`);
    return 'failed';
  }
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

function sendEmpty(res: ServerResponse, ctx: HostContext, status: number, closeConnection = false): void {
  res.statusCode = status;
  res.setHeader('content-length', '0');
  if (closeConnection || ctx.stopping) res.setHeader('connection', 'close');
  res.end();
}

/**
 * Writes the HTTP response the programming model put in the RPC response (`toRpcHttp`: status as a
 * string, headers, cookies, the whole body as bytes). Nothing returned is 200 with no body. The body
 * is complete before anything is sent, as with the real host when HTTP streaming is off.
 */
function sendRpcResponse(res: ServerResponse, ctx: HostContext, method: string, http: RpcHttpData | null | undefined): void {
  if (!http) return sendEmpty(res, ctx, 200);
  res.statusCode = Number(http.statusCode ?? 200);
  for (const [name, value] of Object.entries(http.headers ?? {})) {
    const lower = name.toLowerCase();
    if (!BLOCKED_RESPONSE_HEADERS.has(lower)) res.setHeader(lower, value);
  }
  const cookies = (http.cookies ?? []).map(serializeRpcCookie);
  if (cookies.length > 0) {
    const existing = res.getHeader('set-cookie');
    res.setHeader('set-cookie', [...(existing === undefined ? [] : [existing].flat().map(String)), ...cookies]);
  }
  if (ctx.stopping) res.setHeader('connection', 'close');
  const bytes = bodyBytes(http.body);
  res.setHeader('content-length', String(bytes.length));
  res.end(method === 'HEAD' ? undefined : bytes);
}

function bodyBytes(body: RpcTypedData | null | undefined): Buffer {
  if (!body) return Buffer.alloc(0);
  if (body.bytes) return Buffer.from(body.bytes.buffer, body.bytes.byteOffset, body.bytes.byteLength);
  if (typeof body.string === 'string') return Buffer.from(body.string, 'utf8');
  if (typeof body.json === 'string') return Buffer.from(body.json, 'utf8');
  return Buffer.alloc(0);
}

const SAME_SITE: Record<string, string | undefined> = { lax: 'Lax', strict: 'Strict', explicitNone: 'None' };

/** `Set-Cookie` for an `RpcHttpCookie` (the library's `toRpcHttpCookie`), attributes as the host writes them. */
export function serializeRpcCookie(cookie: RpcHttpCookie): string {
  const parts = [`${cookie.name ?? ''}=${encodeURIComponent(cookie.value ?? '')}`];
  if (cookie.maxAge?.value !== undefined && cookie.maxAge.value !== null)
    parts.push(`Max-Age=${Math.floor(cookie.maxAge.value)}`);
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  const seconds = cookie.expires?.value?.seconds;
  if (typeof seconds === 'number') parts.push(`Expires=${new Date(seconds * 1000).toUTCString()}`);
  if (cookie.httpOnly?.value) parts.push('HttpOnly');
  if (cookie.secure?.value) parts.push('Secure');
  const sameSite = SAME_SITE[String(cookie.sameSite)];
  if (sameSite) parts.push(`SameSite=${sameSite}`);
  return parts.join('; ');
}

function describeError(err: unknown): string {
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : format(err);
}
