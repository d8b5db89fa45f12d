import type { Container } from '@azure/cosmos';
import type { IdempotencyRecord, IdempotencyStore, StoredResponse } from '../../application/ports';
import { readDoc, statusOf, translateError } from './documents';

/**
 * Idempotency records, one per (caller, operation, key), expiring by the container's TTL (24 h).
 * Each is created once (a create: of two concurrent requests exactly one writes it) and never
 * changed: it binds the key to the first request's body and to the moment it was first used, from
 * which every attempt derives the id of what it creates (docs/api.md, Idempotency).
 */
export class CosmosIdempotencyStore implements IdempotencyStore {
  constructor(private readonly container: Container) {}

  async claim(key: string, fingerprint: string, now: string): Promise<boolean> {
    try {
      await this.container.items.create({ id: key, fingerprint, createdAt: now });
      return true;
    } catch (err) {
      if (statusOf(err) === 409) return false;
      return translateError(err, 'idempotency record');
    }
  }

  async get(key: string): Promise<IdempotencyRecord | undefined> {
    const doc = await readDoc(this.container, key, key);
    if (!doc) return undefined;
    return {
      key,
      fingerprint: String(doc.fingerprint),
      createdAt: String(doc.createdAt),
      // Records of the mechanism before derived ids kept the answer once their request succeeded.
      ...(doc.state === 'completed' && doc.response ? { response: doc.response as StoredResponse } : {}),
    };
  }
}
