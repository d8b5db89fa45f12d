import type { Container } from '@azure/cosmos';
import type { Attachment, AttachmentRepository } from '../../application/orders/attachments';
import { fromDoc, readDoc, toDoc, translateError, type StoredDoc } from './documents';

/** Order attachments in the order's client partition, id `<orderId>~a~<attachmentId>`. */
export class CosmosAttachmentRepository implements AttachmentRepository {
  constructor(private readonly container: Container) {}

  private docId(orderId: string, attachmentId: string): string {
    return `${orderId}~a~${attachmentId}`;
  }

  async put(a: Attachment): Promise<void> {
    try {
      await this.container.items.upsert(toDoc('attachment', this.docId(a.orderId, a.id), a, { attachmentId: a.id }));
    } catch (err) {
      translateError(err, 'attachment');
    }
  }

  async get(clientId: string, orderId: string, attachmentId: string): Promise<Attachment | undefined> {
    const doc = await readDoc(this.container, this.docId(orderId, attachmentId), clientId);
    return doc?.docType === 'attachment' ? this.value(doc) : undefined;
  }

  async list(clientId: string, orderId: string): Promise<Attachment[]> {
    try {
      const { resources } = await this.container.items
        .query<StoredDoc>(
          {
            query:
              'SELECT * FROM c WHERE c.clientId = @clientId AND c.docType = "attachment" AND c.orderId = @orderId ORDER BY c.createdAt ASC',
            parameters: [
              { name: '@clientId', value: clientId },
              { name: '@orderId', value: orderId },
            ],
          },
          { partitionKey: clientId },
        )
        .fetchAll();
      return resources.map((d) => this.value(d));
    } catch (err) {
      return translateError(err, 'attachments');
    }
  }

  private value(doc: StoredDoc): Attachment {
    const v = fromDoc<Attachment & { attachmentId?: string }>(doc, ['attachmentId']).value;
    return { ...v, id: String(doc.attachmentId) };
  }
}
