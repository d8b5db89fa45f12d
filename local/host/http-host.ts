/**
 * The HTTP side of the Azure Functions host, for running the app on this machine: routes requests
 * to the app's `httpTrigger` registrations (taken from the `@azure/functions-core` shim, never from
 * a list of our own), invokes them with the library's own `HttpRequest` / `InvocationContext` and
 * the worker's hook sequence, and writes their `HttpResponse` back. Other trigger types belong to
 * other parts of the local runtime and are ignored here.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { format } from 'node:util';
import * as azureFunctions from '@azure/functions';
import type {
  Cookie,
  EffectiveFunctionOptions,
  FunctionInput,
  FunctionOutput,
  FunctionTrigger,
  HttpRequest,
  HttpResponse,
  HttpResponseInit,
  InvocationContext,
  TraceContext,
} from '@azure/functions';
import { currentFunctionsCore, readOnly, type CoreLogLevel, type FunctionsCoreShim, type Registration } from '../functions-core';
import {
  ALL_HTTP_METHODS,
  createRouteTable,
  type RouteMatch,
  type RouteOrder,
  type RouteTable,
} from '../../shared/platform/http/routes';
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
}

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

/**
 * The library's classes. Node's ESM loader finds only some of the webpack bundle's named exports
 * (not these), so under plain Node/tsx they are read from the CommonJS exports object (`default`).
 */
const library = ((azureFunctions as { default?: typeof azureFunctions }).default ?? azureFunctions) as typeof azureFunctions;

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
  const method = (req.method ?? 'GET').toUpperCase();
  const url = requestUrl(req, ctx.origin);
  const match = ctx.table.match(method, url.pathname);
  if (!match) return sendEmpty(res, ctx, 404);
  const body = await readBody(req, ctx.maxBodyBytes);
  if (body === 'too-large') return sendEmpty(res, ctx, 413, true);
  const request = new library.HttpRequest({
    method,
    url: url.href,
    headers: requestHeaders(req),
    query: queryValues(url.searchParams),
    params: match.params,
    body: body.length > 0 ? { bytes: body } : undefined,
  });
  const result = await invokeWithLogging(match, request, traceContextOf(req), ctx);
  if (result.failed) return sendEmpty(res, ctx, 500);
  await sendResponse(res, ctx, method, result.value);
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

/** The raw bytes, binary-safe; `too-large` past the limit (announced or actual). */
async function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | 'too-large'> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return 'too-large';
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

/** Like the host, a repeated key arrives once with its values joined by ",". */
function queryValues(search: URLSearchParams): Record<string, string> {
  const query: Record<string, string> = {};
  for (const key of new Set(search.keys())) query[key] = search.getAll(key).join(',');
  return query;
}

/**
 * 32 random hex digits (less a UUID's version and variant bits). randomUUID draws on a cached
 * entropy pool; two randomBytes calls per request cost ≈ 2 % of a point read's CPU.
 */
const randomHex = () => randomUUID().replaceAll('-', '');

/** Continues the caller's W3C trace when it sent one, with a new span for the invocation. */
function traceContextOf(req: IncomingMessage): TraceContext {
  const incoming = /^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/.exec(String(req.headers.traceparent ?? ''));
  const traceId = incoming?.[1] ?? randomHex();
  const flags = incoming?.[2] ?? '00';
  const traceState = req.headers.tracestate;
  return {
    traceParent: `00-${traceId}-${randomHex().slice(16)}-${flags}`,
    traceState: Array.isArray(traceState) ? traceState.join(',') : (traceState ?? ''),
    attributes: {},
  };
}

// ---------------------------------------------------------------------------------------------
// Invocation, as the worker does it
// ---------------------------------------------------------------------------------------------

type InvocationResult = { failed: false; value: unknown } | { failed: true };

async function invokeWithLogging(
  match: RouteMatch<Registration>,
  request: HttpRequest,
  traceContext: TraceContext,
  ctx: HostContext,
): Promise<InvocationResult> {
  const registration = match.route.target;
  const invocationId = randomUUID();
  const started = performance.now();
  const elapsed = () => `${Math.round(performance.now() - started)}ms`;
  ctx.log(
    `Executing 'Functions.${registration.name}' (Reason='This function was programmatically called via the host APIs.', Id=${invocationId})`,
  );
  try {
    const value = await invoke(registration, request, invocationId, traceContext, ctx);
    ctx.log(`Executed 'Functions.${registration.name}' (Succeeded, Id=${invocationId}, Duration=${elapsed()})`);
    return { failed: false, value };
  } catch (err) {
    ctx.log(`Executed 'Functions.${registration.name}' (Failed, Id=${invocationId}, Duration=${elapsed()})`);
    ctx.log(`Function '${registration.name}' failed (Id=${invocationId}): ${describeError(err)}`);
    return { failed: true };
  }
}

type InvocationPhase = 'preInvocationHooks' | 'invocation' | 'postInvocationHooks' | undefined;

/**
 * The worker's sequence: preInvocation hooks (which may replace the inputs and the handler), the
 * handler, postInvocation hooks (which see and may replace the result or the error), then the error
 * if one is left.
 */
async function invoke(
  registration: Registration,
  request: HttpRequest,
  invocationId: string,
  traceContext: TraceContext,
  ctx: HostContext,
): Promise<unknown> {
  const hookData: Record<string, unknown> = {};
  let phase: InvocationPhase;
  let done = false;
  const context: InvocationContext = new library.InvocationContext({
    invocationId,
    functionName: registration.name,
    traceContext,
    options: effectiveOptions(registration),
    // The library leaves `triggerMetadata` undefined for HTTP triggers (the request carries it all).
    logHandler: (level, ...args) => {
      if (done && phase !== 'postInvocationHooks') {
        const warning = `Warning: Unexpected call to 'log' on the context object after function execution has completed. Please check for asynchronous calls that are not awaited. Function name: ${registration.name}. Invocation Id: ${invocationId}.`;
        writeInvocationLog(ctx, registration.name, { level: 'warning', category: 'system', message: warning }, hookData, context);
      }
      writeInvocationLog(ctx, registration.name, { level, category: 'user', message: format(...args) }, hookData, context);
    },
  });
  const scope = invocationHookScope(ctx.core, hookData, context);

  const pre = Object.defineProperties({ inputs: [request] as unknown[], functionCallback: registration.handler }, scope);
  phase = 'preInvocationHooks';
  await ctx.core?.runHooks('preInvocation', pre);

  const post = Object.defineProperties({ inputs: pre.inputs, result: null as unknown, error: null as unknown }, scope);
  phase = 'invocation';
  try {
    post.result = await pre.functionCallback(...pre.inputs, context);
  } catch (err) {
    post.error = err;
  } finally {
    done = true;
  }
  phase = 'postInvocationHooks';
  try {
    await ctx.core?.runHooks('postInvocation', post);
  } finally {
    phase = undefined;
  }
  if (post.error !== null && post.error !== undefined) throw post.error;
  return post.result;
}

function invocationHookScope(
  core: FunctionsCoreShim | undefined,
  hookData: Record<string, unknown>,
  context: InvocationContext,
): PropertyDescriptorMap {
  return {
    hookData: readOnly('hookData', hookData),
    appHookData: readOnly('appHookData', core?.appHookData ?? {}),
    invocationContext: readOnly('invocationContext', context),
  };
}

function writeInvocationLog(
  ctx: HostContext,
  functionName: string,
  entry: { level: CoreLogLevel; category: 'user' | 'system'; message: string },
  hookData: Record<string, unknown>,
  invocationContext: InvocationContext,
): void {
  const hooked = ctx.core ? ctx.core.applyLogHooks(entry, { hookData, invocationContext }) : entry;
  if (hooked.level === 'none') return;
  ctx.log(`[${hooked.level}] ${functionName}: ${hooked.message}`);
}

/** `context.options`, built from the bindings like the library's `fromRpcBindings`. */
function effectiveOptions(registration: Registration): EffectiveFunctionOptions {
  const extraInputs: FunctionInput[] = [];
  const extraOutputs: FunctionOutput[] = [];
  let returnBinding: FunctionOutput | undefined;
  for (const [name, raw] of Object.entries(registration.bindings)) {
    const binding = { ...(raw as Record<string, unknown>), name } as FunctionInput & FunctionOutput & { direction?: string };
    if (name === registration.trigger.name) continue;
    if (name === '$return') returnBinding = binding;
    else if (binding.direction === 'in') extraInputs.push(binding);
    else if (binding.direction === 'out') extraOutputs.push(binding);
  }
  return { trigger: registration.trigger as unknown as FunctionTrigger, return: returnBinding, extraInputs, extraOutputs };
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
 * What the handler returned, written as `@azure/functions` would have the host write it: nothing is
 * 200 with no body (the host's default), an `HttpResponse` as is, anything else through
 * `new HttpResponse(init)` (which sets the content type of `jsonBody`, strings, blobs...).
 */
async function sendResponse(res: ServerResponse, ctx: HostContext, method: string, result: unknown): Promise<void> {
  if (result === null || result === undefined) return sendEmpty(res, ctx, 200);
  if (typeof result !== 'object') {
    // The library's own check: it fails the invocation, so the host answers 500.
    ctx.log('The HTTP response must be an object with optional properties "body", "status", "headers", and "cookies".');
    return sendEmpty(res, ctx, 500);
  }
  const direct = directTextResponse(result);
  if (direct) return writeDirect(res, ctx, method, direct);
  const response = result instanceof library.HttpResponse ? result : new library.HttpResponse(result as HttpResponseInit);
  writeHead(res, ctx, response);
  await writeBody(res, method, response, isBufferedInit(result));
}

interface DirectTextResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * The API's every answer — a plain init with a string body, its own Content-Type, string headers and
 * no cookies — which `new HttpResponse(init)` would only copy through a web `Response` and its stream
 * (≈ 8 % of a point read's CPU, docs/performance.md). Written directly, with the same status,
 * headers and bytes; anything else takes the library's path.
 */
function directTextResponse(result: object): DirectTextResponse | undefined {
  if (Object.getPrototypeOf(result) !== Object.prototype) return undefined;
  const init = result as HttpResponseInit;
  if (typeof init.body !== 'string' || init.jsonBody !== undefined || init.cookies?.length) return undefined;
  const status = init.status ?? 200;
  const headers = init.headers;
  if (!Number.isInteger(status) || !headers || Object.getPrototypeOf(headers) !== Object.prototype) return undefined;
  let typed = false;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') return undefined;
    const lower = name.toLowerCase();
    if (lower === 'set-cookie') return undefined;
    if (lower === 'content-type') typed = true;
  }
  return typed ? { status, headers: headers as Record<string, string>, body: init.body } : undefined;
}

function writeDirect(res: ServerResponse, ctx: HostContext, method: string, response: DirectTextResponse): void {
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers)) {
    const lower = name.toLowerCase();
    if (!BLOCKED_RESPONSE_HEADERS.has(lower)) res.setHeader(lower, value);
  }
  if (ctx.stopping) res.setHeader('connection', 'close');
  const bytes = Buffer.from(response.body, 'utf8');
  if (!res.hasHeader('content-length')) res.setHeader('content-length', String(bytes.length));
  res.end(method === 'HEAD' ? undefined : bytes);
}

function writeHead(res: ServerResponse, ctx: HostContext, response: HttpResponse): void {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie' || BLOCKED_RESPONSE_HEADERS.has(name)) continue;
    res.setHeader(name, value);
  }
  const cookies = [...response.headers.getSetCookie(), ...response.cookies.map(serializeCookie)];
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  if (ctx.stopping) res.setHeader('connection', 'close');
}

/**
 * A body given whole (string, bytes, `jsonBody`...) goes out with its Content-Length, as from the
 * host; a stream is piped as it is produced.
 */
async function writeBody(res: ServerResponse, method: string, response: HttpResponse, buffered: boolean): Promise<void> {
  const body = response.body as WebReadableStream<Uint8Array> | null;
  if (!body || method === 'HEAD') {
    await body?.cancel();
    res.end();
    return;
  }
  if (buffered) {
    const bytes = Buffer.from(await response.arrayBuffer());
    if (!res.hasHeader('content-length')) res.setHeader('content-length', String(bytes.length));
    res.end(bytes);
    return;
  }
  await pipeline(Readable.fromWeb(body), res);
}

/** A plain init whose body is complete already; an `HttpResponse` hides its init, so it streams. */
function isBufferedInit(result: object): boolean {
  if (result instanceof library.HttpResponse) return false;
  const init = result as HttpResponseInit;
  if (init.jsonBody !== undefined && init.jsonBody !== null) return true;
  const body: unknown = init.body;
  return !(body instanceof ReadableStream || body instanceof Readable || isAsyncIterable(body));
}

function isAsyncIterable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** `Set-Cookie` for a library `Cookie`, with the attributes `@azure/functions` writes when it streams. */
export function serializeCookie(cookie: Cookie): string {
  const parts = [`${cookie.name}=${encodeURIComponent(cookie.value)}`];
  if (cookie.maxAge !== undefined) parts.push(`Max-Age=${Math.floor(cookie.maxAge)}`);
  if (cookie.domain) parts.push(`Domain=${cookie.domain}`);
  if (cookie.path) parts.push(`Path=${cookie.path}`);
  if (cookie.expires !== undefined) parts.push(`Expires=${new Date(cookie.expires).toUTCString()}`);
  if (cookie.httpOnly) parts.push('HttpOnly');
  if (cookie.secure) parts.push('Secure');
  if (cookie.sameSite) parts.push(`SameSite=${cookie.sameSite}`);
  return parts.join('; ');
}

function describeError(err: unknown): string {
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : format(err);
}
