import type { DocumentNode, ItemStore } from './vercel-cosmosdb-server';

/**
 * A container's documents grouped by partition key value, so that a single-partition query reads
 * only its partition instead of scanning the whole container.
 *
 * It IS the container's document map (`Items._data`, `_rid` → document node): installed in its
 * place, it sees every insertion and removal whoever makes it (vercel's create/replace/upsert/
 * delete/patch, batches, rollback, replay, TTL expiry), so it cannot drift from the documents.
 * Each partition's map receives the same `set`/`delete` calls as the whole map, restricted to its
 * documents, so it iterates in the same order as the whole map filtered by partition: a query over
 * it sees the same documents in the same order as a scan (and therefore gives the same results,
 * pages and continuation tokens). Nothing of it is journaled; replay rebuilds it.
 */
export class PartitionedDocuments extends Map<string, DocumentNode> {
  private readonly partitions = new Map<unknown, Map<string, DocumentNode>>();
  /** The partition value each document was filed under (documents are never edited in place). */
  private readonly filedUnder = new Map<string, unknown>();

  /** `keyPath`: the partition key's path as property names (`/clientId` → `['clientId']`). */
  constructor(
    private readonly keyPath: readonly string[],
    entries: Iterable<readonly [string, DocumentNode]> = [],
  ) {
    // Not `super(entries)`: Map's constructor would call `set` before the fields above exist.
    super();
    for (const [rid, node] of entries) this.set(rid, node);
  }

  /** The documents whose partition key value is `value` (`===`, as Cosmos compares), in map order. */
  partition(value: unknown): Iterable<DocumentNode> {
    return this.partitions.get(value)?.values() ?? [];
  }

  override set(rid: string, node: DocumentNode): this {
    const value = partitionValue(node, this.keyPath);
    const previous = this.filedUnder.get(rid);
    super.set(rid, node);
    if (this.filedUnder.has(rid) && previous !== value) {
      // The same `_rid` under another partition value (Cosmos never moves a document between
      // partitions; kept correct anyway): the key keeps its place in the whole map, so its new
      // partition is re-derived from that order.
      this.unfile(rid, previous);
      this.filedUnder.set(rid, value);
      this.rebuildPartition(value);
      return this;
    }
    this.filedUnder.set(rid, value);
    let docs = this.partitions.get(value);
    if (!docs) this.partitions.set(value, (docs = new Map()));
    docs.set(rid, node);
    return this;
  }

  override delete(rid: string): boolean {
    if (this.filedUnder.has(rid)) {
      this.unfile(rid, this.filedUnder.get(rid));
      this.filedUnder.delete(rid);
    }
    return super.delete(rid);
  }

  override clear(): void {
    this.partitions.clear();
    this.filedUnder.clear();
    super.clear();
  }

  private unfile(rid: string, value: unknown): void {
    const docs = this.partitions.get(value);
    docs?.delete(rid);
    if (docs?.size === 0) this.partitions.delete(value);
  }

  private rebuildPartition(value: unknown): void {
    const docs = new Map<string, DocumentNode>();
    for (const [rid, node] of super.entries()) if (this.filedUnder.get(rid) === value) docs.set(rid, node);
    this.partitions.set(value, docs);
  }
}

/** The container's partition index, installed in place of its document map on first use. */
export function partitionIndexOf(documents: ItemStore<DocumentNode>): PartitionedDocuments {
  if (documents._data instanceof PartitionedDocuments) return documents._data;
  const index = new PartitionedDocuments(documents._getPartitionKeyPath(), documents._data);
  documents._data = index;
  return index;
}

/** The value at the partition key's path (undefined when the document lacks it). */
function valueAt(doc: Record<string, unknown> | undefined, path: readonly string[]): unknown {
  let value: unknown = doc;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function partitionValue(node: DocumentNode, keyPath: readonly string[]): unknown {
  return valueAt(node.read(), keyPath);
}
