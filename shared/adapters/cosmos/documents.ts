import type { Container, ErrorResponse, OperationResponse } from '@azure/cosmos';
import { ConflictError, PreconditionFailedError, UnavailableError } from '../../application/errors';
import type { Versioned } from '../../application/ports';

/**
 * Mapping between domain values and stored documents, and between Cosmos failures and application
 * errors. Every document carries `docType` (several kinds share a container) and its partition key.
 */
const SYSTEM_FIELDS = ['_rid', '_self', '_etag', '_attachments', '_ts', '_lsn', 'docType', 'ttl'] as const;

export type StoredDoc = Record<string, unknown> & { id: string; _etag?: string };

export function toDoc<T extends object>(docType: string, id: string, value: T, extra: Record<string, unknown> = {}): StoredDoc {
  return { ...value, ...extra, id, docType };
}

/** The domain value of a document: system fields and the given storage-only fields removed. */
export function fromDoc<T>(doc: StoredDoc, storageOnly: readonly string[] = []): Versioned<T> {
  const value: Record<string, unknown> = { ...doc };
  for (const f of SYSTEM_FIELDS) delete value[f];
  for (const f of storageOnly) delete value[f];
  return { value: value as T, etag: String(doc._etag ?? '') };
}

export function statusOf(err: unknown): number | undefined {
  const code = (err as ErrorResponse | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Connection-level failures (refused, reset, timeout) and Cosmos' own "try later" answers. */
export function isUnavailable(err: unknown): boolean {
  const status = statusOf(err);
  if (status === 429 || status === 503 || status === 408) return true;
  const code = (err as { code?: unknown; name?: unknown } | undefined)?.code;
  const name = (err as { name?: unknown } | undefined)?.name;
  return (
    name === 'TimeoutError' ||
    (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(code))
  );
}

/** Translates what the storage said into what the application understands; rethrows the rest. */
export function translateError(err: unknown, what: string): never {
  const status = statusOf(err);
  if (status === 409) throw new ConflictError(`${what} already exists`);
  if (status === 412) throw new PreconditionFailedError(`${what} was changed by someone else`);
  if (isUnavailable(err)) throw new UnavailableError('the database is unavailable, try again shortly');
  throw err;
}

/** Point read; undefined when the document does not exist. */
export async function readDoc(container: Container, id: string, partitionKey: string): Promise<StoredDoc | undefined> {
  try {
    const { resource } = await container.item(id, partitionKey).read<StoredDoc>();
    return resource ?? undefined;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    return translateError(err, 'document');
  }
}

/** Fails with the first failed operation's status when a transactional batch did not commit. */
export function assertBatchCommitted(results: readonly OperationResponse[] | undefined, what: string): void {
  const failed = (results ?? []).find((r) => r.statusCode >= 400 && r.statusCode !== 424);
  if (failed) translateError({ code: failed.statusCode }, what);
  if ((results ?? []).some((r) => r.statusCode >= 400)) translateError({ code: 409 }, what);
}
