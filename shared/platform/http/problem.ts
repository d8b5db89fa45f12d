import type { HttpResponseInit } from '@azure/functions';

/**
 * RFC 9457 problem details. Every error the API answers is one of these types; the `type` URIs are
 * stable and listed in docs/api.md, so clients can branch on them.
 */
export const PROBLEM_BASE = 'https://api.algesta.co/problems/';

export const PROBLEMS = {
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'malformed-json': { status: 400, title: 'Malformed JSON body' },
  'validation-error': { status: 400, title: 'The request is not valid' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  unauthorized: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Forbidden' },
  'approval-limit-exceeded': { status: 403, title: 'The amount exceeds your approval limit' },
  conflict: { status: 409, title: 'Conflict' },
  'precondition-failed': { status: 412, title: 'Precondition failed' },
  'idempotency-key-reused': { status: 422, title: 'Idempotency key reused with another request' },
  'idempotency-in-progress': { status: 409, title: 'A request with this idempotency key is in progress' },
  'unprocessable-entity': { status: 422, title: 'The request cannot be processed' },
  'invoice-rules-failed': { status: 422, title: 'The invoice breaks a hard rule' },
  'service-unavailable': { status: 503, title: 'Service unavailable' },
  'internal-error': { status: 500, title: 'Internal server error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemType = keyof typeof PROBLEMS;

/**
 * Problems only the API gateway answers (Azure API Management, infra/gateway/policies/global.xml):
 * the app has no rate limiter of its own, so these never come from it and are not in its OpenAPI
 * document. Same base URI and fields as every other problem; listed in docs/api.md and
 * docs/security.md. test/infra/gateway.test.ts checks the policy's bodies against this.
 */
export const GATEWAY_PROBLEMS = {
  'rate-limited': { status: 429, title: 'Too many requests' },
} as const satisfies Record<string, { status: number; title: string }>;

export interface FieldError {
  /** JSON pointer into the request: `/body/title`, `/query/limit`, `/params/orderId`. */
  readonly pointer: string;
  readonly detail: string;
}

export interface ProblemInit {
  readonly detail?: string;
  readonly errors?: readonly FieldError[];
  readonly correlationId?: string;
  readonly headers?: Record<string, string>;
  readonly extensions?: Record<string, unknown>;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  correlationId?: string;
  errors?: readonly FieldError[];
  [extension: string]: unknown;
}

export function problemBody(type: ProblemType, init: ProblemInit = {}): ProblemBody {
  const { status, title } = PROBLEMS[type];
  return {
    ...init.extensions,
    type: PROBLEM_BASE + type,
    title,
    status,
    ...(init.detail ? { detail: init.detail } : {}),
    ...(init.errors?.length ? { errors: init.errors } : {}),
    ...(init.correlationId ? { correlationId: init.correlationId } : {}),
  };
}

export function problem(type: ProblemType, init: ProblemInit = {}): HttpResponseInit {
  const body = problemBody(type, init);
  return {
    status: body.status,
    headers: { 'content-type': 'application/problem+json', ...init.headers },
    body: JSON.stringify(body),
  };
}
