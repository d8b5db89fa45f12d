import type { Container } from '@azure/cosmos';
import type { IdempotencyRecord, IdempotencyStore, StoredResponse } from '../../application/ports';
import { readDoc, statusOf, translateError } from './documents';

/**
 * Idempotency records, one per (caller, operation, key), expiring by the container's TTL (24 h).
 * The claim is a create, so of two concurrent requests with the same key exactly one runs.
 */
export class CosmosIdempotencyStore implements IdempotencyStore {
  constructor(private readonly container: Container) {}

  async claim(key: string, fingerprint: string, now: string): Promise<boolean> {
    try {
      await this.container.items.create({ id: key, fingerprint, state: 'pending', createdAt: now });
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
      state: doc.state === 'completed' ? 'completed' : 'pending',
      createdAt: String(doc.createdAt),
      ...(doc.response ? { response: doc.response as StoredResponse } : {}),
    };
  }

  async complete(key: string, response: StoredResponse): Promise<void> {
    const doc = await readDoc(this.container, key, key);
    if (!doc) return;
    try {
      await this.container.item(key, key).replace({ ...doc, state: 'completed', response });
    } catch (err) {
      translateError(err, 'idempotency record');
    }
  }

  async release(key: string): Promise<void> {
    try {
      await this.container.item(key, key).delete();
    } catch (err) {
      if (statusOf(err) !== 404) translateError(err, 'idempotency record');
    }
  }
}
