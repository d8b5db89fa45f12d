import { describe, expect, it } from 'vitest';
import { PartitionedDocuments, partitionIndexOf } from '../../local/cosmos/partition-index';
import type { DocumentNode, ItemStore, Resource } from '../../local/cosmos/vercel-cosmosdb-server';

/**
 * The embedded Cosmos DB's partition index (local/cosmos/partition-index.ts) against what it
 * replaces: a scan of the whole document map filtered by partition key value. Same documents, same
 * order, whatever sequence of insertions, re-insertions and removals made the map.
 */
const KEY_PATH = ['tenant', 'id'];

function node(rid: string, tenant: unknown): DocumentNode {
  const data = { id: rid, _rid: rid, _self: '', _etag: '', _ts: 0, tenant: { id: tenant } } as Resource;
  return { _data: data, read: () => data };
}

/** What a query scoped to `value` read before the index: the whole map, filtered with `===`. */
function scan(map: Map<string, DocumentNode>, value: unknown): string[] {
  return [...map.values()].filter((n) => (n.read()!.tenant as { id: unknown }).id === value).map((n) => n.read()!._rid);
}

const ridsOf = (nodes: Iterable<DocumentNode>) => [...nodes].map((n) => n.read()!._rid);

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('the embedded Cosmos DB partition index', () => {
  const VALUES: unknown[] = ['a', 'b', 'c', '1', 1, true, null, undefined];

  it('iterates each partition exactly as a filtered scan of the whole map does, through any mix of writes', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const next = random(seed);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
      const index = new PartitionedDocuments(KEY_PATH);
      const plain = new Map<string, DocumentNode>();
      for (let step = 0; step < 2000; step++) {
        const rid = `r${Math.floor(next() * 60)}`;
        const roll = next();
        if (roll < 0.3 && plain.has(rid)) {
          // vercel's replace/upsert/patch: remove, then insert the new version (moves it to the end).
          const value = (plain.get(rid)!.read()!.tenant as { id: unknown }).id;
          for (const m of [index, plain]) m.delete(rid);
          for (const m of [index, plain]) m.set(rid, node(rid, value));
        } else if (roll < 0.5) {
          for (const m of [index, plain]) m.delete(rid);
        } else if (roll < 0.55 && plain.has(rid)) {
          // Overwriting a key in place keeps its position, under the same or (never in Cosmos) another value.
          const n = node(rid, pick(VALUES));
          for (const m of [index, plain]) m.set(rid, n);
        } else if (roll < 0.551) {
          for (const m of [index, plain]) m.clear();
        } else {
          const n = node(rid, pick(VALUES));
          for (const m of [index, plain]) m.set(rid, n);
        }
        expect([...index.keys()]).toEqual([...plain.keys()]);
        for (const value of [...VALUES, 'missing', { id: 'a' }]) {
          expect(ridsOf(index.partition(value)), `seed ${seed} step ${step} value ${String(value)}`).toEqual(scan(plain, value));
        }
      }
    }
  });

  it('distinguishes partition key values of different types, as `===` does', () => {
    const index = new PartitionedDocuments(KEY_PATH, [
      ['x', node('x', '1')],
      ['y', node('y', 1)],
      ['z', node('z', null)],
      ['w', node('w', undefined)],
    ]);
    expect(ridsOf(index.partition('1'))).toEqual(['x']);
    expect(ridsOf(index.partition(1))).toEqual(['y']);
    expect(ridsOf(index.partition(null))).toEqual(['z']);
    expect(ridsOf(index.partition(undefined))).toEqual(['w']);
    expect(ridsOf(index.partition(true))).toEqual([]);
  });

  it("is installed in place of a container's document map, keeping its order and its documents", () => {
    const map = new Map<string, DocumentNode>(['c', 'a', 'b', 'd'].map((rid, i) => [rid, node(rid, i % 2 ? 'odd' : 'even')]));
    const store = { _data: map, _getPartitionKeyPath: () => KEY_PATH } as unknown as ItemStore<DocumentNode>;
    const index = partitionIndexOf(store);
    expect(store._data).toBe(index);
    expect(partitionIndexOf(store)).toBe(index);
    expect([...index.keys()]).toEqual(['c', 'a', 'b', 'd']);
    expect(ridsOf(index.partition('even'))).toEqual(['c', 'b']);
    expect(ridsOf(index.partition('odd'))).toEqual(['a', 'd']);
  });
});
