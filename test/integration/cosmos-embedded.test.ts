import { spawn, type ChildProcess } from 'node:child_process';
import { get, Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Container, CosmosClient, OperationInput } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCosmos, type EmbeddedCosmos } from '../../local/cosmos/embedded-cosmos';
import { Journal, JOURNAL_FILE, SNAPSHOT_FILE } from '../../local/cosmos/journal';
import { createCosmosClient } from '../../shared/adapters/cosmos/client';
import { CONTAINERS, type ContainerDefinition } from '../../shared/adapters/cosmos/containers';
import { ensureCosmosSchema } from '../../shared/adapters/cosmos/provision';

/**
 * The embedded Cosmos DB (local/cosmos) through the real @azure/cosmos SDK, created by the app's
 * own factory. Durability is checked by SIGKILLing a child process that served the writes.
 * No assertion depends on timing except TTL, which polls with a generous deadline.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ITEMS: ContainerDefinition = { database: 'test', id: 'items', partitionKey: '/pk', defaultTtl: -1 };
const PLAIN: ContainerDefinition = { database: 'test', id: 'plain', partitionKey: '/pk' };

const tempDirs: string[] = [];
const children: ChildProcess[] = [];
const sessions: Session[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'algesta-cosmos-'));
  tempDirs.push(dir);
  return dir;
}

interface Session {
  readonly cosmos: EmbeddedCosmos;
  readonly client: CosmosClient;
  readonly container: Container;
  close(): Promise<void>;
}

async function openSession(dataDir: string): Promise<Session> {
  const cosmos = await startEmbeddedCosmos({ dataDir });
  const client = await createCosmosClient({ endpoint: cosmos.endpoint, key: cosmos.key });
  await ensureCosmosSchema(client, [ITEMS, PLAIN]);
  let closed: Promise<void> | undefined;
  const session: Session = {
    cosmos,
    client,
    container: client.database(ITEMS.database).container(ITEMS.id),
    close: () => (closed ??= (async () => (client.dispose(), await cosmos.close()))()),
  };
  sessions.push(session);
  return session;
}

afterAll(async () => {
  for (const s of sessions) await s.close().catch(() => undefined);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of tempDirs) await rm(d, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function statusOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return (err as { code?: number }).code;
  }
}

describe('embedded Cosmos DB through @azure/cosmos', () => {
  let s: Session;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await tempDir();
    s = await openSession(dataDir);
  });

  it('creates, reads and replaces with If-Match; a stale ETag is 412', async () => {
    const { resource: created } = await s.container.items.create({ id: 'doc-1', pk: 'a', n: 1 });
    // Quoted, as Cosmos DB's are: the value is usable as an HTTP ETag as it is.
    expect(created?._etag).toMatch(/^"[^"]+"$/);

    const { resource: read, etag } = await s.container.item('doc-1', 'a').read();
    expect(read).toMatchObject({ id: 'doc-1', pk: 'a', n: 1, _etag: created!._etag });
    expect(etag).toBe(created!._etag);

    const ifMatch = (condition: string) => ({ accessCondition: { type: 'IfMatch', condition } });
    const { resource: replaced } = await s.container
      .item('doc-1', 'a')
      .replace({ id: 'doc-1', pk: 'a', n: 2 }, ifMatch(created!._etag));
    expect(replaced?.n).toBe(2);
    expect(replaced?._etag).not.toBe(created!._etag);

    expect(await statusOf(s.container.item('doc-1', 'a').replace({ id: 'doc-1', pk: 'a', n: 3 }, ifMatch(created!._etag)))).toBe(
      412,
    );
    expect(await statusOf(s.container.item('doc-1', 'a').delete(ifMatch(created!._etag)))).toBe(412);
    expect((await s.container.item('doc-1', 'a').read()).resource?.n).toBe(2);
    expect((await s.container.item('missing', 'a').read()).statusCode).toBe(404);
  });

  it('pages a single-partition ORDER BY query: every item exactly once; an invalid continuation token is a 400', async () => {
    const ids = Array.from({ length: 23 }, (_, i) => `q-${String(i).padStart(2, '0')}`);
    // Repeated sort values, so that pages have to resume inside a run of equal values.
    await Promise.all(ids.map((id, i) => s.container.items.create({ id, pk: 'q', n: i % 5 })));
    await Promise.all([0, 1, 2].map((i) => s.container.items.create({ id: `other-${i}`, pk: 'q-other', n: 9 })));

    const spec = { query: 'SELECT * FROM c WHERE c.pk = @pk ORDER BY c.n DESC', parameters: [{ name: '@pk', value: 'q' }] };
    const seen: { id: string; n: number }[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      // A new iterator per page, as an API that hands the token to its caller does.
      const page = await s.container.items
        .query<{ id: string; n: number }>(spec, {
          partitionKey: 'q',
          maxItemCount: 4,
          ...(token ? { continuationToken: token } : {}),
        })
        .fetchNext();
      expect(page.resources.length).toBeLessThanOrEqual(4);
      seen.push(...page.resources);
      token = page.continuationToken;
      pages++;
    } while (token && pages < 50);

    expect(pages).toBe(6);
    expect(seen.map((d) => d.id).sort()).toEqual(ids);
    expect(seen.map((d) => d.n)).toEqual([...seen.map((d) => d.n)].sort((a, b) => b - a));

    // The partition key scopes a query even without a filter on it.
    const scoped = await s.container.items.query('SELECT * FROM c', { partitionKey: 'q-other' }).fetchAll();
    expect(scoped.resources.map((d) => d.id).sort()).toEqual(['other-0', 'other-1', 'other-2']);

    for (const bad of ['garbage', '{"token":"nope"}', '{"token":"+RID:x#RT:1#TRC:4#RTD:!!"}']) {
      const failing = s.container.items.query(spec, { partitionKey: 'q', maxItemCount: 4, continuationToken: bad }).fetchNext();
      expect(await statusOf(failing), bad).toBe(400);
    }
  });

  it('rolls back a transactional batch whose 3rd operation fails: nothing is written or journaled', async () => {
    const { resource: keep } = await s.container.items.create({ id: 'keep', pk: 'b', v: 'old' });
    await s.container.items.create({ id: 'dup', pk: 'b' });

    const ops: OperationInput[] = [
      { operationType: 'Create', resourceBody: { id: 'new-1', pk: 'b' } },
      { operationType: 'Replace', id: 'keep', resourceBody: { id: 'keep', pk: 'b', v: 'new' } },
      { operationType: 'Create', resourceBody: { id: 'dup', pk: 'b' } },
      { operationType: 'Create', resourceBody: { id: 'new-2', pk: 'b' } },
    ];
    const response = await s.container.items.batch(ops, 'b');

    expect(response.code).toBe(207);
    expect(response.result?.map((r) => r.statusCode)).toEqual([424, 424, 409, 424]);
    expect((await s.container.item('new-1', 'b').read()).statusCode).toBe(404);
    expect((await s.container.item('new-2', 'b').read()).statusCode).toBe(404);
    const { resource: kept } = await s.container.item('keep', 'b').read();
    expect(kept).toMatchObject({ v: 'old', _etag: keep!._etag, _ts: keep!._ts });
    expect(await readFile(join(dataDir, JOURNAL_FILE), 'utf8')).not.toContain('new-1');
  });

  it('commits a transactional batch as a whole', async () => {
    await s.container.items.create({ id: 'gone', pk: 'c' });
    await s.container.items.create({ id: 'counter', pk: 'c', n: 1 });
    const response = await s.container.items.batch(
      [
        { operationType: 'Create', resourceBody: { id: 'made', pk: 'c' } },
        { operationType: 'Upsert', resourceBody: { id: 'upserted', pk: 'c' } },
        { operationType: 'Patch', id: 'counter', resourceBody: { operations: [{ op: 'incr', path: '/n', value: 2 }] } },
        { operationType: 'Delete', id: 'gone' },
        { operationType: 'Read', id: 'counter' },
      ],
      'c',
    );
    expect(response.code).toBe(200);
    expect(response.result?.map((r) => r.statusCode)).toEqual([201, 201, 200, 204, 200]);
    expect((await s.container.item('made', 'c').read()).statusCode).toBe(200);
    expect((await s.container.item('counter', 'c').read()).resource?.n).toBe(3);
    expect((await s.container.item('gone', 'c').read()).statusCode).toBe(404);
  });

  it('expires a document with ttl 1: invisible at once, deleted and journaled by the sweeper', async () => {
    await s.container.items.create({ id: 'short', pk: 'ttl', ttl: 1 });
    await s.container.items.create({ id: 'forever', pk: 'ttl' });
    // Without a container defaultTtl, a document's ttl is ignored (as in Cosmos DB).
    const plain = s.client.database(PLAIN.database).container(PLAIN.id);
    await plain.items.create({ id: 'ignored-ttl', pk: 'ttl', ttl: 1 });

    await until('the document to expire', async () =>
      (await s.container.item('short', 'ttl').read()).statusCode === 404 ? true : undefined,
    );
    const { resources } = await s.container.items.query('SELECT * FROM c', { partitionKey: 'ttl' }).fetchAll();
    expect(resources.map((d) => d.id)).toEqual(['forever']);
    expect((await plain.item('ignored-ttl', 'ttl').read()).statusCode).toBe(200);
    await until('the expiry to be journaled', async () =>
      (await readFile(join(dataDir, JOURNAL_FILE), 'utf8')).includes('"id":"short","pk":"ttl","ttl":true') ? true : undefined,
    );
  });

  it('keeps connections alive', async () => {
    const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    const fetchRoot = () =>
      new Promise<{ res: IncomingMessage; reused: boolean }>((resolve, reject) => {
        const req = get(`${s.cosmos.endpoint}/`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ res, reused: req.reusedSocket }));
        });
        req.on('error', reject);
      });
    const first = await fetchRoot();
    const second = await fetchRoot();
    agent.destroy();
    expect(first.res.headers.connection).toBe('keep-alive');
    expect(second.reused).toBe(true);
  });

  it('keeps the documents of a container whose definition is replaced', async () => {
    const plain = s.client.database(PLAIN.database).container(PLAIN.id);
    await plain.items.create({ id: 'survivor', pk: 'r' });
    const { resource: def } = await plain.read();
    await plain.replace({ ...def!, id: PLAIN.id, partitionKey: def!.partitionKey, defaultTtl: 3600 });
    expect((await plain.read()).resource?.defaultTtl).toBe(3600);
    expect((await plain.item('survivor', 'r').read()).statusCode).toBe(200);
  });

  it("provisions the app's databases and containers idempotently", async () => {
    await ensureCosmosSchema(s.client);
    await ensureCosmosSchema(s.client);
    for (const def of Object.values(CONTAINERS) as ContainerDefinition[]) {
      const { resource } = await s.client.database(def.database).container(def.id).read();
      expect(resource?.partitionKey?.paths).toEqual([def.partitionKey]);
      expect(resource?.defaultTtl).toBe(def.defaultTtl);
    }
    const { resource: orders } = await s.client.database(CONTAINERS.orders.database).container(CONTAINERS.orders.id).read();
    expect(orders?.indexingPolicy?.compositeIndexes).toEqual(CONTAINERS.orders.indexing.compositeIndexes);
    expect(orders?.indexingPolicy?.excludedPaths).toEqual(CONTAINERS.orders.indexing.excludedPaths.map((path) => ({ path })));
  });
});

/** Starts the server in a child process (`node --import tsx`) and returns its endpoint. */
async function startChildServer(dataDir: string): Promise<{ endpoint: string; key: string; child: ChildProcess }> {
  const scriptDir = await tempDir();
  const script = join(scriptDir, 'serve-cosmos.mts');
  const entry = pathToFileURL(join(ROOT, 'local/cosmos/embedded-cosmos.ts')).href;
  await writeFile(
    script,
    `import { startEmbeddedCosmos } from ${JSON.stringify(entry)};\n` +
      `const cosmos = await startEmbeddedCosmos({ dataDir: process.argv[2] });\n` +
      `process.stdout.write('READY ' + JSON.stringify({ endpoint: cosmos.endpoint, key: cosmos.key }) + '\\n');\n`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script, dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child server did not start:\n${out}\n${err}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const ready = /READY (\{.*\})/.exec(out)?.[1];
      if (ready) {
        clearTimeout(timer);
        resolve({ ...(JSON.parse(ready) as { endpoint: string; key: string }), child });
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`child server exited (${code ?? signal}):\n${out}\n${err}`));
    });
  });
}

function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('embedded Cosmos DB durability', () => {
  it('reads back every acknowledged write, with the same _etag, after SIGKILL and restart', async () => {
    const dataDir = await tempDir();
    const served = await startChildServer(dataDir);
    const client = await createCosmosClient({ endpoint: served.endpoint, key: served.key });
    await ensureCosmosSchema(client, [ITEMS]);
    const container = client.database(ITEMS.database).container(ITEMS.id);
    const acknowledged = new Map<string, { pk: string; etag: string; body: Record<string, unknown> }>();
    const remember = (r: { id: string; pk: string; _etag: string } & Record<string, unknown>) =>
      acknowledged.set(r.id, { pk: r.pk, etag: r._etag, body: r });

    // Every mutation path, many at once (they share fsyncs: group commit).
    const created = await Promise.all(
      Array.from({ length: 40 }, (_, i) => container.items.create({ id: `d${i}`, pk: `p${i % 3}`, n: i })),
    );
    created.forEach((r) => remember(r.resource as never));
    const upserted = await Promise.all(
      Array.from({ length: 10 }, (_, i) => container.items.upsert({ id: `d${i}`, pk: `p${i % 3}`, n: i, v: 2 })),
    );
    upserted.forEach((r) => remember(r.resource as never));
    remember((await container.item('d20', 'p2').patch([{ op: 'set', path: '/patched', value: true }])).resource as never);
    await container.item('d21', 'p0').delete();
    acknowledged.delete('d21');
    const batch = await container.items.batch(
      [
        { operationType: 'Create', resourceBody: { id: 'e1', pk: 'p1' } },
        { operationType: 'Replace', id: 'd22', resourceBody: { id: 'd22', pk: 'p1', replaced: true } },
      ],
      'p1',
    );
    expect(batch.code).toBe(200);
    batch.result!.forEach((r) => remember(r.resourceBody as never));
    client.dispose();
    // Right after the last answer: no graceful shutdown, no chance to flush anything.
    await killHard(served.child);

    const s = await openSession(dataDir);
    for (const [id, expected] of acknowledged) {
      const { resource } = await s.container.item(id, expected.pk).read();
      expect(resource, id).toEqual(expected.body);
      expect(resource?._etag, id).toBe(expected.etag);
    }
    expect((await s.container.item('d21', 'p0').read()).statusCode).toBe(404);
    const { resources } = await s.container.items.query('SELECT VALUE COUNT(1) FROM c').fetchAll();
    expect(resources).toEqual([acknowledged.size]);
    await s.close();
  });

  it('recovers from a torn last journal line (a write cut short by a crash)', async () => {
    const dataDir = await tempDir();
    let s = await openSession(dataDir);
    const { resource: a } = await s.container.items.create({ id: 'a', pk: 'p', n: 1 });
    const { resource: b } = await s.container.items.create({ id: 'b', pk: 'p', n: 2 });
    await s.close();
    const journal = join(dataDir, JOURNAL_FILE);
    expect((await stat(journal)).size).toBeGreaterThan(0);
    await appendFile(journal, '{"lsn":999,"at":1,"c":[{"t":"doc","db":"test","coll":"items","v":{"id":"ghost","pk":"p"');

    s = await openSession(dataDir);
    expect((await s.container.item('a', 'p').read()).resource?._etag).toBe(a!._etag);
    expect((await s.container.item('b', 'p').read()).resource?._etag).toBe(b!._etag);
    expect((await s.container.item('ghost', 'p').read()).statusCode).toBe(404);
    // The start-up compaction folded the journal into the snapshot and cut the torn tail.
    expect((await stat(journal)).size).toBe(0);
    const { resource: c } = await s.container.items.create({ id: 'c', pk: 'p', n: 3 });
    await s.close();

    s = await openSession(dataDir);
    expect((await s.container.item('c', 'p').read()).resource?._etag).toBe(c!._etag);
    await s.close();
  });

  it('refuses to start on a journal damaged before its last line', async () => {
    const dataDir = await tempDir();
    const s = await openSession(dataDir);
    await s.container.items.create({ id: 'a', pk: 'p' });
    await s.close();
    const journal = join(dataDir, JOURNAL_FILE);
    const text = await readFile(journal, 'utf8');
    expect(text.split('\n').filter(Boolean).length).toBeGreaterThan(1);
    await writeFile(journal, 'X' + text.slice(1));
    await expect(startEmbeddedCosmos({ dataDir })).rejects.toThrow(/damaged/);
  });

  it('compacts a journal that outgrows its limit without losing entries queued meanwhile', async () => {
    const dir = await tempDir();
    const state = new Map<number, string>();
    const open = () =>
      Journal.open<{ k: number; v: string }>({
        dir,
        apply: (change) => void state.set(change.k, change.v),
        snapshot: () => [...state].map(([k, v]) => ({ k, v })),
        compactBytes: 4096,
      });
    let journal = await open();
    const durable: Promise<void>[] = [];
    for (let k = 0; k < 500; k++) {
      // Change, then append in the same tick: the contract of `append`.
      state.set(k, `value-${k}-${'x'.repeat(40)}`);
      durable.push(journal.waitDurable(journal.append([{ k, v: state.get(k)! }])));
      // Let the writer run now and then, so that compactions overlap with new appends.
      if (k % 10 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(durable);
    await journal.close();
    expect((await stat(join(dir, JOURNAL_FILE))).size).toBeLessThan(8192);
    expect((await stat(join(dir, SNAPSHOT_FILE))).size).toBeGreaterThan(0);

    const before = new Map(state);
    state.clear();
    journal = await open();
    expect(journal.recovery.lastLsn).toBe(500);
    expect(state).toEqual(before);
    await journal.close();
  });
});
