import type { CallContext } from './context';
import { ConflictError } from './errors';
import type { IdGenerator, Versioned } from './ports';

/**
 * A create sent with an `Idempotency-Key` (docs/api.md, Idempotency). Every attempt of one request
 * — same caller, operation, key and body — carries the same `ulid`, and the use case names the
 * aggregate it creates with it. So a retry (after a crash, a lost answer, or while the first
 * attempt still runs) tries to create the very same document in the same transactional batch as
 * its events; Cosmos refuses the second (409), and the retry answers what the first one wrote.
 */
export interface IdempotentRequest {
  /** The ULID of the aggregate this request creates: the same for every attempt. */
  readonly ulid: string;
  /** When the key was first used (ISO 8601): no attempt of this request started earlier. */
  readonly since: string;
}

/** A created aggregate — or, `replayed`, the one an earlier attempt of the same request created. */
export type Created<T> = Versioned<T> & { readonly replayed?: true };

/** The ULID of a new aggregate: the request's own under an `Idempotency-Key`, a fresh one otherwise. */
export function newUlid(call: Pick<CallContext, 'idempotency'>, ids: Pick<IdGenerator, 'ulid'>): string {
  return call.idempotency?.ulid ?? ids.ulid();
}

/**
 * Runs a create whose id came from `newUlid`. When the store refuses it because that id exists,
 * `existing` reads what an earlier attempt of the same request wrote, and that is the answer
 * (`replayed`) — no second aggregate, no second event. A conflict that is not this request's
 * (`existing` finds nothing: another rule refused it) stays a conflict.
 */
export async function createOnce<T>(
  call: Pick<CallContext, 'idempotency'>,
  create: () => Promise<Versioned<T>>,
  existing: () => Promise<Versioned<T> | undefined>,
): Promise<Created<T>> {
  if (!call.idempotency) return create();
  try {
    return await create();
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    const found = await existing();
    if (found) return replayed(found);
    throw err;
  }
}

/** An earlier attempt's aggregate, for callers that read it themselves (see `createOnce`). */
export function replayed<T>(found: Versioned<T>): Created<T> {
  return { ...found, replayed: true };
}
