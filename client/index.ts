/**
 * The dashboard's typed client for the Algesta API: openapi-fetch over the types openapi-typescript
 * generates from the API's own OpenAPI document (`schema.d.ts`, `npm run client:generate`). Every
 * path, parameter, body and answer is the document's; a renamed field or action is a type error in the
 * code that calls it. This file is the only hand-written part.
 *
 *   const api = createAlgestaClient({ baseUrl: 'https://api.algesta.co', token: () => msal.token() });
 *   const { data, error } = await api.POST('/api/v1/orders/{orderId}/actions/approve', {
 *     params: { path: { orderId } },
 *   });
 *   if (error) show(error.title, error.detail); // a problem (RFC 9457), typed per operation
 *   else render(data.status);
 *
 * Not part of the Functions bundle: nothing under functions/ or shared/ imports it.
 */
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

export type { components, operations, paths } from './schema';

export type AlgestaClient = Client<paths>;

export interface AlgestaClientOptions {
  /** The API's origin, e.g. `https://api.algesta.co` or `http://localhost:7071`: paths start with `/api/`. */
  baseUrl: string;
  /**
   * The bearer token (Microsoft Entra ID access token; locally `npm run token`), or a function that
   * returns a fresh one per request (MSAL's `acquireTokenSilent`). Omitted: anonymous calls only
   * (health, the OpenAPI document).
   */
  token?: string | (() => string | Promise<string>);
  /** Another `fetch` (tests, instrumentation). */
  fetch?: (input: Request) => Promise<Response>;
}

/**
 * RFC 9457 problem details: every error answer of the API (`application/problem+json`). The generated
 * types give each operation's `error` its documented shape; this is the part every problem shares, for
 * code that handles errors in one place. A problem type may add members (`currentState`,
 * `allowedActions`, `errors`…): docs/api.md lists them.
 */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  correlationId?: string;
  errors?: { pointer: string; detail: string }[];
}

export function isProblem(value: unknown): value is ProblemDetails {
  const v = value as Partial<ProblemDetails> | null;
  return typeof v === 'object' && v !== null && typeof v.type === 'string' && typeof v.status === 'number';
}

/** Thrown by `unwrap` for an error answer: the problem, and the status even when the body was not one. */
export class AlgestaProblemError extends Error {
  constructor(
    readonly status: number,
    readonly problem: ProblemDetails | undefined,
  ) {
    super(problem ? `${status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ''}` : `HTTP ${status}`);
    this.name = 'AlgestaProblemError';
  }
}

/** The data of a successful answer, or an `AlgestaProblemError`: for code that lets errors propagate. */
export async function unwrap<D>(call: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<D> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) throw new AlgestaProblemError(response.status, isProblem(error) ? error : undefined);
  return data as D;
}

export function createAlgestaClient(options: AlgestaClientOptions): AlgestaClient {
  const client = createClient<paths>({ baseUrl: options.baseUrl, ...(options.fetch ? { fetch: options.fetch } : {}) });
  const { token } = options;
  if (token !== undefined) {
    const bearer: Middleware = {
      async onRequest({ request }) {
        request.headers.set('authorization', `Bearer ${typeof token === 'function' ? await token() : token}`);
        return request;
      },
    };
    client.use(bearer);
  }
  return client;
}
