import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, CosmosClient, OperationInput } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as azureFunctions from '@azure/functions';
import { installFunctionsCore, type Registration } from '../../local/functions-core';
import { startEmbeddedCosmos, type EmbeddedCosmos } from '../../local/cosmos/embedded-cosmos';
import { startCosmosTriggers } from '../../local/triggers/cosmos-trigger-runner';
import { startTimers } from '../../local/triggers/timer-runner';
import { createCosmosClient } from '../../shared/adapters/cosmos/client';
import { CONTAINERS, type ContainerDefinition } from '../../shared/adapters/cosmos/containers';
import { ensureCosmosSchema } from '../../shared/adapters/cosmos/provision';

/**
 * The local host's non-HTTP triggers: the change feed of the embedded Cosmos (polled from a stored
 * lease) and NCRONTAB timers, driven by functions registered through the programming model and
 * invoked through it, as the worker does.
 */
const core = installFunctionsCore();
const { app } = ((azureFunctions as { default?: typeof azureFunctions }).default ?? azureFunctions) as typeof azureFunctions;
const WATCHED: ContainerDefinition = { database: 'test', id: 'watched', partitionKey: '/pk' };

let dataDir: string;
let cosmos: EmbeddedCosmos;
let client: CosmosClient;
let watched: Container;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'algesta-triggers-'));
  cosmos = await startEmbeddedCosmos({ dataDir });
  client = await createCosmosClient({ endpoint: cosmos.endpoint, key: cosmos.key });
  await ensureCosmosSchema(client, [WATCHED, CONTAINERS.leases]);
  watched = client.database(WATCHED.database).container(WATCHED.id);
});

afterAll(async () => {
  client?.dispose();
  await cosmos?.close();
  await rm(dataDir, { recursive: true, force: true });
});

function registration(name: string, trigger: Record<string, unknown>, handler: Registration['handler']): Registration {
  app.generic(name, {
    trigger: { name: 'trigger', ...trigger } as azureFunctions.FunctionTrigger,
    handler: handler as azureFunctions.FunctionHandler,
  });
  return core.registrations().find((r) => r.name === name)!;
}

function changeFeed(
  name: string,
  handler: (docs: Record<string, unknown>[]) => void | Promise<void>,
  extra: Record<string, unknown> = {},
) {
  return registration(
    name,
    {
      type: 'cosmosDBTrigger',
      databaseName: WATCHED.database,
      containerName: WATCHED.id,
      leaseDatabaseName: CONTAINERS.leases.database,
      leaseContainerName: CONTAINERS.leases.id,
      leaseContainerPrefix: 'test-',
      startFromBeginning: true,
      ...extra,
    },
    handler,
  );
}

/** One transaction of `count` documents in partition `pk` (they share one `_lsn`). */
async function writeTransaction(pk: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${pk}-${i}`);
  const ops: OperationInput[] = ids.map((id) => ({ operationType: 'Create', resourceBody: { id, pk } }));
  const res = await watched.items.batch(ops, pk);
  expect(res.result?.every((r) => r.statusCode === 201)).toBe(true);
  return ids;
}

async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('change-feed trigger (cosmosDBTrigger) on the embedded Cosmos', () => {
  it('delivers every change once, whole transactions per invocation, and resumes from its lease', async () => {
    const written = [
      ...(await writeTransaction('t1', 5)),
      ...(await writeTransaction('t2', 5)),
      ...(await writeTransaction('t3', 1)),
    ];
    const invocations: Record<string, unknown>[][] = [];
    const reg = changeFeed('feed-a', (docs) => void invocations.push(docs), { maxItemsPerInvocation: 3 });
    let runner = startCosmosTriggers({ registrations: [reg], client, pollIntervalMs: 20 });
    await until(() => invocations.flat().length >= written.length, 'all changes');
    await runner.stop();

    const delivered = invocations.flat().map((d) => String(d.id));
    expect(delivered.sort()).toEqual([...written].sort());
    // A transaction is never split: its _lsn appears in one invocation only.
    const lsnInvocations = new Map<number, Set<number>>();
    invocations.forEach((docs, i) =>
      docs.forEach((d) => lsnInvocations.set(Number(d._lsn), (lsnInvocations.get(Number(d._lsn)) ?? new Set()).add(i))),
    );
    expect([...lsnInvocations.values()].every((s) => s.size === 1)).toBe(true);

    // A restart reads from the stored lease: only what changed since.
    invocations.length = 0;
    const later = await writeTransaction('t4', 2);
    runner = startCosmosTriggers({ registrations: [reg], client, pollIntervalMs: 20 });
    await until(() => invocations.flat().length >= 2, 'the new changes');
    await new Promise((r) => setTimeout(r, 200));
    await runner.stop();
    expect(
      invocations
        .flat()
        .map((d) => String(d.id))
        .sort(),
    ).toEqual(later.sort());
  });

  it('advances its lease even when the function throws (Azure semantics; the outbox sweep retries)', async () => {
    const calls: string[][] = [];
    let fail = true;
    const reg = changeFeed(
      'feed-b',
      (docs) => {
        calls.push(docs.map((d) => String(d.id)));
        if (fail) throw new Error('relay down');
      },
      { startFromBeginning: false },
    );
    // Without startFromBeginning a new lease starts at the current end of the feed.
    await writeTransaction('before-b', 1);
    const runner = startCosmosTriggers({ registrations: [reg], client, pollIntervalMs: 20 });
    await new Promise((r) => setTimeout(r, 200));
    const failed = await writeTransaction('b1', 2);
    await until(() => calls.length === 1, 'the failing invocation');
    fail = false;
    const next = await writeTransaction('b2', 1);
    await until(() => calls.length === 2, 'the next invocation');
    await runner.stop();
    expect(calls).toEqual([failed, next]);
  });
});

describe('timer trigger (NCRONTAB) on the local host', () => {
  it('runs on its six-field schedule, resolving %SETTING% schedules from the environment', async () => {
    process.env.TEST_TIMER_SCHEDULE = '*/1 * * * * *';
    const runs: { isPastDue: boolean }[] = [];
    const reg = registration(
      'every-second',
      { type: 'timerTrigger', schedule: '%TEST_TIMER_SCHEDULE%' },
      (timer: { isPastDue: boolean }) => {
        runs.push(timer);
      },
    );
    const timers = startTimers({ registrations: [reg] });
    expect(timers.names).toEqual(['every-second']);
    await until(() => runs.length >= 2, 'two runs', 5000);
    await timers.stop();
    const after = runs.length;
    await new Promise((r) => setTimeout(r, 1200));
    expect(runs.length).toBe(after);
    expect(runs[0]).toMatchObject({ isPastDue: false });
  });

  it('runs a timer named in runAtStart once when it starts, then on its schedule only', async () => {
    let runs = 0;
    const yearly = registration('plan-like', { type: 'timerTrigger', schedule: '0 0 0 1 1 *' }, () => {
      runs++;
    });
    const other = registration('other', { type: 'timerTrigger', schedule: '0 0 0 1 1 *' }, () => {
      runs += 100;
    });
    const timers = startTimers({ registrations: [yearly, other], runAtStart: ['plan-like'] });
    await until(() => runs >= 1, 'the start-up run', 5000);
    await timers.stop();
    expect(runs).toBe(1);
  });

  it('refuses an invalid schedule, naming the function', () => {
    const reg = registration('broken', { type: 'timerTrigger', schedule: 'every minute' }, () => undefined);
    expect(() => startTimers({ registrations: [reg] })).toThrow(/broken: invalid schedule "every minute"/);
  });
});
