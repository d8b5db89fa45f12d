import type { Container } from '@azure/cosmos';
import { PreconditionFailedError } from '../../application/errors';
import type { Versioned } from '../../application/ports';
import type { ConversationRecord, ConversationStore } from '../../application/whatsapp/ports';
import { fromDoc, readDoc, statusOf, toDoc, translateError, type StoredDoc } from './documents';

/**
 * WhatsApp conversations, one document per phone number, beside the notifications (the same
 * bounded context): id `conv~<E.164>` in the partition `whatsapp:<E.164>`. No expiry: the "one
 * polite reply, ever" to an unknown number depends on it.
 */
const STORAGE_ONLY = ['recipientUserId'];
const keyOf = (phone: string) => ({ id: `conv~${phone}`, partition: `whatsapp:${phone}` });

export class CosmosConversationStore implements ConversationStore {
  constructor(private readonly container: Container) {}

  async get(phone: string): Promise<Versioned<ConversationRecord> | undefined> {
    const { id, partition } = keyOf(phone);
    const doc = await readDoc(this.container, id, partition);
    return doc ? fromDoc<ConversationRecord>(doc, STORAGE_ONLY) : undefined;
  }

  async put(record: ConversationRecord, etag?: string): Promise<Versioned<ConversationRecord>> {
    const { id, partition } = keyOf(record.phone);
    const doc = toDoc('conversation', id, record, { recipientUserId: partition });
    try {
      const { resource } = etag
        ? await this.container
            .item(id, partition)
            .replace<StoredDoc>(doc, { accessCondition: { type: 'IfMatch', condition: etag } })
        : await this.container.items.create<StoredDoc>(doc);
      return fromDoc<ConversationRecord>(resource as StoredDoc, STORAGE_ONLY);
    } catch (err) {
      // Another delivery for the same phone wrote first: the caller re-reads and decides again.
      if (statusOf(err) === 409 || statusOf(err) === 412) throw new PreconditionFailedError('the conversation changed');
      return translateError(err, 'conversation');
    }
  }
}
