import type { Container } from '@azure/cosmos';
import type { PriceStatsStore } from '../../application/orders/price-guidance';
import type { Versioned } from '../../application/ports';
import type { PriceKey, PriceStats } from '../../domain/orders/price-guidance';
import type { ServiceCategory } from '../../domain/orders/vocabulary';
import { fromDoc, readDoc, statusOf, toDoc, translateError, type StoredDoc } from './documents';

const DOC_TYPE = 'price-stats';

/**
 * The price guidance's read model (docs/orders.md, "Price guidance"): one document per (category,
 * city, currency) in the client's partition of `orders`, id `price~<category>~<city key>~<currency>`
 * (the city key URI-encoded, as Cosmos ids allow no `/`). In the client's partition, a client's
 * statistics are only ever read with its own orders and one (client, category, city) is a
 * single-partition query.
 */
export class CosmosPriceStatsStore implements PriceStatsStore {
  constructor(private readonly container: Container) {}

  private docId(key: PriceKey): string {
    return `price~${key.category}~${encodeURIComponent(key.cityKey)}~${key.currency}`;
  }

  async get(key: PriceKey): Promise<Versioned<PriceStats> | undefined> {
    const doc = await readDoc(this.container, this.docId(key), key.clientId);
    return doc?.docType === DOC_TYPE ? fromDoc<PriceStats>(doc, ['id']) : undefined;
  }

  async list(clientId: string, category: ServiceCategory, cityKey: string): Promise<PriceStats[]> {
    try {
      const { resources } = await this.container.items
        .query<StoredDoc>(
          {
            query:
              'SELECT * FROM c WHERE c.clientId = @clientId AND c.docType = @docType AND c.category = @category AND c.cityKey = @cityKey',
            parameters: [
              { name: '@clientId', value: clientId },
              { name: '@docType', value: DOC_TYPE },
              { name: '@category', value: category },
              { name: '@cityKey', value: cityKey },
            ],
          },
          { partitionKey: clientId },
        )
        .fetchAll();
      return resources.map((d) => fromDoc<PriceStats>(d, ['id']).value).sort((a, b) => a.currency.localeCompare(b.currency));
    } catch (err) {
      return translateError(err, 'price statistics');
    }
  }

  async put(stats: PriceStats, etag: string | null): Promise<Versioned<PriceStats>> {
    const id = this.docId(stats);
    const doc = toDoc(DOC_TYPE, id, stats);
    try {
      if (etag === null) {
        const { resource } = await this.container.items.create<StoredDoc>(doc);
        return fromDoc<PriceStats>(resource as StoredDoc, ['id']);
      }
      const { resource } = await this.container
        .item(id, stats.clientId)
        .replace<StoredDoc>(doc, { accessCondition: { type: 'IfMatch', condition: etag } });
      return fromDoc<PriceStats>(resource as StoredDoc, ['id']);
    } catch (err) {
      // Created by a concurrent writer (409) or changed meanwhile (412): the caller reads and decides again.
      if (statusOf(err) === 409) return translateError({ code: 412 }, 'price statistics');
      return translateError(err, 'price statistics');
    }
  }
}
