import type { Container } from '@azure/cosmos';
import type { Notification } from '../../domain/notifications/notification';
import type { NotificationRepository } from '../../application/notifications/notifications';
import type { Page, PageRequest, Versioned } from '../../application/ports';
import { fromDoc, readDoc, statusOf, toDoc, translateError, type StoredDoc } from './documents';
import { queryPage } from './paging';

/** Notification records, partitioned by recipient: "my notifications" is one partition. */
export class CosmosNotificationRepository implements NotificationRepository {
  constructor(private readonly container: Container) {}

  async create(n: Notification): Promise<Versioned<Notification> | undefined> {
    try {
      const { resource } = await this.container.items.create<StoredDoc>(toDoc('notification', n.id, n));
      return fromDoc<Notification>(resource as StoredDoc);
    } catch (err) {
      if (statusOf(err) === 409) return undefined;
      return translateError(err, 'notification');
    }
  }

  async get(recipientUserId: string, id: string): Promise<Versioned<Notification> | undefined> {
    const doc = await readDoc(this.container, id, recipientUserId);
    return doc ? fromDoc<Notification>(doc) : undefined;
  }

  async replace(n: Notification, etag: string): Promise<Versioned<Notification>> {
    try {
      const { resource } = await this.container
        .item(n.id, n.recipientUserId)
        .replace<StoredDoc>(toDoc('notification', n.id, n), { accessCondition: { type: 'IfMatch', condition: etag } });
      return fromDoc<Notification>(resource as StoredDoc);
    } catch (err) {
      return translateError(err, 'notification');
    }
  }

  async listForRecipient(recipientUserId: string, filter: { orderId?: string }, page: PageRequest): Promise<Page<Notification>> {
    const orderClause = filter.orderId ? ' AND c.orderId = @orderId' : '';
    const result = await queryPage(
      this.container,
      {
        query: `SELECT * FROM c WHERE c.recipientUserId = @r AND c.docType = "notification"${orderClause} ORDER BY c.createdAt DESC`,
        parameters: [
          { name: '@r', value: recipientUserId },
          ...(filter.orderId ? [{ name: '@orderId', value: filter.orderId }] : []),
        ],
      },
      page,
      recipientUserId,
    );
    return { ...result, items: result.items.map((d) => fromDoc<Notification>(d).value) };
  }

  async listByOrder(orderId: string, page: PageRequest): Promise<Page<Notification>> {
    const result = await queryPage(
      this.container,
      {
        query: 'SELECT * FROM c WHERE c.docType = "notification" AND c.orderId = @orderId ORDER BY c.createdAt DESC',
        parameters: [{ name: '@orderId', value: orderId }],
      },
      page,
    );
    return { ...result, items: result.items.map((d) => fromDoc<Notification>(d).value) };
  }
}
