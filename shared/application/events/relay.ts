import type { DomainEvent } from '../../domain/shared/events';
import { messageFor, type MessagePublisher } from '../messaging';

/** An outbox document as the relay sees it: where it is, and the event it carries. */
export interface OutboxEntry {
  readonly id: string;
  readonly partitionKey: string;
  readonly event: DomainEvent;
}

/** The outbox side of a container that holds event documents. */
export interface Outbox {
  /** Events not yet relayed, written before `olderThan` (the sweep's safety net). */
  findUnrelayed(olderThan: Date, limit: number): Promise<OutboxEntry[]>;
  /** Marks relayed events; they then expire by TTL. */
  markRelayed(entries: readonly OutboxEntry[]): Promise<void>;
}

/**
 * An outbox whose container feeds the relay through its change feed: it recognises its own
 * unrelayed entries among the changed documents (the document's shape is the adapter's).
 */
export interface ChangeFeedOutbox extends Outbox {
  entriesIn(changedDocuments: readonly unknown[]): OutboxEntry[];
}

/**
 * Publishes outbox entries and then marks them. Publishing first means a crash in between publishes
 * again later — harmless, because the message id is the event id and the bus drops the duplicate.
 */
export async function relay(
  entries: readonly OutboxEntry[],
  deps: { publisher: MessagePublisher; outbox: Outbox },
): Promise<number> {
  if (entries.length === 0) return 0;
  await deps.publisher.publish(entries.map((e) => messageFor(e.event)));
  await deps.outbox.markRelayed(entries);
  return entries.length;
}

/** The change-feed relay: the unrelayed events among a batch of changed documents, published. */
export async function relayChanges(
  changedDocuments: readonly unknown[],
  deps: { publisher: MessagePublisher; outbox: ChangeFeedOutbox },
): Promise<number> {
  return relay(deps.outbox.entriesIn(changedDocuments), deps);
}

/** What the sweep reports (docs/operations.md, "Metrics"): the backlog it found, before relaying it. */
export interface OutboxMetrics {
  outboxBacklog(attributes: { readonly container: string; readonly unrelayed: number; readonly oldestAgeSeconds: number }): void;
}

/**
 * The timer's sweep: anything the change-feed relay missed (it advances its lease even on failure).
 * With `metrics`, it reports the first page it found (up to `batch` events, and the oldest of them)
 * before publishing, so a backlog the sweep cannot clear (the bus refusing) still shows, older at
 * each run; an empty sweep reports 0.
 */
export async function sweepOutbox(
  deps: { publisher: MessagePublisher; outbox: Outbox; now: () => Date; metrics?: OutboxMetrics; container?: string },
  opts: { olderThanMs: number; batch: number },
): Promise<number> {
  let total = 0;
  for (let page = 0; ; page++) {
    const entries = await deps.outbox.findUnrelayed(new Date(deps.now().getTime() - opts.olderThanMs), opts.batch);
    if (page === 0) reportBacklog(entries, deps);
    total += await relay(entries, deps);
    if (entries.length < opts.batch) return total;
  }
}

function reportBacklog(entries: readonly OutboxEntry[], deps: { now: () => Date; metrics?: OutboxMetrics; container?: string }) {
  if (!deps.metrics) return;
  const times = entries.map((e) => Date.parse(e.event.time)).filter((t) => !Number.isNaN(t));
  const oldest = times.length > 0 ? Math.min(...times) : deps.now().getTime();
  deps.metrics.outboxBacklog({
    container: deps.container ?? 'outbox',
    unrelayed: entries.length,
    oldestAgeSeconds: Math.max(0, (deps.now().getTime() - oldest) / 1000),
  });
}
