import type { z } from 'zod';
import { PartnerRejectedError, PartnerUnavailableError } from '../../application/integrations/errors';
import { parseRetryAfter, type PartnerPolicy } from './resilience';

/**
 * HTTP to a partner over the global `fetch`, with failures classified the one way the workflows
 * and the resilience policy understand:
 * - 2xx, and the statuses a request declares as answers (`accept`, e.g. 404 for a lookup) → a
 *   `PartnerResponse` with the whole body read;
 * - 408, 429, 5xx, a timeout or a network error → `PartnerUnavailableError` (with `Retry-After`);
 * - any other 4xx → `PartnerRejectedError` with the partner's error body.
 * The body is read inside the attempt because the attempt's signal is aborted when it ends.
 */
export interface PartnerRequest {
  /** Names the call in errors and logs ("create envelope"); URLs and headers are never logged. */
  readonly operation: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as `application/json`. */
  readonly json?: unknown;
  /** Sent as `application/x-www-form-urlencoded`. */
  readonly form?: URLSearchParams;
  /** Non-2xx statuses that are answers rather than failures. */
  readonly accept?: readonly number[];
}

export interface PartnerResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly bytes: Uint8Array;
  text(): string;
  /** The body parsed as JSON (undefined when empty); throws a SyntaxError when it is not JSON. */
  json(): unknown;
}

/** One request under the partner's policy (timeout, retries, circuit). */
export function partnerFetch(policy: PartnerPolicy, request: PartnerRequest): Promise<PartnerResponse> {
  return policy.execute(request.operation, (signal) => fetchOnce(policy.partner, request, signal));
}

/** One request, classified, without retries: the building block of a multi-request attempt. */
export async function fetchOnce(partner: string, request: PartnerRequest, signal: AbortSignal): Promise<PartnerResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  let body: string | undefined;
  if (request.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(request.json);
  } else if (request.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = request.form.toString();
  }

  let res: Response;
  let bytes: Uint8Array;
  try {
    res = await fetch(request.url, { method: request.method, headers, signal, ...(body !== undefined ? { body } : {}) });
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    // Whatever fetch says about the failure may quote the URL; only the kind of failure is kept.
    const reason = signal.aborted || (err instanceof Error && err.name === 'AbortError') ? 'timeout' : 'network';
    throw new PartnerUnavailableError(partner, request.operation, reason);
  }

  const response = toResponse(res, bytes);
  if ((res.status >= 200 && res.status < 300) || request.accept?.includes(res.status)) return response;
  if (res.status === 408 || res.status === 429 || res.status >= 500) {
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    throw new PartnerUnavailableError(partner, request.operation, res.status === 429 ? 'rate-limited' : 'server-error', {
      status: res.status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  throw new PartnerRejectedError(partner, request.operation, res.status, errorBody(response));
}

function toResponse(res: Response, bytes: Uint8Array): PartnerResponse {
  const text = () => new TextDecoder().decode(bytes);
  return {
    status: res.status,
    headers: res.headers,
    bytes,
    text,
    json: () => (bytes.length === 0 ? undefined : JSON.parse(text())),
  };
}

const MAX_ERROR_TEXT = 2_000;

function errorBody(response: PartnerResponse): unknown {
  try {
    return response.json();
  } catch {
    return response.text().slice(0, MAX_ERROR_TEXT);
  }
}

/** A response body that does not have the documented shape: a contract breach, not a transient failure. */
export class PartnerContractError extends Error {
  constructor(partner: string, operation: string, detail: string) {
    super(`${partner} answered "${operation}" with an unexpected body: ${detail}`);
    this.name = 'PartnerContractError';
  }
}

/** The body checked against its documented shape (zod). */
export function readBody<T>(schema: z.ZodType<T>, response: PartnerResponse, partner: string, operation: string): T {
  let value: unknown;
  try {
    value = response.json();
  } catch {
    throw new PartnerContractError(partner, operation, 'not JSON');
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new PartnerContractError(
    partner,
    operation,
    issue ? `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}` : 'invalid',
  );
}
