import { STALE_IN_FLIGHT_MS, type Delivery } from '../../domain/feed/delivery';
import type { Clock } from '../ports';
import type { MessagePublisher } from '../messaging';
import { laneDue } from './dispatch';
import type { OpenDeliveryScan } from './ports';

/**
 * The feed's lanes woken again after a Service Bus failover. A lane moves only when a wake-up
 * (`feed.lane-due`) arrives, and wake-ups go to the bus directly, not through the outbox: those on
 * the old primary namespace — a retry waiting for its time, a new delivery's first look — are not on
 * the new one (Geo-DR replicates no messages), and republishing the outbox does not bring them back
 * (the feed consumer has already handled those events). Their deliveries are safe in Cosmos but would
 * wait for the next event of the same order. This sends each lane with unfinished deliveries one
 * wake-up, when its lane would have been looked at: the time of the retry it waits for, the moment an
 * attempt in flight counts as dead, or now for pending ones. A wake-up that was not lost after all is
 * harmless: the lane's lock and the deliveries' ETags let one wake-up start an attempt.
 */
export interface RewakeDeps {
  readonly scan: OpenDeliveryScan;
  readonly publisher: MessagePublisher;
  readonly clock: Clock;
}

const PAGE_SIZE = 100;

/** When the lane of these unfinished deliveries must be looked at again. */
export function laneDueAt(open: readonly Delivery[], now: Date): Date {
  // At most one delivery of a lane holds it (in flight or waiting for its retry): it decides.
  const holder = open.find((d) => d.status === 'in-flight' || d.status === 'retry-scheduled');
  const at =
    holder?.status === 'retry-scheduled'
      ? Date.parse(holder.nextAttemptAt ?? '')
      : holder
        ? Date.parse(holder.inFlightSince ?? '') + STALE_IN_FLIGHT_MS
        : now.getTime();
  return new Date(Number.isNaN(at) ? now.getTime() : Math.max(at, now.getTime()));
}

/** One wake-up per lane with unfinished deliveries; answers how many lanes. `tag` makes this run's ids. */
export async function rewakeOpenLanes(deps: RewakeDeps, opts: { tag: string; correlationId: string }): Promise<number> {
  const lanes = new Map<string, Delivery[]>();
  for await (const page of deps.scan.openDeliveriesEverywhere(PAGE_SIZE))
    for (const d of page) {
      const key = `${d.clientId} ${d.endpointId} ${d.orderId}`;
      lanes.set(key, [...(lanes.get(key) ?? []), d]);
    }
  const now = deps.clock.now();
  const wakeUps = [...lanes.values()].map((open) => {
    const { clientId, endpointId, orderId } = open[0]!;
    return laneDue({ clientId, endpointId, orderId }, `rewake~${opts.tag}`, laneDueAt(open, now), opts.correlationId);
  });
  for (let i = 0; i < wakeUps.length; i += PAGE_SIZE) await deps.publisher.publish(wakeUps.slice(i, i + PAGE_SIZE));
  return wakeUps.length;
}
