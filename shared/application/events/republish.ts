import { messageFor, type MessagePublisher } from '../messaging';
import type { Outbox, OutboxEntry } from './relay';

/**
 * Republishing the outbox: after a Service Bus failover (Geo-DR replicates entities, not messages,
 * so whatever sat on the old primary namespace is not on the new one) and after a data recovery, the
 * events written since a point in time go to the bus again. Every event document is read — relayed or
 * not — and published with messageId = event id (`messageFor`, as the relay does), so the bus's
 * duplicate detection and the consumers' processed-event records make a second delivery a no-op;
 * what never arrived is delivered now. Unrelayed documents are marked relayed afterwards, as the relay
 * does, so the sweep does not send them again.
 *
 * The window is bounded by the outbox's retention: a relayed document expires `retentionSeconds`
 * after it was marked (its TTL), and it was marked after it was written, so every event written less
 * than `retentionSeconds` ago is still there. Older ones may be gone: such a `since` is refused
 * unless forced (then what is left is republished, and the answer says the window was incomplete).
 */

/** An outbox document read back: where it is, its event, and whether the relay had sent it. */
export interface OutboxRecord extends OutboxEntry {
  readonly relayed: boolean;
}

export interface TimeWindow {
  readonly since: Date;
  readonly until: Date;
}

/** The outbox's past: the port `republishSince` and `countSince` read. */
export interface OutboxHistory {
  /**
   * Every event document whose event was written in [since, until) — by the event's `time`, which is
   * the time of the batch that wrote it — relayed or not, oldest first, `pageSize` at a time (a
   * cross-partition read: an operator's tool, never a request path).
   */
  eventsWritten(window: TimeWindow, pageSize: number): AsyncIterable<readonly OutboxRecord[]>;
}

/** One container's outbox as the republish sees it. */
export interface RepublishSource {
  readonly name: string;
  readonly outbox: OutboxHistory & Pick<Outbox, 'markRelayed'>;
}

export interface RepublishDeps {
  readonly sources: readonly RepublishSource[];
  readonly publisher: MessagePublisher;
  readonly now: () => Date;
  /** How long relayed event documents are kept (their TTL): the reach of a complete republish. */
  readonly retentionSeconds: number;
}

export interface RepublishRequest {
  /**
   * `'oldest'`: the oldest time the outbox answers for completely, now − `retentionSeconds` — what a
   * Service Bus failover needs, because a message accepted up to that long before (a deadline
   * scheduled for later) may have been waiting on the lost namespace.
   */
  readonly since: Date | 'oldest';
  /** Default: now. */
  readonly until?: Date;
  /** Go ahead with a `since` beyond the retention (what is left is republished). */
  readonly force?: boolean;
}

/** A window the outbox cannot answer for: refused before anything is read or sent. */
export class RepublishWindowError extends Error {
  override readonly name = 'RepublishWindowError';
}

export interface TypeCount {
  readonly relayed: number;
  readonly unrelayed: number;
}

export interface OutboxCount {
  readonly window: TimeWindow;
  /** False when `since` is older than the retention: relayed events before the cutoff may be gone. */
  readonly complete: boolean;
  readonly total: number;
  readonly byType: Readonly<Record<string, TypeCount>>;
  readonly byContainer: Readonly<Record<string, number>>;
}

export interface RepublishResult {
  readonly window: TimeWindow;
  readonly complete: boolean;
  /** Events sent to the bus (0 on a dry run). */
  readonly published: number;
  /** Events found in the window (what a dry run would send). */
  readonly total: number;
  readonly byType: Readonly<Record<string, number>>;
  /** Of them, never relayed before (now marked relayed). */
  readonly unrelayed: number;
  readonly dryRun: boolean;
}

const PAGE_SIZE = 100;

/** The window asked for, checked against the outbox's retention. */
export function republishWindow(
  request: RepublishRequest,
  deps: Pick<RepublishDeps, 'now' | 'retentionSeconds'>,
): { window: TimeWindow; complete: boolean } {
  const now = deps.now();
  const until = request.until ?? now;
  const cutoff = new Date(now.getTime() - deps.retentionSeconds * 1000);
  const since = request.since === 'oldest' ? cutoff : request.since;
  if (Number.isNaN(since.getTime()) || Number.isNaN(until.getTime()))
    throw new RepublishWindowError('since and until must be valid times');
  if (since >= until)
    throw new RepublishWindowError(`since (${since.toISOString()}) must be before until (${until.toISOString()})`);
  const complete = since >= cutoff;
  if (!complete && !request.force)
    throw new RepublishWindowError(
      `since ${since.toISOString()} is older than the outbox keeps relayed events ` +
        `(${deps.retentionSeconds / 3600} h: nothing relayed before ${cutoff.toISOString()} is certain to be left); ` +
        'use --since oldest for everything it keeps, or --force to republish what is left',
    );
  return { window: { since, until }, complete };
}

/** How many events the outbox holds for the window, per type, relayed or not: the verification count. */
export async function countSince(deps: Omit<RepublishDeps, 'publisher'>, request: RepublishRequest): Promise<OutboxCount> {
  const { window, complete } = republishWindow(request, deps);
  const byType: Record<string, { relayed: number; unrelayed: number }> = {};
  const byContainer: Record<string, number> = {};
  let total = 0;
  for (const source of deps.sources) {
    let inContainer = 0;
    for await (const page of source.outbox.eventsWritten(window, PAGE_SIZE))
      for (const record of page) {
        const count = (byType[record.event.type] ??= { relayed: 0, unrelayed: 0 });
        if (record.relayed) count.relayed++;
        else count.unrelayed++;
        inContainer++;
      }
    byContainer[source.name] = inContainer;
    total += inContainer;
  }
  return { window, complete, total, byType, byContainer };
}

/**
 * Publishes every event written in the window again (see the module comment); a dry run only counts.
 * Page by page, so a crash half-way leaves nothing inconsistent: running it again sends the same
 * messages, which are absorbed as duplicates.
 */
export async function republishSince(
  deps: RepublishDeps,
  request: RepublishRequest & { readonly dryRun?: boolean },
): Promise<RepublishResult> {
  const { window, complete } = republishWindow(request, deps);
  const byType: Record<string, number> = {};
  let total = 0;
  let published = 0;
  let unrelayed = 0;
  for (const source of deps.sources) {
    for await (const page of source.outbox.eventsWritten(window, PAGE_SIZE)) {
      for (const record of page) byType[record.event.type] = (byType[record.event.type] ?? 0) + 1;
      total += page.length;
      const neverRelayed = page.filter((r) => !r.relayed);
      unrelayed += neverRelayed.length;
      if (request.dryRun || page.length === 0) continue;
      await deps.publisher.publish(page.map((r) => messageFor(r.event)));
      published += page.length;
      if (neverRelayed.length > 0) await source.outbox.markRelayed(neverRelayed);
    }
  }
  return { window, complete, published, total, byType, unrelayed, dryRun: request.dryRun === true };
}
