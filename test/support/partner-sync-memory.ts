import { ConflictError, PreconditionFailedError } from '../../shared/application/errors';
import type { Versioned } from '../../shared/application/ports';
import type { PartnerSyncCursor, PartnerSyncCursors, SyncedPartner } from '../../shared/application/orders/transition-sync';

/** In-memory partner sync cursors: the Cosmos adapter's contract (create-only with null, replace on the ETag). */
export class MemoryPartnerSyncCursors implements PartnerSyncCursors {
  readonly docs = new Map<string, Versioned<PartnerSyncCursor>>();
  private etags = 0;
  /** Every successful write, in order (what the tests inspect). */
  readonly writes: PartnerSyncCursor[] = [];

  async get(clientId: string, orderId: string, partner: SyncedPartner) {
    const found = this.docs.get(`${orderId}/${partner}`);
    return found && found.value.clientId === clientId ? found : undefined;
  }

  async put(cursor: PartnerSyncCursor, etag: string | null) {
    const key = `${cursor.orderId}/${cursor.partner}`;
    const current = this.docs.get(key);
    if (etag === null && current) throw new ConflictError('sync cursor already exists');
    if (etag !== null && current?.etag !== etag) throw new PreconditionFailedError('sync cursor was changed by someone else');
    const stored = { value: cursor, etag: `"s${++this.etags}"` };
    this.docs.set(key, stored);
    this.writes.push(cursor);
    return stored;
  }
}
