import { randomUUID } from 'node:crypto';
import { transitionsAfter, type OrderTransition } from '../../domain/orders/transitions';
import { ConflictError, PreconditionFailedError, UnavailableError } from '../errors';
import type { Clock, OrderRepository, Versioned } from '../ports';

/**
 * Delivers an order's status changes to a partner that mirrors them (Qsystems, the Asana task):
 * every transition once, in version order, whatever the bus does with the events that trigger it
 * (late, reordered, repeated, concurrent) and through partner outages (docs/integrations.md,
 * "Transitions to Qsystems and Asana").
 *
 * The order's history is the source of truth; a cursor per (order, partner) records the last
 * version the partner has. A run reads the cursor and the history, takes the cursor's claim (an
 * ETag-conditional write, so one run at a time delivers for an order and partner), delivers each
 * transition after the cursor in order and advances the cursor after each. A run for an event whose
 * version the cursor has passed does nothing; a missed or reordered event is made up for by the next
 * run, which reads the history after taking the claim.
 */
export type SyncedPartner = 'qsystems' | 'asana';

/** The stored cursor: one per (order, partner), in the client's partition of `orders` (docs/data-model.md). */
export interface PartnerSyncCursor {
  readonly orderId: string;
  readonly clientId: string;
  readonly partner: SyncedPartner;
  /** The last order version whose transition the partner has (0: none yet). */
  readonly version: number;
  /** A run delivering for this order and partner, until `until` (renewed with every advance). */
  readonly claim?: { readonly owner: string; readonly until: string };
  /**
   * A run stopped on a failure after it may have started delivering the transition after
   * `version`: the next run asks the partner before delivering that one again.
   */
  readonly unsure?: boolean;
  readonly updatedAt: string;
}

/** The cursors' store. */
export interface PartnerSyncCursors {
  get(clientId: string, orderId: string, partner: SyncedPartner): Promise<Versioned<PartnerSyncCursor> | undefined>;
  /**
   * `etag` null creates (ConflictError when it exists); otherwise replaces only if the stored
   * cursor still has that ETag (PreconditionFailedError).
   */
  put(cursor: PartnerSyncCursor, etag: string | null): Promise<Versioned<PartnerSyncCursor>>;
}

export interface TransitionSyncDeps {
  readonly orders: Pick<OrderRepository, 'history'>;
  readonly syncCursors: PartnerSyncCursors;
  readonly clock: Clock;
}

export interface TransitionJob {
  readonly partner: SyncedPartner;
  readonly clientId: string;
  readonly orderId: string;
  /**
   * The version of the event being handled, when it carries one: nothing to do once the cursor has
   * reached it. Without it, everything recorded so far is delivered.
   */
  readonly upTo?: number;
  /** Delivers one transition; throws when the partner did not take it (the bus retries). */
  deliver(t: OrderTransition): Promise<void>;
  /**
   * Whether the partner already has the transition, for partners that cannot refuse a repeat
   * themselves: asked only for the first transition of a run that follows a run that stopped
   * without knowing (a failure or a crash after its delivery began).
   */
  alreadyDelivered?(t: OrderTransition): Promise<boolean>;
}

/**
 * Longer than a delivery can take (a partner call under its policy stays under 60 s; Asana's
 * delivery is two calls); renewed after every transition. A run that died holding the claim
 * blocks the order's sync with that partner this long.
 */
export const SYNC_LEASE_MS = 150_000;
/** When a run that found the claim held asks to be tried again: about one delivery's time. */
const HELD_RETRY_SECONDS = 2;

const lostRace = (err: unknown) => err instanceof PreconditionFailedError || err instanceof ConflictError;

/** Reads the order's whole history (single partition, a page or two for any real order). */
async function historyOf(deps: TransitionSyncDeps, clientId: string, orderId: string) {
  const entries = [];
  let continuationToken: string | undefined;
  do {
    const page = await deps.orders.history(clientId, orderId, {
      limit: 100,
      ...(continuationToken ? { continuationToken } : {}),
    });
    entries.push(...page.items);
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return entries;
}

/** Delivers what the partner lacks; answers how many transitions this run delivered. */
export async function deliverTransitions(deps: TransitionSyncDeps, job: TransitionJob): Promise<number> {
  const owner = randomUUID();
  const now = () => deps.clock.now();
  const leaseUntil = () => new Date(now().getTime() + SYNC_LEASE_MS).toISOString();

  for (;;) {
    const current = await deps.syncCursors.get(job.clientId, job.orderId, job.partner);
    const cursor = current?.value;
    const done = cursor?.version ?? 0;
    if (job.upTo !== undefined && done >= job.upTo) return 0;

    const claim = cursor?.claim;
    if (claim && Date.parse(claim.until) > now().getTime()) {
      // Another run is delivering. Not waited for here (a function that sleeps holds a concurrency
      // slot and bills compute): the message is tried again later — usually to find that the other
      // run delivered this event's transition too.
      throw new UnavailableError(
        `the ${job.partner} sync of order ${job.orderId} is held by another delivery`,
        HELD_RETRY_SECONDS,
      );
    }
    // Read after the cursor: everything recorded before this run started is in it.
    const pending = transitionsAfter(await historyOf(deps, job.clientId, job.orderId), done);
    if (pending.length === 0) return 0;
    let held: Versioned<PartnerSyncCursor>;
    try {
      held = await deps.syncCursors.put(
        {
          orderId: job.orderId,
          clientId: job.clientId,
          partner: job.partner,
          version: done,
          claim: { owner, until: leaseUntil() },
          ...(cursor?.unsure ? { unsure: true } : {}),
          updatedAt: now().toISOString(),
        },
        current?.etag ?? null,
      );
    } catch (err) {
      if (lostRace(err)) continue;
      throw err;
    }
    // An expired claim is a run that died; `unsure`, one that failed. Either may have delivered the
    // first pending transition without recording it.
    return deliverClaimed(deps, job, held, pending, claim !== undefined || cursor?.unsure === true, leaseUntil);
  }
}

/**
 * Delivers `pending` in order under the claim `held`, advancing the cursor after each; the last
 * advance gives the claim back. Transitions recorded meanwhile are left to their own events, whose
 * runs find the claim free again.
 */
async function deliverClaimed(
  deps: TransitionSyncDeps,
  job: TransitionJob,
  claimed: Versioned<PartnerSyncCursor>,
  pending: readonly OrderTransition[],
  checkFirst: boolean,
  leaseUntil: () => string,
): Promise<number> {
  let held = claimed;
  const stamp = () => deps.clock.now().toISOString();
  const stop = async (err: unknown): Promise<never> => {
    // Give the claim back marked unsure (best effort: if this fails too, the lease runs out).
    const { claim: _claim, ...rest } = held.value;
    await deps.syncCursors.put({ ...rest, unsure: true, updatedAt: stamp() }, held.etag).catch(() => undefined);
    throw err;
  };
  for (const [i, t] of pending.entries()) {
    try {
      const there = i === 0 && checkFirst && job.alreadyDelivered ? await job.alreadyDelivered(t) : false;
      if (!there) await job.deliver(t);
    } catch (err) {
      return stop(err);
    }
    const last = i === pending.length - 1;
    const { claim, unsure: _unsure, ...rest } = held.value;
    try {
      held = await deps.syncCursors.put(
        {
          ...rest,
          version: t.version,
          ...(last ? {} : { claim: { owner: claim?.owner ?? '', until: leaseUntil() } }),
          updatedAt: stamp(),
        },
        held.etag,
      );
    } catch (err) {
      // Our lease ran out and another run took the claim: it delivers the rest, asking the partner
      // first about the transition we just delivered.
      if (lostRace(err)) return i + 1;
      return stop(err);
    }
  }
  return pending.length;
}
