import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalBus, type LocalBus } from '../../local/bus/local-bus';
import { runDlqCommand } from '../../local/bus/dlq-commands';
import { startEmbeddedCosmos, type EmbeddedCosmos } from '../../local/cosmos/embedded-cosmos';
import { createCosmosClient } from '../../shared/adapters/cosmos/client';
import { CONTAINERS, type ContainerDefinition } from '../../shared/adapters/cosmos/containers';
import { CosmosProcessedEvents } from '../../shared/adapters/cosmos/processed-events';
import { ensureCosmosSchema } from '../../shared/adapters/cosmos/provision';
import type { SubscriptionDefinition, TopologyDefinition } from '../../shared/adapters/servicebus/topology';
import { consume } from '../../shared/application/events/consumer';
import type { RetrySchedule } from '../../shared/application/events/retry';
import { UnavailableError } from '../../shared/application/errors';
import { messageFor, type ReceivedMessage } from '../../shared/application/messaging';
import { silentLogger } from '../../shared/platform/logger';
import { submittedEvent } from '../support/events';

/**
 * The local transport's Service Bus semantics, on the embedded (journaled) Cosmos through the real
 * SDK, with the consumer framework and its Cosmos idempotency records where a test is about effects.
 * The subscriptions carry the real names (the dlq command knows them) with test event types and a
 * one-second lock, so lock expiry is quick to observe.
 */
const sub = (name: string, eventTypes: string[]): SubscriptionDefinition => ({
  name,
  eventTypes,
  maxDeliveryCount: 10,
  lockDurationSeconds: 1,
  deadLetteringOnMessageExpiration: true,
  defaultMessageTimeToLiveSeconds: 3600,
});
const TOPOLOGY: TopologyDefinition = {
  topic: 'domain-events',
  duplicateDetectionWindowSeconds: 600,
  subscriptions: [sub('orders-workflow', ['order.submitted', 'order.assigned']), sub('notifications', ['order.submitted'])],
};

let dataDir: string;
let cosmos: EmbeddedCosmos;
let client: CosmosClient;
let processed: CosmosProcessedEvents;
const buses: LocalBus[] = [];
let containerCount = 0;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'algesta-bus-'));
  cosmos = await startEmbeddedCosmos({ dataDir });
  client = await createCosmosClient({ endpoint: cosmos.endpoint, key: cosmos.key });
  await ensureCosmosSchema(client, [CONTAINERS.processedEvents]);
  processed = new CosmosProcessedEvents(
    client.database(CONTAINERS.processedEvents.database).container(CONTAINERS.processedEvents.id),
  );
});

afterAll(async () => {
  for (const b of buses) await b.stop();
  client?.dispose();
  await cosmos?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** A fresh bus container per test, so tests do not see each other's messages. */
async function freshContainer(): Promise<Container> {
  const def: ContainerDefinition = { ...CONTAINERS.bus, id: `bus-${++containerCount}` };
  await ensureCosmosSchema(client, [def]);
  return client.database(def.database).container(def.id);
}

function bus(container: Container, now?: () => number): LocalBus {
  const b = createLocalBus({ container, topology: TOPOLOGY, pollIntervalMs: 20, abandonDelayMs: 5, ...(now ? { now } : {}) });
  buses.push(b);
  return b;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('local bus: delivery semantics of Service Bus', () => {
  it('a handler that throws twice then succeeds has one effect; the handler sees the delivery count', async () => {
    const b = bus(await freshContainer());
    const seen: number[] = [];
    let effects = 0;
    b.consume('orders-workflow', async (m) => {
      await consume(
        'test-consumer-1',
        m.body,
        { deliveryCount: m.deliveryCount },
        { processed, logger: silentLogger, now: () => new Date(), retry: { publisher: b.publisher } },
        {
          'order.submitted': async (_e, ctx) => {
            seen.push(ctx.deliveryCount);
            if (ctx.deliveryCount <= 2) throw new Error(`transient failure ${ctx.deliveryCount}`);
            effects++;
          },
        },
      );
    });
    b.start();
    await b.publisher.publish([messageFor(submittedEvent('evt_retry'))]);
    await until(() => effects === 1, 'the third delivery');
    await settle(1500); // beyond the lock duration: a completed message never comes back
    expect(seen).toEqual([1, 2, 3]);
    expect(effects).toBe(1);
    expect(await b.deadLetters('orders-workflow')).toEqual([]);
  });

  it('a handler that always throws is dead-lettered after 10 deliveries with its error, and can be replayed', async () => {
    const b = bus(await freshContainer());
    let failing = true;
    const deliveries: number[] = [];
    let handled = 0;
    b.consume('orders-workflow', async (m) => {
      deliveries.push(m.deliveryCount);
      if (failing) throw new Error('downstream is down');
      handled++;
    });
    b.start();
    await b.publisher.publish([messageFor(submittedEvent('evt_poison'))]);
    await until(async () => (await b.deadLetters('orders-workflow')).length === 1, 'the dead letter');
    expect(deliveries).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const [dead] = await b.deadLetters('orders-workflow');
    expect(dead).toMatchObject({
      messageId: 'evt_poison',
      reason: 'MaxDeliveryCountExceeded',
      description: 'downstream is down',
      deliveryCount: 10,
      applicationProperties: { type: 'order.submitted', subject: 'ord_1', correlationId: 'corr-9' },
    });

    // The operator's tools: list and show name it, replay puts it back with a fresh delivery count.
    const listed = await runDlqCommand(['list', '--subscription', 'orders-workflow'], b);
    expect(listed).toContain('evt_poison');
    expect(listed).toContain('MaxDeliveryCountExceeded: downstream is down');
    expect(JSON.parse(await runDlqCommand(['show', 'evt_poison'], b))).toMatchObject([
      { subscription: 'orders-workflow', messageId: 'evt_poison' },
    ]);
    await expect(runDlqCommand(['replay'], b)).rejects.toThrow(/messageId or --all/);
    failing = false;
    expect(await runDlqCommand(['replay', 'evt_poison', '--subscription', 'orders-workflow'], b)).toContain('replayed 1');
    await until(() => handled === 1, 'the replayed delivery');
    expect(deliveries.at(-1)).toBe(1);
    expect(await b.deadLetters('orders-workflow')).toEqual([]);
    expect(await runDlqCommand(['list'], b)).toMatch(/^no dead-lettered messages/);
  });

  it('"not now": the message completes and its copy arrives after the delay, only at the failing subscription', async () => {
    const b = bus(await freshContainer());
    const schedule: RetrySchedule = { maxAttempts: 10, firstDelayMs: 800, maxDelayMs: 800, maxRetryAfterMs: 800, jitter: 0 };
    const seen: Record<string, { messageId: string; attempt: unknown; at: number }[]> = {
      'orders-workflow': [],
      notifications: [],
    };
    let failedAt = 0;
    let effects = 0;
    for (const s of Object.keys(seen)) {
      b.consume(s, async (m) => {
        seen[s]!.push({ messageId: m.messageId, attempt: m.applicationProperties.attempt, at: Date.now() });
        await consume(
          s,
          m.body,
          { deliveryCount: m.deliveryCount, messageId: m.messageId, applicationProperties: m.applicationProperties },
          { processed, logger: silentLogger, now: () => new Date(), retry: { publisher: b.publisher, schedule } },
          {
            'order.submitted': async () => {
              if (s === 'orders-workflow' && !failedAt) {
                failedAt = Date.now();
                throw new UnavailableError('asana busy', 1);
              }
              if (s === 'orders-workflow') effects++;
            },
          },
        );
      });
    }
    b.start();
    await b.publisher.publish([messageFor(submittedEvent('evt_later_again'))]);
    await until(() => effects === 1, 'the re-sent copy');
    await settle(300);

    // The copy: a message of its own (the original completed: it never came back), due after the delay.
    const [original, copy] = seen['orders-workflow']!;
    expect(seen['orders-workflow']).toHaveLength(2);
    expect(original).toMatchObject({ messageId: 'evt_later_again', attempt: undefined });
    expect(copy!.messageId).toMatch(/^evt_later_again:retry:orders-workflow:2:c[0-9a-f]{7}$/);
    expect(copy!.attempt).toBe(2);
    expect(copy!.at - failedAt).toBeGreaterThanOrEqual(800);
    // The other subscription of the type had the event once, and not the copy.
    expect(seen.notifications).toEqual([expect.objectContaining({ messageId: 'evt_later_again' })]);
    expect(await b.deadLetters('orders-workflow')).toEqual([]);
  });

  it('"not now" until the last attempt: dead-lettered with the reason; replayed, it gets the whole schedule again', async () => {
    const container = await freshContainer();
    const b = bus(container);
    const schedule: RetrySchedule = { maxAttempts: 3, firstDelayMs: 50, maxDelayMs: 100, maxRetryAfterMs: 100, jitter: 0 };
    let failing = true;
    const attempts: unknown[] = [];
    b.consume('orders-workflow', async (m) => {
      attempts.push(m.applicationProperties.attempt ?? 1);
      await consume(
        'orders-workflow',
        m.body,
        { deliveryCount: m.deliveryCount, messageId: m.messageId, applicationProperties: m.applicationProperties },
        { processed, logger: silentLogger, now: () => new Date(), retry: { publisher: b.publisher, schedule } },
        {
          'order.submitted': async () => {
            if (failing) throw new UnavailableError('docusign unavailable during "create envelope": rate-limited', 11);
          },
        },
      );
    });
    b.start();
    await b.publisher.publish([messageFor(submittedEvent('evt_budget'))]);
    await until(async () => (await b.deadLetters('orders-workflow')).length === 1, 'the dead letter');
    // Attempts 1 and 2 re-sent; the 3rd failed on each of its 10 deliveries, then the bus dead-lettered it.
    expect(attempts).toEqual([1, 2, ...Array<number>(10).fill(3)]);
    const [dead] = await b.deadLetters('orders-workflow');
    expect(dead).toMatchObject({
      reason: 'MaxDeliveryCountExceeded',
      description: 'docusign unavailable during "create envelope": rate-limited',
      deliveryCount: 10,
      applicationProperties: {
        type: 'order.submitted',
        target: 'orders-workflow',
        attempt: 3,
        retryReason: 'docusign unavailable during "create envelope": rate-limited',
      },
    });
    expect(dead!.messageId).toMatch(/^evt_budget:retry:orders-workflow:3:c[0-9a-f]{7}$/);

    // Replayed while the partner is still down: the replayed copy is attempt 1 of a new chain (no
    // messageId of the first chain is sent again, which duplicate detection would drop), and so on
    // to the dead-letter queue again.
    expect(await runDlqCommand(['replay', dead!.messageId], b)).toContain('replayed 1');
    const firstChain = dead!.applicationProperties.retryChain;
    const again = await (async () => {
      await until(
        async () => (await b.deadLetters('orders-workflow')).some((d) => d.applicationProperties.retryChain !== firstChain),
        'the dead letter of the second chain',
      );
      return (await b.deadLetters('orders-workflow'))[0]!;
    })();
    expect(attempts.slice(12)).toEqual([1, 2, ...Array<number>(10).fill(3)]);
    expect(again.messageId).toMatch(/^evt_budget:retry:orders-workflow:3:c[0-9a-f]{7}$/);
    expect(again.messageId).not.toBe(dead!.messageId);
    expect(await b.deadLetters('orders-workflow')).toHaveLength(1);

    // The partner is back: a replay completes.
    failing = false;
    expect(await runDlqCommand(['replay', '--all', '--subscription', 'orders-workflow'], b)).toContain('replayed 1');
    await until(() => processed.has('orders-workflow', 'evt_budget'), 'the replayed delivery handled');
    expect(await b.deadLetters('orders-workflow')).toEqual([]);
  });

  it('an invalid event is dead-lettered with the registry’s reason, not dropped', async () => {
    const b = bus(await freshContainer());
    b.consume('orders-workflow', async (m) => {
      await consume(
        'test-consumer-2',
        m.body,
        { deliveryCount: m.deliveryCount },
        { processed, logger: silentLogger, now: () => new Date(), retry: { publisher: b.publisher } },
        {
          'order.submitted': async () => undefined,
        },
      );
    });
    b.start();
    const broken = submittedEvent('evt_broken', { data: { orderId: 'ord_1' } });
    await b.publisher.publish([messageFor(broken)]);
    await until(async () => (await b.deadLetters('orders-workflow')).length === 1, 'the dead letter');
    const [dead] = await b.deadLetters('orders-workflow');
    expect(dead?.messageId).toBe('evt_broken');
    expect(dead?.description).toMatch(/order\.submitted/);
  });

  it('the same event published twice has one effect (duplicate detection by messageId)', async () => {
    const b = bus(await freshContainer());
    const received: string[] = [];
    b.consume('orders-workflow', async (m) => {
      received.push(m.messageId);
    });
    b.start();
    const message = messageFor(submittedEvent('evt_twice'));
    await b.publisher.publish([message, message]);
    await until(() => received.length === 1, 'the delivery');
    await b.publisher.publish([message]); // after completion, still inside the detection window
    await b.publisher.publish([messageFor(submittedEvent('evt_other'))]);
    await until(() => received.length === 2, 'the second event');
    await settle(200);
    expect(received).toEqual(['evt_twice', 'evt_other']);
  });

  it('a scheduled message is not delivered before its time', async () => {
    const b = bus(await freshContainer());
    const received: { id: string; at: number }[] = [];
    b.consume('orders-workflow', async (m) => {
      received.push({ id: m.messageId, at: Date.now() });
    });
    b.start();
    const due = new Date(Date.now() + 1500);
    await b.publisher.publish([messageFor(submittedEvent('evt_later'), due), messageFor(submittedEvent('evt_now'))]);
    await until(() => received.length === 2, 'both deliveries');
    expect(received.map((r) => r.id)).toEqual(['evt_now', 'evt_later']);
    expect(received[1]!.at).toBeGreaterThanOrEqual(due.getTime());
  });

  it('subscription filters route only the subscribed types', async () => {
    const b = bus(await freshContainer());
    const got: Record<string, string[]> = { 'orders-workflow': [], notifications: [] };
    for (const s of Object.keys(got)) {
      b.consume(s, async (m: ReceivedMessage) => {
        got[s]!.push(String(m.applicationProperties.type));
      });
    }
    b.start();
    await b.publisher.publish([
      messageFor(submittedEvent('evt_a')),
      messageFor(submittedEvent('evt_b', { type: 'order.assigned' })),
      messageFor(submittedEvent('evt_c', { type: 'provider.invited' })),
    ]);
    await until(() => got['orders-workflow']!.length === 2 && got.notifications!.length === 1, 'the routed deliveries');
    await settle(200);
    expect(got['orders-workflow']!.sort()).toEqual(['order.assigned', 'order.submitted']);
    expect(got.notifications).toEqual(['order.submitted']);
  });

  it('a message whose consumer died is redelivered when its lock expires, to another receiver', async () => {
    const container = await freshContainer();
    const first = bus(container);
    let firstGotIt = false;
    // The first receiver never settles: like a process killed in the middle of a handler.
    first.consume('orders-workflow', () => {
      firstGotIt = true;
      return new Promise<void>(() => undefined);
    });
    first.start();
    await first.publisher.publish([messageFor(submittedEvent('evt_orphan'))]);
    await until(() => firstGotIt, 'the first delivery');
    // Its stop would wait for that handler forever: it is left running, stopped from polling.
    buses.splice(buses.indexOf(first), 1);
    void first.stop();

    const second = bus(container);
    const deliveries: number[] = [];
    second.consume('orders-workflow', async (m) => {
      deliveries.push(m.deliveryCount);
    });
    second.start();
    await until(() => deliveries.length === 1, 'the redelivery after the lock expired');
    expect(deliveries).toEqual([2]);
  });

  it('an expired message is dead-lettered as expired, not delivered', async () => {
    const container = await freshContainer();
    let clock = Date.now();
    const b = bus(container, () => clock);
    const received: string[] = [];
    b.consume('orders-workflow', async (m) => {
      received.push(m.messageId);
    });
    await b.publisher.publish([messageFor(submittedEvent('evt_stale'))]);
    clock += 3601 * 1000; // beyond the subscription's time to live
    b.start();
    await until(async () => (await b.deadLetters('orders-workflow')).length === 1, 'the expiry');
    expect(received).toEqual([]);
    expect((await b.deadLetters('orders-workflow'))[0]).toMatchObject({ messageId: 'evt_stale', reason: 'TTLExpiredException' });
  });
});
