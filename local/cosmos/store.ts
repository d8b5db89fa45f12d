import { createRequire } from 'node:module';
import type {
  AccountModule,
  AccountNode,
  CollectionNode,
  DatabaseNode,
  DocumentNode,
  DocumentOperationsModule,
  HandlerModule,
  ItemNode,
  ItemStore,
  PartitionHeaderModule,
  PartitionValue,
  PatchOperationsModule,
  Resource,
  RoutesModule,
} from './vercel-cosmosdb-server';
import { partitionIndexOf } from './partition-index';

/**
 * The in-memory state of the embedded Cosmos DB: `@vercel/cosmosdb-server`'s Account (databases →
 * collections → documents), plus what the journal needs around it:
 * - `Change`: the unit the journal records and replays (the resulting resource, never a request);
 * - idempotent put/remove primitives used by replay, snapshot loading and batch rollback;
 * - the TTL expiry index (the vercel store ignores `ttl`);
 * - the partition index of every container (partition-index.ts), in place of its document map.
 */
const require = createRequire(import.meta.url);
const LIB = '@vercel/cosmosdb-server/lib';

/** The vercel internals, loaded once with `require` (CommonJS with `exports.default`). */
export const vercel = {
  Account: (require(`${LIB}/account`) as AccountModule).default,
  route: (require(`${LIB}/routes`) as RoutesModule).default,
  documentOperations: require(`${LIB}/handler/_document-operations`) as DocumentOperationsModule,
  patchOperations: require(`${LIB}/handler/_patch-operations`) as PatchOperationsModule,
  partitionHeader: require(`${LIB}/utils/get-partition-from-header`) as PartitionHeaderModule,
  handler: (name: string) => (require(`${LIB}/handler/${name}`) as HandlerModule).default,
};

/** One recorded state change. Field `t` names it; a trailing '-' means removal. */
export type Change =
  | { readonly t: 'db'; readonly v: Resource; readonly rc: number }
  | { readonly t: 'db-'; readonly db: string }
  | {
      readonly t: 'coll';
      readonly db: string;
      readonly v: Resource;
      readonly rc: number;
      readonly drc?: number;
      readonly urc?: number;
    }
  | { readonly t: 'coll-'; readonly db: string; readonly coll: string }
  | { readonly t: 'doc'; readonly db: string; readonly coll: string; readonly v: Resource; readonly rc: number }
  | {
      readonly t: 'doc-';
      readonly db: string;
      readonly coll: string;
      readonly id: string;
      readonly pk?: PartitionValue;
      readonly ttl?: true;
    }
  | { readonly t: 'udf'; readonly db: string; readonly coll: string; readonly v: Resource; readonly rc: number }
  | { readonly t: 'udf-'; readonly db: string; readonly coll: string; readonly id: string };

/** A collection resolved from a request (by id or `_rid`), with the ids the journal records. */
export interface CollectionRef {
  readonly db: string;
  readonly coll: string;
  readonly node: CollectionNode;
}

export class CosmosStore {
  readonly account: AccountNode;
  private readonly expiry = new ExpiryIndex();

  constructor() {
    this.account = new vercel.Account('localhost', 0);
  }

  /** The account document advertises its endpoint; the SDK's endpoint discovery reads it. */
  setEndpoint(endpoint: string): void {
    const location = [{ name: 'South Central US', databaseAccountEndpoint: `${endpoint}/` }];
    this.account._data.writableLocations = location;
    this.account._data.readableLocations = location;
  }

  database(idOrRid: string): DatabaseNode | undefined {
    const node = this.account.database(idOrRid);
    return node.read() ? node : undefined;
  }

  collection(dbIdOrRid: string, collIdOrRid: string): CollectionRef | undefined {
    const db = this.database(dbIdOrRid);
    const node = db?.collection(collIdOrRid);
    const data = node?.read();
    if (!db || !node || !data) return undefined;
    // Every request and every replayed change resolves its container here, so the index is in
    // place before the first document is written or queried through it.
    partitionIndexOf(node.documents);
    return { db: db.read()!.id, coll: data.id, node };
  }

  /** The container's documents whose partition key value is `value`, in the container's order. */
  partitionDocuments(ref: CollectionRef, value: PartitionValue): Iterable<DocumentNode> {
    return partitionIndexOf(ref.node.documents).partition(value);
  }

  findDocument(ref: CollectionRef, id: string, pk: PartitionValue): Resource | undefined {
    return ref.node.document(id, pk).read();
  }

  partitionOf(ref: CollectionRef, doc: Record<string, unknown>): PartitionValue {
    return ref.node.documents._getPartition(doc);
  }

  /** Stores `doc` exactly (system properties included), replacing whatever has the same id+pk. */
  putDocument(ref: CollectionRef, doc: Resource): void {
    const pk = this.partitionOf(ref, doc);
    const before = this.findDocument(ref, doc.id, pk);
    if (before) ref.node.documents.delete(doc.id, pk);
    ref.node.documents._set(doc);
    this.noteDocumentChanged(ref, before, doc);
  }

  removeDocument(ref: CollectionRef, id: string, pk: PartitionValue): void {
    const before = this.findDocument(ref, id, pk);
    if (!before) return;
    ref.node.documents.delete(id, pk);
    this.noteDocumentChanged(ref, before, undefined);
  }

  /** Keeps derived structures (the TTL index) in step with a document change made by anyone. */
  noteDocumentChanged(ref: CollectionRef, before: Resource | undefined, after: Resource | undefined): void {
    const key = ref.node.read()!._rid;
    if (before) this.expiry.forget(key, before._rid);
    if (after) this.expiry.track(key, after._rid, expiresAt(ref.node.read()!, after));
  }

  /** Documents of the collection whose TTL has run out at `nowSeconds`. */
  expiredDocuments(ref: CollectionRef, nowSeconds: number): Resource[] {
    const rids = this.expiry.due(ref.node.read()!._rid, nowSeconds);
    return rids.map((rid) => ref.node.documents._data.get(rid)?.read()).filter((d): d is Resource => d !== undefined);
  }

  /** Collections that currently hold at least one expired document. */
  collectionsWithExpiredDocuments(nowSeconds: number): CollectionRef[] {
    const refs: CollectionRef[] = [];
    for (const db of this.account.databases._data.values()) {
      for (const node of db.collections._data.values()) {
        const data = node.read();
        if (data && this.expiry.hasDue(data._rid, nowSeconds)) refs.push({ db: db.read()!.id, coll: data.id, node });
      }
    }
    return refs;
  }

  /** Re-derives a collection's expiry times (its `defaultTtl` may have changed). */
  reindexExpiry(ref: CollectionRef): void {
    const data = ref.node.read()!;
    this.expiry.drop(data._rid);
    for (const item of ref.node.documents._data.values()) {
      const doc = item.read();
      if (doc) this.expiry.track(data._rid, doc._rid, expiresAt(data, doc));
    }
  }

  forgetCollection(collectionRid: string): void {
    this.expiry.drop(collectionRid);
  }

  /** Applies a recovered change. Idempotent, so a change already in the snapshot does no harm. */
  apply(change: Change): void {
    switch (change.t) {
      case 'db':
        return this.putDatabase(change.v, change.rc);
      case 'db-':
        return this.removeDatabase(change.db);
      case 'coll':
        return this.putCollection(change.db, change.v, change);
      case 'coll-':
        return this.removeCollection(change.db, change.coll);
      case 'doc': {
        const ref = this.requireCollection(change.db, change.coll);
        this.putDocument(ref, change.v);
        return raiseRidCount(ref.node.documents, change.rc);
      }
      case 'doc-':
        return this.removeDocument(this.requireCollection(change.db, change.coll), change.id, change.pk);
      case 'udf':
        return this.putUdf(this.requireCollection(change.db, change.coll), change.v, change.rc);
      case 'udf-':
        return this.removeUdf(this.requireCollection(change.db, change.coll), change.id);
    }
  }

  /** The whole state as `Change` records, parents before children (what a snapshot holds). */
  *records(): Generator<Change> {
    const databases = this.account.databases;
    for (const db of databases._data.values()) {
      const dbData = db.read();
      if (!dbData) continue;
      yield { t: 'db', v: dbData, rc: databases._ridCount };
      for (const coll of db.collections._data.values()) {
        const v = coll.read();
        if (!v) continue;
        const ids = { db: dbData.id, coll: v.id };
        yield {
          t: 'coll',
          db: dbData.id,
          v,
          rc: db.collections._ridCount,
          drc: coll.documents._ridCount,
          urc: coll.userDefinedFunctions._ridCount,
        };
        for (const doc of values(coll.documents)) yield { t: 'doc', ...ids, v: doc, rc: coll.documents._ridCount };
        for (const udf of values(coll.userDefinedFunctions))
          yield { t: 'udf', ...ids, v: udf, rc: coll.userDefinedFunctions._ridCount };
      }
    }
  }

  private requireCollection(db: string, coll: string): CollectionRef {
    const ref = this.collection(db, coll);
    if (!ref) throw new Error(`journal refers to a missing collection ${db}/${coll}`);
    return ref;
  }

  private putDatabase(v: Resource, rc: number): void {
    const existing = this.database(v.id);
    // Swapping the data in place keeps the database's collections (a new node would have none).
    if (existing) existing._data = v;
    else this.account.databases._set(v);
    raiseRidCount(this.account.databases, rc);
  }

  removeDatabase(id: string): void {
    const db = this.database(id);
    if (!db) return;
    for (const coll of db.collections._data.values()) {
      const rid = coll.read()?._rid;
      if (rid) this.forgetCollection(rid);
    }
    this.account.databases.delete(id, id);
  }

  private putCollection(dbId: string, v: Resource, counts: { rc: number; drc?: number; urc?: number }): void {
    const db = this.database(dbId);
    if (!db) throw new Error(`journal refers to a missing database ${dbId}`);
    const existing = this.collection(dbId, v.id);
    // In place, like the database: a replaced collection keeps its documents.
    if (existing) existing.node._data = v;
    else db.collections._set(v);
    raiseRidCount(db.collections, counts.rc);
    const ref = this.requireCollection(dbId, v.id);
    raiseRidCount(ref.node.documents, counts.drc ?? 0);
    raiseRidCount(ref.node.userDefinedFunctions, counts.urc ?? 0);
    this.reindexExpiry(ref);
  }

  removeCollection(dbId: string, collId: string): void {
    const ref = this.collection(dbId, collId);
    if (!ref) return;
    this.forgetCollection(ref.node.read()!._rid);
    this.database(dbId)!.collections.delete(collId, collId);
  }

  private putUdf(ref: CollectionRef, v: Resource, rc: number): void {
    const udfs = ref.node.userDefinedFunctions;
    if (ref.node.userDefinedFunction(v.id).read()) udfs.delete(v.id);
    udfs._set(v);
    // What `UserDefinedFunctions.create` does to make the function callable from queries.
    udfs.functions[v.id] = new Function(`"use strict";return (${String(v.body)})`)();
    raiseRidCount(udfs, rc);
  }

  private removeUdf(ref: CollectionRef, id: string): void {
    if (ref.node.userDefinedFunction(id).read()) ref.node.userDefinedFunctions.delete(id);
  }
}

function* values<I extends ItemNode>(store: ItemStore<I>): Generator<Resource> {
  for (const item of store._data.values()) {
    const data = item.read();
    if (data) yield data;
  }
}

/** `_rid`s come from a counter; after replay it must be past every `_rid` ever handed out. */
function raiseRidCount(store: ItemStore<ItemNode>, rc: number): void {
  if (rc > store._ridCount) store._ridCount = rc;
}

/**
 * When a document expires (epoch seconds), or undefined for never. As in Cosmos DB: TTL applies
 * only when the container has `defaultTtl` (-1 = on without a default); the document's own `ttl`
 * wins over the default; -1 means never.
 */
export function expiresAt(collection: Resource, doc: Resource): number | undefined {
  const containerTtl = collection.defaultTtl;
  if (typeof containerTtl !== 'number') return undefined;
  const ttl = typeof doc.ttl === 'number' ? doc.ttl : containerTtl;
  return ttl > 0 && typeof doc._ts === 'number' ? doc._ts + ttl : undefined;
}

/**
 * Expiry times of the documents that have one, per collection `_rid`. `earliest` is a lower bound
 * of the soonest expiry, so the common "nothing is due" check costs one comparison.
 */
class ExpiryIndex {
  private readonly byCollection = new Map<string, { docs: Map<string, number>; earliest: number }>();

  track(collectionRid: string, docRid: string, at: number | undefined): void {
    if (at === undefined) return this.forget(collectionRid, docRid);
    let entry = this.byCollection.get(collectionRid);
    if (!entry) this.byCollection.set(collectionRid, (entry = { docs: new Map(), earliest: at }));
    entry.docs.set(docRid, at);
    entry.earliest = Math.min(entry.earliest, at);
  }

  forget(collectionRid: string, docRid: string): void {
    this.byCollection.get(collectionRid)?.docs.delete(docRid);
  }

  drop(collectionRid: string): void {
    this.byCollection.delete(collectionRid);
  }

  hasDue(collectionRid: string, nowSeconds: number): boolean {
    const entry = this.byCollection.get(collectionRid);
    return !!entry && entry.docs.size > 0 && nowSeconds > entry.earliest;
  }

  /** `_rid`s expired at `nowSeconds` ("_ts + ttl < now"); recomputes the earliest expiry. */
  due(collectionRid: string, nowSeconds: number): string[] {
    const entry = this.byCollection.get(collectionRid);
    if (!entry || !(nowSeconds > entry.earliest)) return [];
    const due: string[] = [];
    let earliest = Infinity;
    for (const [rid, at] of entry.docs) {
      if (nowSeconds > at) due.push(rid);
      else earliest = Math.min(earliest, at);
    }
    entry.earliest = earliest;
    return due;
  }
}
