import { createHash } from 'node:crypto';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import type { Principal } from '../../domain/access/principal';
import {
  ApplicationError,
  InvalidConfigurationError,
  InvalidInputError,
  InvoiceRulesError,
  UnavailableError,
} from '../../application/errors';
import type { IdempotentRequest } from '../../application/idempotency';
import type { IdempotencyStore, StoredResponse } from '../../application/ports';
import { AuthenticationError, wwwAuthenticate } from '../auth/token-verifier';
import type { Logger } from '../logger';
import { corsHeaders } from './cors';
import { activeTraceparent } from '../telemetry';
import { correlationIdFrom } from './correlation';
import type { AnyEndpoint, EndpointResult } from './endpoint';
import { ifMatchTag, toHttpEtag } from './etag';
import { ulidOf } from '../ids';
import { problem, type FieldError, type ProblemType } from './problem';

/** What the pipeline needs from the composition root. */
export interface HttpPlatform {
  readonly logger: Logger;
  readonly corsOrigins: readonly string[];
  verifyToken(authorization: string | null): Promise<Principal>;
  idempotency(): Promise<IdempotencyStore>;
  now(): Date;
}

export const MAX_BODY_BYTES = 1024 * 1024;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

class RequestProblem extends Error {
  constructor(
    readonly type: ProblemType,
    readonly detail: string,
    readonly errors: readonly FieldError[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

/**
 * Runs one API request: correlation, CORS, body limits, authentication, validation, idempotency,
 * the handler, and the mapping of every failure to a problem response. Handlers only see valid
 * input from an authenticated caller; nothing here knows a business rule.
 */
export async function handleHttp(
  endpoint: AnyEndpoint,
  request: HttpRequest,
  context: Pick<InvocationContext, 'traceContext'> | undefined,
  platform: HttpPlatform,
): Promise<HttpResponseInit> {
  const started = Date.now();
  // The library's `headers` getter reaches through to the undici Request each time: read it once.
  const headers = request.headers;
  const correlationId = correlationIdFrom(headers.get('x-correlation-id'));
  // The host's span for this request (it honours the caller's `traceparent` itself): the active span
  // when telemetry runs the handler in it (@azure/functions-opentelemetry-instrumentation), else the
  // invocation's trace context as the host sent it.
  const traceparent = activeTraceparent() ?? context?.traceContext?.traceParent;
  const logger = platform.logger.child({ correlationId, function: endpoint.name });
  const common = { 'x-correlation-id': correlationId, ...corsHeaders(headers.get('origin'), platform.corsOrigins) };

  let response: HttpResponseInit;
  let principal: Principal | undefined;
  try {
    const signed = endpoint.auth === 'signature';
    const rawBody = endpoint.body || signed ? await readBody(request, endpoint.maxBodyBytes ?? MAX_BODY_BYTES) : undefined;
    if (signed) await verifySignature(endpoint, request, rawBody as Uint8Array);
    principal =
      endpoint.auth === 'bearer'
        ? await platform.verifyToken(headers.get('authorization'))
        : signed
          ? partner(endpoint)
          : anonymous;
    const input = validate(endpoint, request, rawBody);
    const ifMatch = endpoint.conditional ? ifMatchTag(headers.get('if-match')) : undefined;
    const ifNoneMatch = headers.get('if-none-match') ?? undefined;
    const run = async (idempotency?: IdempotentRequest) =>
      toResponse(
        await endpoint.handler({
          principal: principal as Principal,
          ...input,
          ...(ifMatch ? { ifMatch } : {}),
          ...(ifNoneMatch ? { ifNoneMatch } : {}),
          correlationId,
          traceparent,
          logger,
          ...(signed ? { rawBody } : {}),
          ...(idempotency ? { idempotency } : {}),
        }),
      );
    const key = endpoint.idempotent ? idempotencyKey(request) : undefined;
    response = key
      ? await runIdempotently(platform, idempotencyId(principal, endpoint, key), fingerprintOf(request, rawBody), run)
      : await run();
  } catch (err) {
    response = errorResponse(err, correlationId, logger);
  }
  response = { ...response, headers: { ...common, ...(response.headers as Record<string, string>) } };
  logger.info('http request', {
    method: request.method,
    route: endpoint.route,
    status: response.status,
    durationMs: Date.now() - started,
    userId: principal?.userId,
  });
  return response;
}

const anonymous: Principal = { userId: 'anonymous', role: 'client' };

/** A partner webhook's caller: no user, no tenant; the handler acts as the system. */
const partner = (endpoint: AnyEndpoint): Principal => ({ userId: `webhook:${endpoint.name}`, role: 'client' });

async function verifySignature(endpoint: AnyEndpoint, request: HttpRequest, rawBody: Uint8Array): Promise<void> {
  let valid = false;
  try {
    valid = endpoint.verifySignature ? await endpoint.verifySignature(rawBody, request.headers as unknown as Headers) : false;
  } catch {
    // A secret that cannot be read now (Key Vault down): refused; the partner retries later.
    valid = false;
  }
  // A 401 without a Bearer challenge: a partner signs its requests, it never sends a token.
  if (!valid)
    throw new RequestProblem('unauthorized', endpoint.problems?.[401] ?? 'the request signature is missing or does not match');
}

async function readBody(request: HttpRequest, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > limit) throw new RequestProblem('payload-too-large', `the body may not exceed ${limit} bytes`);
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > limit) throw new RequestProblem('payload-too-large', `the body may not exceed ${limit} bytes`);
  return bytes;
}

function parseJson(request: HttpRequest, raw: Uint8Array): unknown {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (raw.byteLength === 0 && !type) return undefined;
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw new RequestProblem('unsupported-media-type', 'send the body as application/json');
  }
  if (raw.byteLength === 0) return undefined;
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    throw new RequestProblem('malformed-json', 'the body is not valid JSON');
  }
}

function validate(endpoint: AnyEndpoint, request: HttpRequest, rawBody: Uint8Array | undefined) {
  const errors: FieldError[] = [];
  // `value` is a thunk: an endpoint without a schema for a part does not pay for copying it.
  const check = <T>(schema: z.ZodType<T> | undefined, value: () => unknown, where: string): T => {
    if (!schema) return undefined as T;
    const result = schema.safeParse(value());
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      errors.push({ pointer: '/' + [where, ...issue.path.map(String)].join('/'), detail: issue.message });
    }
    return undefined as T;
  };
  const params = check(endpoint.params, () => ({ ...request.params }), 'params');
  const query = check(endpoint.query, () => Object.fromEntries(request.query.entries()), 'query');
  const bodySchema = endpoint.bodyFor && !errors.length ? endpoint.bodyFor(params) : endpoint.body;
  const body = bodySchema ? check(bodySchema, () => parseJson(request, rawBody ?? new Uint8Array()), 'body') : undefined;
  if (errors.length) throw new RequestProblem('validation-error', 'one or more fields are invalid', errors);
  return { params, query, body };
}

function toResponse(result: EndpointResult): HttpResponseInit {
  const headers: Record<string, string> = { ...result.headers };
  if (result.etag) headers['etag'] = toHttpEtag(result.etag);
  if (result.location) headers['location'] = result.location;
  if (result.replayed) headers['idempotent-replayed'] = 'true';
  if (result.content !== undefined) return { status: result.status, headers, body: result.content };
  if (result.body === undefined) return { status: result.status, headers };
  headers['content-type'] ??= 'application/json; charset=utf-8';
  return { status: result.status, headers, body: JSON.stringify(result.body) };
}

// ---- idempotency ---------------------------------------------------------------------------

function idempotencyKey(request: HttpRequest): string | undefined {
  const key = request.headers.get('idempotency-key');
  if (key === null) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new RequestProblem('validation-error', 'invalid Idempotency-Key', [
      { pointer: '/headers/idempotency-key', detail: '1 to 255 visible ASCII characters' },
    ]);
  }
  return key;
}

/** Keys are per caller and per operation: another user's identical key is another request. */
function idempotencyId(principal: Principal, endpoint: AnyEndpoint, key: string): string {
  return createHash('sha256').update(`${principal.userId}\n${endpoint.name}\n${key}`).digest('base64url');
}

function fingerprintOf(request: HttpRequest, rawBody: Uint8Array | undefined): string {
  const url = new URL(request.url);
  return createHash('sha256')
    .update(`${request.method} ${url.pathname}\n`)
    .update(rawBody ?? new Uint8Array())
    .digest('base64url');
}

/**
 * One effect per (caller, operation, key), however often and however concurrently the request is
 * sent, and whatever crashed in between. The idempotency record — written once, before anything
 * else — binds the key to the first request's fingerprint (another body: 422) and to the moment it
 * was first used; every attempt derives from both the same ULID for what it creates, and the use
 * case creates it with a Cosmos create in the same transactional batch as its events. A second
 * attempt's batch is refused as a whole (409) and answers what the first wrote (`replayed`).
 * Nothing is written after the effect, so no crash can leave an effect without its answer: a retry
 * always finds the effect or makes it. Records are never released or retaken; they expire with the
 * key (24 h). Failed attempts remember nothing but the body: the retry runs again.
 */
async function runIdempotently(
  platform: HttpPlatform,
  id: string,
  fingerprint: string,
  run: (idempotency: IdempotentRequest) => Promise<HttpResponseInit>,
): Promise<HttpResponseInit> {
  const store = await platform.idempotency();
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = platform.now().toISOString();
    if (await store.claim(id, fingerprint, now)) return run(requestOf(id, now));
    const record = await store.get(id);
    if (!record) continue; // expired between the two calls: claim again
    if (record.fingerprint !== fingerprint) {
      throw new RequestProblem('idempotency-key-reused', 'this Idempotency-Key was used with a different request');
    }
    // A record of the mechanism before derived ids (at most 24 h old, a deployment ago): its stored answer.
    if (record.response) return replay(record.response);
    return run(requestOf(id, record.createdAt));
  }
  throw new UnavailableError('could not claim the idempotency key', 1);
}

/** What every attempt of one request creates is named by the key's record: its id and first use. */
function requestOf(id: string, since: string): IdempotentRequest {
  return { ulid: ulidOf(Date.parse(since), createHash('sha256').update(`ulid\n${id}`).digest()), since };
}

function replay(stored: StoredResponse): HttpResponseInit {
  return { status: stored.status, headers: { ...stored.headers, 'idempotent-replayed': 'true' }, body: stored.body };
}

// ---- errors --------------------------------------------------------------------------------

const KIND_TO_PROBLEM: Record<ApplicationError['kind'], ProblemType> = {
  'not-found': 'not-found',
  forbidden: 'forbidden',
  'approval-limit': 'approval-limit-exceeded',
  conflict: 'conflict',
  'precondition-failed': 'precondition-failed',
  invalid: 'unprocessable-entity',
  'invoice-rules': 'invoice-rules-failed',
  'invalid-configuration': 'validation-error',
  unavailable: 'service-unavailable',
};

export function errorResponse(err: unknown, correlationId: string, logger: Logger): HttpResponseInit {
  if (err instanceof RequestProblem) {
    return problem(err.type, { detail: err.detail, errors: err.errors, correlationId, headers: err.headers });
  }
  if (err instanceof AuthenticationError) {
    return problem('unauthorized', {
      detail: err.description,
      correlationId,
      headers: { 'www-authenticate': wwwAuthenticate(err) },
    });
  }
  if (err instanceof InvalidInputError && err.fieldErrors.some((f) => f.field === 'continuationToken')) {
    return problem('validation-error', {
      detail: err.message,
      correlationId,
      errors: err.fieldErrors.map((f) => ({ pointer: `/query/${f.field}`, detail: f.message })),
    });
  }
  if (err instanceof ApplicationError) {
    const headers: Record<string, string> =
      err instanceof UnavailableError ? { 'retry-after': String(err.retryAfterSeconds) } : {};
    const errors =
      err instanceof InvalidInputError || err instanceof InvoiceRulesError || err instanceof InvalidConfigurationError
        ? err.fieldErrors.map((f) => ({ pointer: `/body/${f.field}`, detail: f.message }))
        : [];
    if (err instanceof UnavailableError) logger.warn('dependency unavailable', { error: err.message });
    const kind: ApplicationError['kind'] = err.kind;
    return problem(KIND_TO_PROBLEM[kind], { detail: err.message, errors, correlationId, headers, extensions: err.details });
  }
  logger.error('unhandled error', { error: err });
  return problem('internal-error', {
    detail: 'an unexpected error occurred; quote the correlation id when reporting it',
    correlationId,
  });
}
