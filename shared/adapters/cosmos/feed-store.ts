import type { Container, SqlQuerySpec } from '@azure/cosmos';
import type { Delivery } from '../../domain/feed/delivery';
import type { WebhookEndpoint } from '../../domain/feed/endpoint';
import type { FeedStore, Lane, OpenDeliveryScan } from '../../application/feed/ports';
import type { Page, PageRequest, Versioned } from '../../application/ports';
import { ConflictError } from '../../application/errors';
import { fromDoc, readDoc, toDoc, translateError, type StoredDoc } from './documents';
import { queryPage, queryPages } from './paging';

/**
 * The client event feed in the client's partition of `directory/clients` (docs/webhooks.md):
 * `webhook-endpoint` (id = endpoint id), `webhook-delivery` (id `<endpointId>~d~<eventId>`) and
 * `webhook-lane` (id `<endpointId>~l~<orderId>`, the lane's lock), both expiring
 * `DELIVERY_TTL_SECONDS` after their last write.
 * Every write that can race is ETag-conditional.
 */
export const DELIVERY_TTL_SECONDS = 30 * 86_400;

const OPEN = ['pending', 'in-flight', 'retry-scheduled'];

export class CosmosFeedStore implements FeedStore, OpenDeliveryScan {
  constructor(private readonly container: Container) {}

  private deliveryId = (endpointId: string, eventId: string) => `${endpointId}~d~${eventId}`;
  private laneId = (endpointId: string, orderId: string) => `${endpointId}~l~${orderId}`;

  private async create<T>(doc: StoredDoc, what: string): Promise<Versioned<T>> {
    try {
      const { resource } = await this.container.items.create<StoredDoc>(doc);
      return fromDoc<T>(resource as StoredDoc, ['id']);
    } catch (err) {
      return translateError(err, what);
    }
  }

  private async replace<T>(doc: StoredDoc, partition: string, etag: string, what: string): Promise<Versioned<T>> {
    try {
      const { resource } = await this.container
        .item(doc.id, partition)
        .replace<StoredDoc>(doc, { accessCondition: { type: 'IfMatch', condition: etag } });
      return fromDoc<T>(resource as StoredDoc, ['id']);
    } catch (err) {
      // Gone meanwhile: it changed, like a lost ETag.
      if ((err as { code?: number }).code === 404) return translateError({ code: 412 }, what);
      return translateError(err, what);
    }
  }

  private async read<T>(id: string, partition: string, docType: string, keep: 'id' | 'none'): Promise<Versioned<T> | undefined> {
    const doc = await readDoc(this.container, id, partition);
    return doc?.docType === docType ? fromDoc<T>(doc, keep === 'id' ? [] : ['id']) : undefined;
  }

  private async all(spec: SqlQuerySpec, partition: string): Promise<StoredDoc[]> {
    try {
      const { resources } = await this.container.items.query<StoredDoc>(spec, { partitionKey: partition }).fetchAll();
      return resources;
    } catch (err) {
      return translateError(err, 'query');
    }
  }

  createEndpoint(endpoint: WebhookEndpoint) {
    return this.create<WebhookEndpoint>(toDoc('webhook-endpoint', endpoint.id, endpoint), 'endpoint').then((v) => ({
      ...v,
      value: { ...v.value, id: endpoint.id },
    }));
  }

  getEndpoint(clientId: string, endpointId: string) {
    return this.read<WebhookEndpoint>(endpointId, clientId, 'webhook-endpoint', 'id');
  }

  async listEndpoints(clientId: string): Promise<WebhookEndpoint[]> {
    const docs = await this.all(
      {
        query: 'SELECT * FROM c WHERE c.clientId = @clientId AND c.docType = "webhook-endpoint" ORDER BY c.createdAt ASC',
        parameters: [{ name: '@clientId', value: clientId }],
      },
      clientId,
    );
    return docs.map((d) => fromDoc<WebhookEndpoint>(d).value);
  }

  replaceEndpoint(endpoint: WebhookEndpoint, etag: string) {
    return this.replace<WebhookEndpoint>(
      toDoc('webhook-endpoint', endpoint.id, endpoint),
      endpoint.clientId,
      etag,
      'endpoint',
    ).then((v) => ({ ...v, value: { ...v.value, id: endpoint.id } }));
  }

  async deleteEndpoint(clientId: string, endpointId: string): Promise<void> {
    try {
      await this.container.item(endpointId, clientId).delete();
    } catch (err) {
      if ((err as { code?: number }).code === 404) return;
      translateError(err, 'endpoint');
    }
  }

  async createDelivery(delivery: Delivery): Promise<boolean> {
    try {
      await this.create(
        toDoc('webhook-delivery', this.deliveryId(delivery.endpointId, delivery.eventId), delivery, {
          ttl: DELIVERY_TTL_SECONDS,
        }),
        'delivery',
      );
      return true;
    } catch (err) {
      if (err instanceof ConflictError) return false;
      throw err;
    }
  }

  getDelivery(clientId: string, endpointId: string, eventId: string) {
    return this.read<Delivery>(this.deliveryId(endpointId, eventId), clientId, 'webhook-delivery', 'none');
  }

  replaceDelivery(delivery: Delivery, etag: string) {
    const doc = toDoc('webhook-delivery', this.deliveryId(delivery.endpointId, delivery.eventId), delivery, {
      ttl: DELIVERY_TTL_SECONDS,
    });
    return this.replace<Delivery>(doc, delivery.clientId, etag, 'delivery');
  }

  async *openDeliveriesEverywhere(pageSize: number): AsyncIterable<readonly Delivery[]> {
    const spec = {
      query: 'SELECT * FROM c WHERE c.docType = "webhook-delivery" AND ARRAY_CONTAINS(@open, c.status)',
      parameters: [{ name: '@open', value: OPEN }],
    };
    for await (const page of queryPages(this.container, spec, pageSize, 'query'))
      yield page.map((d) => fromDoc<Delivery>(d, ['id']).value);
  }

  async openDeliveries(clientId: string, endpointId: string, orderId: string): Promise<Delivery[]> {
    const docs = await this.all(
      {
        query:
          'SELECT * FROM c WHERE c.clientId = @clientId AND c.docType = "webhook-delivery" AND c.endpointId = @endpointId ' +
          'AND c.orderId = @orderId AND ARRAY_CONTAINS(@open, c.status)',
        parameters: [
          { name: '@clientId', value: clientId },
          { name: '@endpointId', value: endpointId },
          { name: '@orderId', value: orderId },
          { name: '@open', value: OPEN },
        ],
      },
      clientId,
    );
    return docs.map((d) => fromDoc<Delivery>(d, ['id']).value);
  }

  async listDeliveries(clientId: string, endpointId: string, page: PageRequest): Promise<Page<Delivery>> {
    const result = await queryPage(
      this.container,
      {
        query:
          'SELECT * FROM c WHERE c.clientId = @clientId AND c.docType = "webhook-delivery" AND c.endpointId = @endpointId ' +
          'ORDER BY c.seq DESC',
        parameters: [
          { name: '@clientId', value: clientId },
          { name: '@endpointId', value: endpointId },
        ],
      },
      page,
      clientId,
    );
    return { ...result, items: result.items.map((d) => fromDoc<Delivery>(d, ['id']).value) };
  }

  getLane(clientId: string, endpointId: string, orderId: string) {
    return this.read<Lane>(this.laneId(endpointId, orderId), clientId, 'webhook-lane', 'none');
  }

  putLane(lane: Lane, etag: string | null) {
    // A lane is written at least once per delivery, so it outlives its deliveries by the same TTL.
    const doc = toDoc('webhook-lane', this.laneId(lane.endpointId, lane.orderId), lane, { ttl: DELIVERY_TTL_SECONDS });
    return etag === null ? this.create<Lane>(doc, 'lane') : this.replace<Lane>(doc, lane.clientId, etag, 'lane');
  }
}
