import type { z } from 'zod';
import type { Principal } from '../../domain/access/principal';
import type { IdempotentRequest } from '../../application/idempotency';
import type { Logger } from '../logger';
import type { ProblemType } from './problem';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Everything a handler may use from the request, already authenticated and validated. */
export interface EndpointContext<P, Q, B> {
  readonly principal: Principal;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /** The `If-Match` header value, when the client sent one. */
  readonly ifMatch?: string;
  /** The `If-None-Match` header, when the client sent one (revalidation of a cached answer). */
  readonly ifNoneMatch?: string;
  readonly correlationId: string;
  readonly traceparent?: string;
  readonly logger: Logger;
  /** The body exactly as received (signature endpoints: what the signature covers). */
  readonly rawBody?: Uint8Array;
  /**
   * Idempotent endpoints, when the request carries an `Idempotency-Key`: the ULID every attempt of
   * this request gives the aggregate it creates (`newUlid` in shared/application/idempotency.ts).
   */
  readonly idempotency?: IdempotentRequest;
}

export interface EndpointResult {
  readonly status: number;
  readonly body?: unknown;
  /** Entity tag of the returned resource (sent as `ETag`). */
  readonly etag?: string;
  /** Path of a created resource, relative to the API root, e.g. `/api/v1/orders/ord_...`. */
  readonly location?: string;
  readonly headers?: Record<string, string>;
  /**
   * Sent as it is instead of JSON, with the `content-type` the handler sets in `headers` (the API
   * reference page and its assets are not JSON).
   */
  readonly content?: string | Uint8Array;
  /** The answer is what an earlier attempt of the same idempotent request created (`Idempotent-Replayed: true`). */
  readonly replayed?: boolean;
}

/** The 201 of a create: the resource, its ETag and location, marked when an earlier attempt made it. */
export function created(
  resource: { readonly etag: string; readonly replayed?: boolean },
  body: unknown,
  location: string,
): EndpointResult {
  return { status: 201, body, etag: resource.etag, location, ...(resource.replayed ? { replayed: true } : {}) };
}

export interface ResponseSpec {
  readonly description: string;
  readonly schema?: z.ZodType;
  /** An answer as the API sends it: the OpenAPI document's example (a test parses it with `schema`). */
  readonly example?: unknown;
  /** Not JSON: the answer's media types, each with an example of its text (none for an image). */
  readonly mediaTypes?: Readonly<Record<string, string | undefined>>;
}

/** A request header a partner signs its webhook with, as the document lists it. */
export interface SignatureHeader {
  readonly name: string;
  readonly required: boolean;
  readonly description: string;
  /** The value's format, as the verifier checks it. */
  readonly pattern: string;
  readonly example: string;
}

/**
 * One API operation: route, schemas and handler in one place. The same object registers the
 * function, validates requests and documents the operation in the OpenAPI document.
 */
export interface Endpoint<P = unknown, Q = unknown, B = unknown> {
  /** Function name; unique. */
  readonly name: string;
  readonly method: HttpMethod;
  /** Route relative to the `api` prefix, with `{param}` placeholders: `v1/orders/{orderId}`. */
  readonly route: string;
  readonly summary: string;
  readonly tags: readonly string[];
  /**
   * `anonymous` endpoints skip authentication (health, the OpenAPI document); `signature` endpoints
   * are partner webhooks, authenticated by `verifySignature` over the raw body instead of a token.
   */
  readonly auth: 'bearer' | 'anonymous' | 'signature';
  /** Signature endpoints: false → 401 and nothing else runs (no parsing, no handler). */
  readonly verifySignature?: (rawBody: Uint8Array, headers: Headers) => Promise<boolean> | boolean;
  /** A tighter body limit than the API's default (webhooks). */
  readonly maxBodyBytes?: number;
  /** Signature endpoints: the headers `verifySignature` reads (documented as header parameters). */
  readonly signatureHeaders?: readonly SignatureHeader[];
  /**
   * Signature endpoints: how long after the sender signed an event it is still taken, and how long
   * it is remembered against replays (documented with the operation).
   */
  readonly replayWindow?: string;
  /**
   * The body as the handler parses it itself, for endpoints without `body` (a webhook reads its raw
   * bytes after the signature): documented only, never validated by the pipeline.
   */
  readonly documentedBody?: z.ZodType;
  /** A request body as a client sends it: the document's example (a test parses it with the body schema). */
  readonly requestExample?: unknown;
  readonly params?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  readonly body?: z.ZodType<B>;
  /**
   * The body schema chosen by the (valid) path parameters, for one route that takes several shapes
   * (`/actions/{action}`). `body` is then the union of them, checked when the parameters are invalid.
   */
  readonly bodyFor?: (params: P) => z.ZodType<B>;
  /**
   * Documents the route as one OpenAPI operation per value of one path parameter (`…/actions/triage`,
   * `…/actions/approve`), each with its own summary and body, so that a client generator gets one
   * typed method and body per value. The function stays one registration (`route`, with the
   * parameter); only the document lists the values. Operation ids are `<name>-<value>`.
   */
  readonly operationsPer?: {
    readonly param: string;
    readonly values: Readonly<
      Record<
        string,
        {
          readonly summary: string;
          readonly body: z.ZodType;
          readonly example: unknown;
          /** Problem types only this value answers (an approval above the approver's limit). */
          readonly problemTypes?: readonly ProblemType[];
        }
      >
    >;
  };
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  /**
   * Accepts `Idempotency-Key` (creates). The handler must name what it creates with
   * `ctx.idempotency` and answer `replayed` with what exists when an earlier attempt created it.
   */
  readonly idempotent?: boolean;
  /** Honours `If-Match` (updates). */
  readonly conditional?: boolean;
  /** Statuses the handler may answer with besides the success ones (documented as problems). */
  readonly errors?: readonly number[];
  /**
   * Problem types the handler may answer besides those its statuses imply (the document lists,
   * per status, the types an endpoint can answer with: shared/platform/http/openapi.ts).
   */
  readonly problemTypes?: readonly ProblemType[];
  /**
   * This endpoint's own description of a problem status, where the API-wide one does not fit (a
   * webhook's signature and body limit are not the API's bearer token and 1 MB). A signature
   * endpoint's 401 text is also the detail of its 401 answers.
   */
  readonly problems?: Readonly<Partial<Record<number, string>>>;
  readonly handler: (ctx: EndpointContext<P, Q, B>) => Promise<EndpointResult>;
}

/** Keeps the generic types of an endpoint literal while checking its shape. */
export function defineEndpoint<P, Q, B>(endpoint: Endpoint<P, Q, B>): Endpoint<P, Q, B> {
  return endpoint;
}

export type AnyEndpoint = Endpoint<any, any, any>;
