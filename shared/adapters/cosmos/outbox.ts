import type { Container, PatchOperation } from '@azure/cosmos';
import type { DomainEvent } from '../../domain/shared/events';
import type { Outbox, OutboxEntry } from '../../application/events/relay';
import { statusOf, toDoc, translateError, type StoredDoc } from './documents';

/** Relayed event documents stay this long (for inspection), then Cosmos deletes them. */
export const RELAYED_EVENT_TTL_SECONDS = 24 * 3600;

/** The outbox of a container whose event documents are partitioned by `partitionField`. */
export class CosmosOutbox implements Outbox {
  constructor(
    private readonly container: Container,
    private readonly partitionField: string,
  ) {}

  async findUnrelayed(olderThan: Date, limit: number): Promise<OutboxEntry[]> {
    try {
      // The sweep is the one cross-partition read of the outbox: a safety net, run by a timer.
      const { resources } = await this.container.items
        .query<StoredDoc>(
          {
            query: 'SELECT * FROM c WHERE c.docType = "event" AND c.relayed = false AND c.envelope.time < @t',
            parameters: [{ name: '@t', value: olderThan.toISOString() }],
          },
          { maxItemCount: limit },
        )
        .fetchNext();
      return resources.map((d) => ({ id: d.id, partitionKey: String(d[this.partitionField]), event: d.envelope as DomainEvent }));
    } catch (err) {
      return translateError(err, 'outbox');
    }
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

/** An outbox document: the event envelope plus relay bookkeeping, in the aggregate's partition. */
export function eventDoc(partitionField: string, partitionValue: string, e: DomainEvent): StoredDoc {
  return toDoc('event', e.id, { envelope: e, eventType: e.type, relayed: false }, { [partitionField]: partitionValue });
}
