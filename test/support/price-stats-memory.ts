import { PreconditionFailedError } from '../../shared/application/errors';
import type { PriceStatsStore } from '../../shared/application/orders/price-guidance';
import type { Versioned } from '../../shared/application/ports';
import type { PriceKey, PriceStats } from '../../shared/domain/orders/price-guidance';
import type { ServiceCategory } from '../../shared/domain/orders/vocabulary';

/** In-memory price statistics: the Cosmos adapter's contract (create-only with null, replace on the ETag, a lost race is 412). */
export class MemoryPriceStats implements PriceStatsStore {
  readonly docs = new Map<string, Versioned<PriceStats>>();
  private etags = 0;
  /** Every successful write, in order. */
  readonly writes: PriceStats[] = [];

  private id(k: PriceKey) {
    return [k.clientId, k.category, k.cityKey, k.currency].join('|');
  }

  async get(key: PriceKey) {
    return this.docs.get(this.id(key));
  }

  async list(clientId: string, category: ServiceCategory, cityKey: string) {
    return [...this.docs.values()]
      .map((d) => d.value)
      .filter((s) => s.clientId === clientId && s.category === category && s.cityKey === cityKey)
      .sort((a, b) => a.currency.localeCompare(b.currency));
  }

  async put(stats: PriceStats, etag: string | null) {
    const key = this.id(stats);
    const current = this.docs.get(key);
    if ((etag === null && current) || (etag !== null && current?.etag !== etag))
      throw new PreconditionFailedError('price statistics were changed by someone else');
    const stored = { value: stats, etag: `"p${++this.etags}"` };
    this.docs.set(key, stored);
    this.writes.push(stats);
    return stored;
  }
}
