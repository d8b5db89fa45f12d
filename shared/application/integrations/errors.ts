import { UnavailableError } from '../errors';

/**
 * How a partner call failed, as the workflows need to know it: either the partner is unavailable for
 * now (the message is abandoned and the bus delivers it again later) or it refused the request for
 * good (retrying the same request cannot help). Messages name the partner, the operation and the
 * HTTP status — never a URL's query, a header or a secret.
 */
export type UnavailableReason = 'rate-limited' | 'server-error' | 'timeout' | 'network' | 'circuit-open';

export class PartnerUnavailableError extends UnavailableError {
  readonly partner: string;
  readonly operation: string;
  readonly reason: UnavailableReason;
  /** The HTTP status that said so (429, 408, 5xx), when there was an answer. */
  readonly status?: number;
  /** How long the partner asked us to wait (`Retry-After`) or the circuit stays open, when known. */
  readonly retryAfterMs?: number;

  constructor(
    partner: string,
    operation: string,
    reason: UnavailableReason,
    opts: { status?: number; retryAfterMs?: number } = {},
  ) {
    const status = opts.status !== undefined ? ` (HTTP ${opts.status})` : '';
    super(
      `${partner} unavailable during "${operation}": ${reason}${status}`,
      opts.retryAfterMs !== undefined ? Math.max(1, Math.ceil(opts.retryAfterMs / 1000)) : undefined,
    );
    this.partner = partner;
    this.operation = operation;
    this.reason = reason;
    if (opts.status !== undefined) this.status = opts.status;
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
  }
}

/**
 * The partner answered with a 4xx other than 408/429: the request itself is wrong (bad data,
 * configuration, credentials). Never retried by the resilience policy; a workflow that lets it
 * escape has its message retried by the bus and then dead-lettered with this message as the reason.
 */
export class PartnerRejectedError extends Error {
  readonly partner: string;
  readonly operation: string;
  readonly status: number;
  /** The partner's error body: parsed JSON, or text cut to a few kilobytes. */
  readonly body: unknown;

  constructor(partner: string, operation: string, status: number, body: unknown) {
    super(`${partner} rejected "${operation}" (HTTP ${status})${describeBody(body)}`);
    this.name = 'PartnerRejectedError';
    this.partner = partner;
    this.operation = operation;
    this.status = status;
    this.body = body;
  }
}

export function isPartnerError(err: unknown): err is PartnerUnavailableError | PartnerRejectedError {
  return err instanceof PartnerUnavailableError || err instanceof PartnerRejectedError;
}

/** The partners' own error code, when their body has a well-known one: useful in a dead-letter reason. */
function describeBody(body: unknown): string {
  if (!body || typeof body !== 'object') return '';
  const b = body as Record<string, unknown>;
  const code =
    b.errorCode ??
    b.error ??
    (Array.isArray(b.errors) ? (b.errors[0] as Record<string, unknown> | undefined)?.message : undefined);
  return typeof code === 'string' ? `: ${code.slice(0, 200)}` : '';
}
