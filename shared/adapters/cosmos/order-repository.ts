import type { Container, JSONObject, OperationInput, SqlParameter } from '@azure/cosmos';
import type { DomainEvent } from '../../domain/shared/events';
import type { Order, OrderHistoryEntry } from '../../domain/orders/order';
import type { Quote } from '../../domain/orders/lifecycle';
import type { OrderFilters, OrderRepository, Page, PageRequest, Versioned } from '../../application/ports';
import { assertBatchCommitted, fromDoc, readDoc, toDoc, translateError, type StoredDoc } from './documents';
import { eventDoc } from './outbox';
import { queryPage } from './paging';

/**
 * Orders, history entries and outbox events in the client's partition. A create is one
 * transactional batch: the order, its history and its events are written together or not at all
 * (the transactional outbox; the relay publishes `docType = "event"` documents that are not yet
 * `relayed`).
 */
export class CosmosOrderRepository implements OrderRepository {
  constructor(private readonly container: Container) {}

  async create(order: Order, history: readonly OrderHistoryEntry[], events: readonly DomainEvent[]): Promise<Versioned<Order>> {
    const create = (doc: StoredDoc): OperationInput => ({ operationType: 'Create', resourceBody: doc as JSONObject });
    const operations: OperationInput[] = [
      create(toDoc('order', order.id, order)),
      ...history.map((h) => create(historyDoc(order.clientId, h))),
      ...events.map((e) => create(eventDoc('clientId', order.clientId, e))),
    ];
    let results;
    try {
      const response = await this.container.items.batch(operations, order.clientId);
      results = response.result;
    } catch (err) {
      return translateError(err, 'order');
    }
    assertBatchCommitted(results, 'order');
    const created = results?.[0]?.resourceBody as StoredDoc | undefined;
    return created ? fromDoc<Order>(created) : { value: order, etag: results?.[0]?.eTag ?? '' };
  }

  async save(
    order: Order,
    etag: string,
    history: readonly OrderHistoryEntry[],
    events: readonly DomainEvent[],
    quotes: readonly Quote[] = [],
  ): Promise<Versioned<Order>> {
    const create = (doc: StoredDoc): OperationInput => ({ operationType: 'Create', resourceBody: doc as JSONObject });
    const operations: OperationInput[] = [
      { operationType: 'Replace', id: order.id, resourceBody: toDoc('order', order.id, order) as JSONObject, ifMatch: etag },
      ...quotes.map((q): OperationInput => ({ operationType: 'Upsert', resourceBody: toDoc('quote', q.id, q) as JSONObject })),
      ...history.map((h) => create(historyDoc(order.clientId, h))),
      ...events.map((e) => create(eventDoc('clientId', order.clientId, e))),
    ];
    let results;
    try {
      results = (await this.container.items.batch(operations, order.clientId)).result;
    } catch (err) {
      return translateError(err, 'order');
    }
    assertBatchCommitted(results, 'order');
    return fromDoc<Order>(results?.[0]?.resourceBody as StoredDoc);
  }

  async getQuote(clientId: string, quoteId: string): Promise<Quote | undefined> {
    const doc = await readDoc(this.container, quoteId, clientId);
    return doc?.docType === 'quote' ? fromDoc<Quote>(doc).value : undefined;
  }

  async listQuotes(clientId: string, orderId: string): Promise<Quote[]> {
    try {
      const { resources } = await this.container.items
        .query<StoredDoc>(
          {
            query:
              'SELECT * FROM c WHERE c.clientId = @clientId AND c.docType = "quote" AND c.orderId = @orderId ORDER BY c.submittedAt ASC',
            parameters: [
              { name: '@clientId', value: clientId },
              { name: '@orderId', value: orderId },
            ],
          },
          { partitionKey: clientId },
        )
        .fetchAll();
      return resources.map((d) => fromDoc<Quote>(d).value);
    } catch (err) {
      return translateError(err, 'quotes');
    }
  }

  async get(clientId: string, orderId: string): Promise<Versioned<Order> | undefined> {
    const doc = await readDoc(this.container, orderId, clientId);
    return doc?.docType === 'order' ? fromDoc<Order>(doc) : undefined;
  }

  async listForClient(clientId: string, filters: OrderFilters, page: PageRequest): Promise<Page<Order>> {
    return this.list({ ...filters, clientId }, page, clientId);
  }

  async listAll(filters: OrderFilters, page: PageRequest): Promise<Page<Order>> {
    return this.list(filters, page, undefined);
  }

  async history(clientId: string, orderId: string, page: PageRequest): Promise<Page<OrderHistoryEntry>> {
    const result = await queryPage(
      this.container,
      {
        query:
          'SELECT * FROM c WHERE c.clientId = @clientId AND c.docType = "history" AND c.orderId = @orderId ORDER BY c.seq ASC',
        parameters: [
          { name: '@clientId', value: clientId },
          { name: '@orderId', value: orderId },
        ],
      },
      page,
      clientId,
    );
    return { ...result, items: result.items.map((d) => fromDoc<OrderHistoryEntry>(d, ['id', 'clientId']).value) };
  }

  async findSlaChecksDue(by: string, limit: number): Promise<{ clientId: string; orderId: string; checkAt: string }[]> {
    try {
      const { resources } = await this.container.items
        .query<{ id: string; clientId: string; slaNextCheckAt: string }>(
          {
            query:
              'SELECT TOP @limit c.id, c.clientId, c.slaNextCheckAt FROM c WHERE c.docType = "order" AND c.slaNextCheckAt <= @by ORDER BY c.slaNextCheckAt ASC',
            parameters: [
              { name: '@by', value: by },
              { name: '@limit', value: limit },
            ],
          },
          { maxItemCount: limit },
        )
        .fetchAll();
      return resources.map((r) => ({ clientId: r.clientId, orderId: r.id, checkAt: r.slaNextCheckAt }));
    } catch (err) {
      return translateError(err, 'orders');
    }
  }

  private async list(
    filters: OrderFilters & { clientId?: string },
    page: PageRequest,
    partitionKey: string | undefined,
  ): Promise<Page<Order>> {
    const clauses = ['c.docType = "order"'];
    const parameters: SqlParameter[] = [];
    const equal = (field: keyof typeof filters) => {
      const value = filters[field];
      if (value === undefined) return;
      clauses.push(`c.${field} = @${field}`);
      parameters.push({ name: `@${field}`, value });
    };
    (['clientId', 'status', 'priority', 'siteId', 'providerId'] as const).forEach(equal);
    if (filters.slaState) {
      clauses.push('c.slaStatus = @slaState');
      parameters.push({ name: '@slaState', value: filters.slaState });
    }
    const result = await queryPage(
      this.container,
      { query: `SELECT * FROM c WHERE ${clauses.join(' AND ')} ORDER BY c.createdAt DESC`, parameters },
      page,
      partitionKey,
    );
    return { ...result, items: result.items.map((d) => fromDoc<Order>(d).value) };
  }
}

function historyDoc(clientId: string, h: OrderHistoryEntry): StoredDoc {
  // The sequence number makes the id unique within the order and orders the entries.
  return toDoc('history', `${h.orderId}~h~${String(h.seq).padStart(6, '0')}`, h, { clientId });
}
