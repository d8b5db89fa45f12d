import type { Principal } from '../domain/access/principal';
import type { DomainEvent, EventDraft } from '../domain/shared/events';
import { makeId } from '../domain/shared/ids';
import type { IdempotentRequest } from './idempotency';
import type { Clock, IdGenerator } from './ports';

/** What every use case knows about the call it serves. */
export interface CallContext {
  readonly principal: Principal;
  readonly correlationId: string;
  readonly traceparent?: string;
  /** Set for a create sent with an `Idempotency-Key`: the aggregate's id comes from it (`newUlid`). */
  readonly idempotency?: IdempotentRequest;
}

/** Turns the domain's event drafts into envelopes, stamped with id, time and the call's correlation. */
export function toEvents(
  drafts: readonly EventDraft[],
  source: string,
  call: Pick<CallContext, 'correlationId' | 'traceparent'>,
  deps: { clock: Clock; ids: IdGenerator },
): DomainEvent[] {
  const time = deps.clock.now().toISOString();
  // Sorted, so that the events of one write (same `time`) sort by id in the order they were decided:
  // the client feed orders an order's events by (time, id).
  const ulids = drafts.map(() => deps.ids.ulid()).sort();
  return drafts.map((d, i) => ({
    id: makeId('event', ulids[i] as string),
    type: d.type,
    source,
    subject: d.subject,
    time,
    dataVersion: d.dataVersion,
    data: d.data,
    correlationId: call.correlationId,
    ...(call.traceparent ? { traceparent: call.traceparent } : {}),
    ...(d.deliverAt ? { deliverAt: d.deliverAt } : {}),
  }));
}
