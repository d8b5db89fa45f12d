import type { Journal } from './journal';
import type { Change, CollectionRef, CosmosStore } from './store';
import type { OperationResult, PartitionValue, Resource } from './vercel-cosmosdb-server';

/**
 * Transactions over the in-memory store: every mutation runs inside `Engine.transact`, which
 * - runs the work SYNCHRONOUSLY (no await between the first change and the journal append), so
 *   JavaScript's single thread is the lock: no other request can run inside a batch, or between
 *   a change and its journal entry, and the journal order is exactly the order of application;
 * - records each change as its resulting state (a `Change`) and an undo step;
 * - on failure (an exception, or `tx.abort()` for a failed atomic batch) runs the undo steps in
 *   reverse and journals nothing; otherwise appends all changes as ONE journal entry (one LSN).
 * The caller answers only after `journal.waitDurable(...)`.
 */
export class Tx {
  readonly changes: Change[] = [];
  private readonly undo: (() => void)[] = [];
  private aborted = false;

  constructor(
    private readonly store: CosmosStore,
    /** The LSN this transaction's journal entry will get; stamped on documents as `_lsn`. */
    readonly lsn: number,
  ) {}

  get isAborted(): boolean {
    return this.aborted;
  }

  /** Marks the transaction failed: everything it did is undone and nothing is journaled. */
  abort(): void {
    this.aborted = true;
  }

  /**
   * Runs one vercel document operation that may change the document at (id, pk), and records
   * the change. The undo step is registered BEFORE the operation so that even an operation that
   * throws half-way (after deleting, before re-inserting) is rolled back.
   */
  document(ref: CollectionRef, id: string, pk: PartitionValue, operation: () => OperationResult): OperationResult {
    const before = this.store.findDocument(ref, id, pk);
    const ridCount = ref.node.documents._ridCount;
    this.undo.push(() => {
      this.restoreDocument(ref, id, pk, before);
      ref.node.documents._ridCount = ridCount;
    });
    const result = operation();
    const after = this.store.findDocument(ref, id, pk);
    if (after !== before) this.recordDocument(ref, before, after);
    return result;
  }

  /** Deletes the documents whose TTL ran out (a deletion like any other, flagged `ttl`). */
  expireDocuments(ref: CollectionRef, nowSeconds: number): void {
    for (const doc of this.store.expiredDocuments(ref, nowSeconds)) {
      const pk = this.store.partitionOf(ref, doc);
      this.undo.push(() => this.store.putDocument(ref, doc));
      this.store.removeDocument(ref, doc.id, pk);
      this.changes.push({ t: 'doc-', db: ref.db, coll: ref.coll, id: doc.id, ...definedPk(pk), ttl: true });
    }
  }

  // Database, collection and UDF changes are single in-memory steps taken after validation; they
  // are never part of a batch, so they record the change but need no undo.

  databaseWritten(v: Resource, ridCount: number): void {
    quoteEtag(v);
    this.changes.push({ t: 'db', v, rc: ridCount });
  }

  databaseRemoved(db: string): void {
    this.changes.push({ t: 'db-', db });
  }

  collectionWritten(ref: CollectionRef): void {
    const v = quoteEtag(ref.node.read()!);
    const rc = this.store.database(ref.db)!.collections._ridCount;
    this.changes.push({ t: 'coll', db: ref.db, v, rc });
    this.store.reindexExpiry(ref);
  }

  collectionRemoved(db: string, coll: string): void {
    this.changes.push({ t: 'coll-', db, coll });
  }

  udfWritten(ref: CollectionRef, v: Resource): void {
    quoteEtag(v);
    this.changes.push({ t: 'udf', db: ref.db, coll: ref.coll, v, rc: ref.node.userDefinedFunctions._ridCount });
  }

  udfRemoved(ref: CollectionRef, id: string): void {
    this.changes.push({ t: 'udf-', db: ref.db, coll: ref.coll, id });
  }

  rollback(): void {
    for (const step of this.undo.reverse()) step();
    this.undo.length = 0;
    this.changes.length = 0;
  }

  private recordDocument(ref: CollectionRef, before: Resource | undefined, after: Resource | undefined): void {
    if (after) {
      // A fresh object made by the operation (vercel never edits stored documents in place).
      quoteEtag(after);
      after._lsn = this.lsn;
      this.changes.push({ t: 'doc', db: ref.db, coll: ref.coll, v: after, rc: ref.node.documents._ridCount });
    } else if (before) {
      this.changes.push({
        t: 'doc-',
        db: ref.db,
        coll: ref.coll,
        id: before.id,
        ...definedPk(this.store.partitionOf(ref, before)),
      });
    }
    this.store.noteDocumentChanged(ref, before, after);
  }

  /** Puts back exactly `before` (same object: same `_rid`, `_etag`, `_ts`) at (id, pk). */
  private restoreDocument(ref: CollectionRef, id: string, pk: PartitionValue, before: Resource | undefined): void {
    const current = this.store.findDocument(ref, id, pk);
    if (current === before) return;
    if (current) this.store.removeDocument(ref, id, pk);
    if (before) this.store.putDocument(ref, before);
  }
}

/**
 * Cosmos DB's `_etag` values carry their double quotes (`"\"0000…\""`), ready for an HTTP ETag
 * header; vercel's are bare UUIDs. Callers (shared/platform/http/etag.ts) rely on the quotes.
 * Applied to the freshly written resource, before it is answered or journaled.
 */
function quoteEtag(resource: Resource): Resource {
  if (typeof resource._etag === 'string' && !resource._etag.startsWith('"')) resource._etag = `"${resource._etag}"`;
  return resource;
}

function definedPk(pk: PartitionValue): { pk?: PartitionValue } {
  return pk === undefined ? {} : { pk };
}

export class Engine {
  constructor(
    readonly store: CosmosStore,
    readonly journal: Journal<Change>,
  ) {}

  /**
   * Runs `work` as one transaction (see the file comment). Synchronous: `work` must not await.
   * Throws the journal's failure (the server answers 503) instead of changing anything once the
   * journal can no longer make changes durable.
   */
  transact<T>(work: (tx: Tx) => T): T {
    this.journal.assertWritable();
    const tx = new Tx(this.store, this.journal.nextLsn());
    let result: T;
    try {
      result = work(tx);
    } catch (err) {
      tx.rollback();
      throw err;
    }
    if (tx.isAborted) tx.rollback();
    else if (tx.changes.length > 0) this.journal.append(tx.changes);
    return result;
  }

  /** Deletes (and journals) the expired documents of every collection; run every second. */
  sweepExpired(nowSeconds = Date.now() / 1000): void {
    if (this.journal.failure) return;
    for (const ref of this.store.collectionsWithExpiredDocuments(nowSeconds)) {
      this.transact((tx) => tx.expireDocuments(ref, nowSeconds));
    }
  }
}
