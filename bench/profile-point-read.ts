/**
 * CPU profile of `GET /api/v1/orders/{id}` under the bench's load, on the embedded stack started in
 * this process as `npm run bench` starts it:
 *
 *   npx tsx bench/profile-point-read.ts [http|in-process|in-worker|bare] [out-dir]
 *
 * `http` (default) calls the API through the local host with the bench's client; `in-process`
 * invokes the function's handler with a constructed `HttpRequest` (bench/in-process.ts); `bare` is
 * `in-worker` the worker's whole invocation without HTTP (the library's conversions around it); `bare`
 * the SDK point read alone. Each runs PROFILE_REPS (default 2000) reads one after the other, then
 * the same number at 32 concurrent, inside one `node:inspector` profile, written to
 * `<out-dir>/point-read-<target>.cpuprofile` (default /tmp) and summarized by
 * bench/cpuprofile-summary.ts. Timings printed alongside are informative: the profiler slows
 * everything; compare figures with `npm run bench:micro`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import { DEMO } from '../local/seed';
import { startLocalStack } from '../local/stack';
import { silentLogger } from '../shared/platform/logger';
import { printSummary, summarize, type CpuProfile } from './cpuprofile-summary';
import { httpClient } from './http-client';
import { inProcessOrderGet, inWorkerOrderGet } from './in-process';

const target = process.argv[2] ?? 'http';
const outDir = process.argv[3] ?? tmpdir();
const REPS = Number(process.env.PROFILE_REPS ?? 2000);

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'algesta-profile-'));
  process.env.LOG_LEVEL = 'error';
  const stack = await startLocalStack({ dataDir, port: 0, logger: silentLogger });
  const client = httpClient(`${stack.url}/api`, stack.tokens.client);
  const bare = new CosmosClient({
    endpoint: process.env.COSMOS__accountEndpoint!,
    key: process.env.COSMOS_KEY!,
    connectionPolicy: { enableEndpointDiscovery: false, enableBackgroundEndpointRefreshing: false },
  });
  const session = new Session();
  try {
    const created = await client.call('POST', '/v1/orders', {
      body: { siteId: DEMO.siteIds[0], category: 'hvac', priority: 'P3', title: 'profile', description: 'profile' },
    });
    const order = created.body as { id: string; clientId: string };
    const bareItem = bare.database('orders').container('orders').item(order.id, order.clientId);
    const reads: Record<string, () => Promise<void>> = {
      http: async () => {
        const r = await client.call('GET', `/v1/orders/${order.id}`);
        if (r.status !== 200) throw new Error(`get answered ${r.status}`);
      },
      'in-process': inProcessOrderGet({ baseUrl: stack.url, token: stack.tokens.client, orderId: order.id }),
      'in-worker': inWorkerOrderGet({ baseUrl: stack.url, token: stack.tokens.client, orderId: order.id }),
      bare: async () => {
        const r = await bareItem.read();
        if (r.statusCode !== 200) throw new Error(`bare read answered ${r.statusCode}`);
      },
    };
    const read = reads[target];
    if (!read) throw new Error(`unknown target ${target}: http, in-process, in-worker or bare`);
    for (let i = 0; i < 200; i++) await read();

    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    let t = performance.now();
    for (let i = 0; i < REPS; i++) await read();
    const sequentialMs = (performance.now() - t) / REPS;
    let next = 0;
    t = performance.now();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next++ < REPS) await read();
      }),
    );
    const perSecond = Math.round(REPS / ((performance.now() - t) / 1000));
    const { profile } = await session.post('Profiler.stop');
    const file = join(outDir, `point-read-${target}.cpuprofile`);
    await writeFile(file, JSON.stringify(profile));
    console.log(
      `${target}: ${sequentialMs.toFixed(3)} ms a read one at a time, ${perSecond}/s at 32 (profiled: slower than unprofiled)`,
    );
    console.log(`profile written to ${file}`);
    printSummary(summarize([profile as unknown as CpuProfile]), Number(process.env.PROFILE_TOP ?? 30));
  } finally {
    session.disconnect();
    client.close();
    bare.dispose();
    await stack.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
