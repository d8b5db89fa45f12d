import type { Container } from '@azure/cosmos';
import type { ProcessedEvents } from '../../application/events/consumer';
import type { WebhookReceipts } from '../../application/webhook-events';
import { readDoc, statusOf, translateError } from './documents';

/**
 * Consumer idempotency records, expiring by the container's TTL (7 days, beyond any redelivery), and
 * the partner webhooks' receipts, expiring by their own `ttl` (longer than their sender's window).
 */
export class CosmosProcessedEvents implements ProcessedEvents, WebhookReceipts {
  constructor(private readonly container: Container) {}

  private id(consumer: string, eventId: string): string {
    return `${consumer}:${eventId}`;
  }

  async has(consumer: string, eventId: string): Promise<boolean> {
    const id = this.id(consumer, eventId);
    return (await readDoc(this.container, id, id)) !== undefined;
  }

  async record(consumer: string, eventId: string, at: Date, ttlSeconds?: number): Promise<void> {
    try {
      await this.container.items.create({
        id: this.id(consumer, eventId),
        consumer,
        eventId,
        at: at.toISOString(),
        ...(ttlSeconds ? { ttl: ttlSeconds } : {}),
      });
    } catch (err) {
      if (statusOf(err) !== 409) translateError(err, 'processed event');
    }
  }
}
