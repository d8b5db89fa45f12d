import type { Container, PatchOperation } from '@azure/cosmos';
import type { DomainEvent } from '../../domain/shared/events';
import type { Outbox, OutboxEntry } from '../../application/events/relay';
import type { OutboxHistory, OutboxRecord, TimeWindow } from '../../application/events/republish';
import { statusOf, toDoc, translateError, type StoredDoc } from './documents';
import { queryPages } from './paging';

/**
 * The outbox document, defined and parsed here only: the event envelope plus relay bookkeeping,
 * written in the aggregate's partition in the same batch as the aggregate (the repositories call
 * `eventDoc`), read back by the change-feed relay (`outboxEntriesIn`) and by the sweep
 * (`CosmosOutbox.findUnrelayed`), and marked relayed (`CosmosOutbox.markRelayed`); read back by time,
 * relayed or not, by the operators' republish (`CosmosOutbox.eventsWritten`, docs/operations.md "Outbox").
 *
 *   { id: <event id>, docType: 'event', <partition field>: …, envelope: DomainEvent,
 *     eventType: <envelope.type>, relayed: false → true, ttl: set once relayed }
 */
const EVENT_DOC_TYPE = 'event';

/** Relayed event documents stay this long (for inspection), then Cosmos deletes them. */
export const RELAYED_EVENT_TTL_SECONDS = 24 * 3600;

/** An outbox document for `e`, in the partition `partitionField` = `partitionValue`. */
export function eventDoc(partitionField: string, partitionValue: string, e: DomainEvent): StoredDoc {
  return toDoc(EVENT_DOC_TYPE, e.id, { envelope: e, eventType: e.type, relayed: false }, { [partitionField]: partitionValue });
}

/** The relay's view of an outbox document. */
function entryOf(doc: Readonly<Record<string, unknown>>, partitionField: string): OutboxEntry {
  return { id: String(doc.id), partitionKey: String(doc[partitionField]), event: doc.envelope as DomainEvent };
}

/** The unrelayed outbox entries among changed documents (the change feed also carries orders, history, ...). */
export function outboxEntriesIn(documents: readonly unknown[], partitionField: string): OutboxEntry[] {
  const entries: OutboxEntry[] = [];
  for (const doc of documents) {
    const d = doc as Record<string, unknown>;
    if (d.docType !== EVENT_DOC_TYPE || d.relayed === true) continue;
    entries.push(entryOf(d, partitionField));
  }
  return entries;
}

/** The outbox of a container whose event documents are partitioned by `partitionField`. */
export class CosmosOutbox implements Outbox, OutboxHistory {
  constructor(
    private readonly container: Container,
    private readonly partitionField: string,
  ) {}

  /** The unrelayed outbox entries among this container's changed documents. */
  entriesIn(documents: readonly unknown[]): OutboxEntry[] {
    return outboxEntriesIn(documents, this.partitionField);
  }

  async findUnrelayed(olderThan: Date, limit: number): Promise<OutboxEntry[]> {
    try {
      // The sweep is the one cross-partition read of the outbox: a safety net, run by a timer.
      const { resources } = await this.container.items
        .query<StoredDoc>(
          {
            query: `SELECT * FROM c WHERE c.docType = "${EVENT_DOC_TYPE}" AND c.relayed = false AND c.envelope.time < @t`,
            parameters: [{ name: '@t', value: olderThan.toISOString() }],
          },
          { maxItemCount: limit },
        )
        .fetchNext();
      return resources.map((d) => entryOf(d, this.partitionField));
    } catch (err) {
      return translateError(err, 'outbox');
    }
  }

  async *eventsWritten(window: TimeWindow, pageSize: number): AsyncIterable<readonly OutboxRecord[]> {
    // Cross-partition, by the event's time (the batch's time; `_ts` would move when the document is
    // marked relayed). `envelope.time` is an ISO-8601 UTC string, so string order is time order.
    const spec = {
      query:
        `SELECT * FROM c WHERE c.docType = "${EVENT_DOC_TYPE}" AND c.envelope.time >= @since AND c.envelope.time < @until ` +
        'ORDER BY c.envelope.time ASC',
      parameters: [
        { name: '@since', value: window.since.toISOString() },
        { name: '@until', value: window.until.toISOString() },
      ],
    };
    for await (const page of queryPages(this.container, spec, pageSize, 'outbox'))
      yield page.map((d) => ({ ...entryOf(d, this.partitionField), relayed: d.relayed === true }));
  }

  async markRelayed(entries: readonly OutboxEntry[]): Promise<void> {
    const patch: PatchOperation[] = [
      { op: 'set', path: '/relayed', value: true },
      { op: 'set', path: '/ttl', value: RELAYED_EVENT_TTL_SECONDS },
    ];
    await Promise.all(
      entries.map(async (e) => {
        try {
          await this.container.item(e.id, e.partitionKey).patch(patch);
        } catch (err) {
          // Already expired or removed: nothing left to mark.
          if (statusOf(err) !== 404) translateError(err, 'outbox entry');
        }
      }),
    );
  }
}
