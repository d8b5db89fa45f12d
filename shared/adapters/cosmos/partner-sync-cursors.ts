import type { Container } from '@azure/cosmos';
import type { Versioned } from '../../application/ports';
import type { PartnerSyncCursor, PartnerSyncCursors, SyncedPartner } from '../../application/orders/transition-sync';
import { fromDoc, readDoc, toDoc, translateError, type StoredDoc } from './documents';

/**
 * The partner sync cursors (docs/integrations.md, "Transitions to Qsystems and Asana"): one small
 * document per (order, partner) in the order's client partition, id `<orderId>~sync~<partner>`.
 * Kept apart from the order so that recording a delivery never changes the order's ETag (a
 * caller's `If-Match` stays valid) and never races the order's own writers.
 */
export class CosmosPartnerSyncCursors implements PartnerSyncCursors {
  constructor(private readonly container: Container) {}

  private docId(orderId: string, partner: SyncedPartner): string {
    return `${orderId}~sync~${partner}`;
  }

  async get(clientId: string, orderId: string, partner: SyncedPartner): Promise<Versioned<PartnerSyncCursor> | undefined> {
    const doc = await readDoc(this.container, this.docId(orderId, partner), clientId);
    return doc?.docType === 'partner-sync' ? fromDoc<PartnerSyncCursor>(doc, ['id']) : undefined;
  }

  async put(cursor: PartnerSyncCursor, etag: string | null): Promise<Versioned<PartnerSyncCursor>> {
    const id = this.docId(cursor.orderId, cursor.partner);
    const doc = toDoc('partner-sync', id, cursor);
    try {
      if (etag === null) {
        const { resource } = await this.container.items.create<StoredDoc>(doc);
        return fromDoc<PartnerSyncCursor>(resource as StoredDoc, ['id']);
      }
      const { resource } = await this.container
        .item(id, cursor.clientId)
        .replace<StoredDoc>(doc, { accessCondition: { type: 'IfMatch', condition: etag } });
      return fromDoc<PartnerSyncCursor>(resource as StoredDoc, ['id']);
    } catch (err) {
      // A replace of a cursor that is gone means it changed meanwhile, like a lost ETag.
      if ((err as { code?: number }).code === 404) return translateError({ code: 412 }, 'partner sync cursor');
      return translateError(err, 'partner sync cursor');
    }
  }
}
