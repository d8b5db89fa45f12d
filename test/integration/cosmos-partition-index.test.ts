import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, CosmosClient, OperationInput, SqlQuerySpec } from '@azure/cosmos';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedCosmos, type EmbeddedCosmos } from '../../local/cosmos/embedded-cosmos';
import { createCosmosClient } from '../../shared/adapters/cosmos/client';
import type { ContainerDefinition } from '../../shared/adapters/cosmos/containers';
import { ensureCosmosSchema } from '../../shared/adapters/cosmos/provision';

/**
 * Single-partition queries of the embedded Cosmos DB read only their partition (the partition
 * index, local/cosmos/partition-index.ts). Through the real SDK, they must answer exactly what a
 * scan of the whole container answers: the same documents in the same order, the same pages —
 * after creates, upserts, replaces with the same key, patches, deletes, committed and rolled-back
 * batches, and after a restart that rebuilds everything from the snapshot and the journal.
 * The scan is a cross-partition query filtering on the key, which still reads every document.
 * (The query engine orders every answer by its ORDER BY, then by `_rid`; that the index also keeps
 * the container's own order is checked in test/unit/cosmos-partition-index.test.ts.)
 */
const ITEMS: ContainerDefinition = { database: 'index-test', id: 'items', partitionKey: '/pk', defaultTtl: -1 };
const PARTITIONS = ['a', 'b', 'c', 'empty'];

interface Doc {
  id: string;
  pk: string;
  n: number;
  tag?: string;
  tags?: string[];
  _etag?: string;
}

const dirs: string[] = [];
const open: { cosmos: EmbeddedCosmos; client: CosmosClient }[] = [];

afterAll(async () => {
  for (const o of open) {
    o.client.dispose();
    await o.cosmos.close();
  }
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function start(dataDir: string): Promise<{ container: Container; close(): Promise<void> }> {
  const cosmos = await startEmbeddedCosmos({ dataDir });
  const client = await createCosmosClient({ endpoint: cosmos.endpoint, key: cosmos.key });
  const entry = { cosmos, client };
  open.push(entry);
  await ensureCosmosSchema(client, [ITEMS]);
  return {
    container: client.database(ITEMS.database).container(ITEMS.id),
    close: async () => {
      open.splice(open.indexOf(entry), 1);
      client.dispose();
      await cosmos.close();
    },
  };
}

/** Every page of a query, each with its documents (id, n, _etag) and the continuation token it returned. */
async function pages(container: Container, spec: SqlQuerySpec, partitionKey: string | undefined, maxItemCount: number) {
  const out: { docs: string[]; token: string | undefined }[] = [];
  let token: string | undefined;
  do {
    const page = await container.items
      .query<Doc>(spec, {
        maxItemCount,
        ...(partitionKey !== undefined ? { partitionKey } : {}),
        ...(token ? { continuationToken: token } : {}),
      })
      .fetchNext();
    out.push({ docs: page.resources.map((d) => `${d.id}:${d.n}:${d._etag}:${d.tag}`), token: page.continuationToken });
    token = page.continuationToken;
  } while (token && out.length < 200);
  return out;
}

/** Each has a WHERE clause, where the scan adds its filter on the key (the first one's is always true). */
const QUERIES = (pk: string): SqlQuerySpec[] => [
  { query: 'SELECT * FROM c WHERE IS_DEFINED(c.id)' },
  { query: 'SELECT * FROM c WHERE c.n >= 0 ORDER BY c.n DESC' },
  { query: 'SELECT * FROM c WHERE c.n >= @min ORDER BY c.n ASC', parameters: [{ name: '@min', value: 3 }] },
  { query: 'SELECT c.id, c.n, c._etag FROM c WHERE c.tag = "x"' },
  { query: 'SELECT * FROM c WHERE c.pk = @pk', parameters: [{ name: '@pk', value: pk }] },
  { query: 'SELECT c.id, c.n, c._etag, t AS tag FROM c JOIN t IN c.tags WHERE IS_DEFINED(t)' },
];

function scanning(spec: SqlQuerySpec, pk: string): SqlQuerySpec {
  return {
    query: spec.query.replace(' WHERE ', ' WHERE c.pk = @scanPk AND '),
    parameters: [...(spec.parameters ?? []), { name: '@scanPk', value: pk }],
  };
}

/** Every query, whole and in pages of 1 and 3, for every partition: indexed and scanned. */
async function answers(container: Container) {
  const indexed: unknown[] = [];
  const scanned: unknown[] = [];
  for (const pk of PARTITIONS) {
    for (const spec of QUERIES(pk)) {
      const label = `${pk}: ${spec.query}`;
      const whole = await container.items.query<Doc>(spec, { partitionKey: pk }).fetchAll();
      indexed.push(label, whole.resources);
      scanned.push(label, (await container.items.query<Doc>(scanning(spec, pk)).fetchAll()).resources);
      for (const size of [1, 3]) {
        const byPages = await pages(container, spec, pk, size);
        indexed.push(`${label} by ${size}`, byPages);
        scanned.push(`${label} by ${size}`, await pages(container, scanning(spec, pk), undefined, size));
      }
    }
  }
  return { indexed, scanned };
}

describe('embedded Cosmos DB: single-partition queries read the partition index', () => {
  it('answers exactly what a scan answers, through every kind of write and after a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'algesta-cosmos-index-'));
    dirs.push(dataDir);
    let s = await start(dataDir);
    const items = () => s.container.items;

    // Interleaved creates across partitions, so each partition's documents are spread over the map.
    for (let i = 0; i < 30; i++) {
      const pk = PARTITIONS[i % 3]!;
      await items().create<Doc>({ id: `d${i}`, pk, n: i % 7, tags: [`t${i}`, 'u'], ...(i % 4 === 0 ? { tag: 'x' } : {}) });
    }
    await items().upsert<Doc>({ id: 'd1', pk: 'b', n: 11, tag: 'x' }); // an existing one: moves it
    await items().upsert<Doc>({ id: 'new', pk: 'a', n: 5 });
    await s.container.item('d3', 'a').replace<Doc>({ id: 'd3', pk: 'a', n: 2, tag: 'x' }); // same key
    await s.container.item('d5', 'c').patch([{ op: 'set', path: '/n', value: 9 }]);
    await s.container.item('d6', 'a').delete();
    await s.container.item('d7', 'b').delete();
    // Same id, another partition: a different document in Cosmos.
    await items().create<Doc>({ id: 'd8', pk: 'a', n: 1 });
    const committed: OperationInput[] = [
      { operationType: 'Create', resourceBody: { id: 'batch-1', pk: 'c', n: 4 } },
      { operationType: 'Replace', id: 'd2', resourceBody: { id: 'd2', pk: 'c', n: 6, tag: 'x' } },
      { operationType: 'Delete', id: 'd11' },
    ];
    expect((await items().batch(committed, 'c')).result!.every((r) => r.statusCode < 300)).toBe(true);
    // Rolled back at its last operation: nothing of it may show.
    const failing: OperationInput[] = [
      { operationType: 'Create', resourceBody: { id: 'never', pk: 'b', n: 0 } },
      { operationType: 'Delete', id: 'd4' },
      { operationType: 'Create', resourceBody: { id: 'd1', pk: 'b', n: 0 } },
    ];
    expect((await items().batch(failing, 'b')).result![2]!.statusCode).toBe(409);

    const live = await answers(s.container);
    expect(live.indexed).toEqual(live.scanned);
    expect(live.indexed).toContainEqual([]); // the empty partition answers nothing, as a scan does
    const everything = (await items().readAll<Doc>().fetchAll()).resources.map((d) => `${d.pk}/${d.id}/${d._etag}`).sort();

    // A restart loads the snapshot taken at start and replays the journal: the index is rebuilt.
    await s.close();
    s = await start(dataDir);
    const replayed = await answers(s.container);
    expect(replayed.indexed).toEqual(replayed.scanned);
    expect((await items().readAll<Doc>().fetchAll()).resources.map((d) => `${d.pk}/${d.id}/${d._etag}`).sort()).toEqual(
      everything,
    );

    // And it keeps up with writes after the replay.
    await items().create<Doc>({ id: 'after', pk: 'empty', n: 3 });
    await s.container.item('d0', 'a').delete();
    const after = await answers(s.container);
    expect(after.indexed).toEqual(after.scanned);
    await s.close();
  });
});
