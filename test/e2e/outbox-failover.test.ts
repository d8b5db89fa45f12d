import { loadBuildInfo } from '../../shared/platform/build-info';
import { readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../local/seed';
import { outboxesOf } from '../../local/stack-file';
import { outboxCli } from '../../scripts/outbox-cli';
import { readWhatsAppOutbox } from '../../shared/adapters/whatsapp/sandbox-whatsapp';
import type { OutgoingMessage } from '../../shared/application/messaging';
import { spineProbe, untilQuiet, type SpineProbe } from '../support/bus-quiet';
import {
  allDeadLetters,
  apiClient,
  createOrder,
  eventually,
  orderActions,
  quotedOrder,
  readOrder,
  startTestStack,
  typedClients,
  type TypedClients,
} from '../support/stack';

/**
 * "Nothing accepted is lost and nothing happens twice" at a Service Bus failover, from outside
 * (docs/operations.md, "Outbox"; docs/events.md, "Failover"). Orders go through several lifecycle
 * steps over HTTP; once the event spine is at rest every effect is counted — e-mails and WhatsApp
 * messages in the sandboxes, the client feed's requests and deliveries, notification records, each
 * order and its history, the messages waiting on the bus for a later time. Then the bus fails over
 * (`simulateNamespaceFailover`: a new namespace holds no message and no duplicate-detection history)
 * and everything since the start is republished through `npm run outbox`'s own code: every count
 * and state is unchanged, the scheduled messages are back, and the republish sent what the outbox
 * counts. An event whose relay never happened is delivered exactly once by the republish.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let raw: ReturnType<typeof apiClient>;
let as: TypedClients;
let act: ReturnType<typeof orderActions>;
let t: Record<'admin' | 'operator' | 'client' | 'provider', string>;
let probe: SpineProbe;
let endpointId: string;

/** Requests the receiver answered 200 (while `receiverDown` it answers 503 and records nothing). */
const received: { path: string; body: string }[] = [];
let receiverDown = false;
let receiver: Server;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (receiverDown) {
        res.writeHead(503).end();
        return;
      }
      received.push({ path: req.url ?? '/', body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  stack = await startTestStack(
    { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', ALGESTA_REGION: 'eastus2' },
    // A failed feed attempt is retried after 35-42 s: longer than `untilQuiet` calls "soon", so the
    // spine is at rest while a delivery waits for its retry (the last case).
    {
      feedSchedule: () => ({ firstDelayMs: 35_000, maxDelayMs: 35_000, jitter: 0.2, giveUpAfterMs: 10 * 60_000, settleMs: 300 }),
    },
  );
  raw = apiClient(`${stack.url}/api`);
  as = typedClients(stack.url);
  act = orderActions(as);
  t = stack.tokens;
  probe = spineProbe(stack.services.cosmos!);
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/feed`;
  const registered = await raw('POST', `/v1/clients/${DEMO.clientId}/webhooks`, { token: t.client, body: { url } });
  expect(registered.status, registered.text).toBe(201);
  endpointId = registered.body.id as string;
}, 120_000);
afterAll(async () => {
  probe?.dispose();
  await stack?.dispose();
  await new Promise((r) => receiver?.close(r));
});

const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

/** `npm run outbox -- …` on the test stack's data folder (the running stack's Cosmos and bus). */
async function outbox<T>(...argv: string[]): Promise<T> {
  const result = await outboxCli([...argv, '--json', '--data-dir', stack.dataDir], {});
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}
interface Count {
  total: number;
  byType: Record<string, { relayed: number; unrelayed: number }>;
}
interface Republished {
  published: number;
  total: number;
  unrelayed: number;
  byType: Record<string, number>;
}

async function notificationsOf(orderId: string) {
  const { data } = await as(t.operator).GET('/api/v1/notifications', { params: { query: { orderId, limit: 100 } } });
  return data!.items.map((n) => `${n.id} ${n.channel} ${n.status}`).sort();
}

async function deliveryLog() {
  const r = await raw('GET', `/v1/clients/${DEMO.clientId}/webhooks/${endpointId}/deliveries?limit=100`, { token: t.client });
  expect(r.status, r.text).toBe(200);
  return r.body.items as { eventId: string; orderId: string; status: string; attempts: unknown[] }[];
}

async function feedDeliveries() {
  return (await deliveryLog()).map((d) => `${d.eventId} ${d.status} attempts=${d.attempts.length}`).sort();
}

/** Every effect the outside can see, for these orders. */
async function effects(orderIds: readonly string[]) {
  const sandbox = outboxesOf(process.env.SANDBOX_DIR!);
  const orders: Record<string, unknown> = {};
  for (const id of orderIds) {
    const history = await as(t.operator).GET('/api/v1/orders/{orderId}/history', { params: { path: { orderId: id } } });
    orders[id] = {
      order: await readOrder(as, t.operator, id),
      history: history.data!.items,
      notifications: await notificationsOf(id),
    };
  }
  return {
    emails: (await readdir(sandbox.mailbox).catch(() => [])).filter((f) => f.endsWith('.eml')).sort(),
    whatsapp: (await readWhatsAppOutbox(sandbox.whatsapp)).map((m) => m.notificationId).sort(),
    feedRequests: received.length,
    feedDeliveries: await feedDeliveries(),
    scheduled: await probe.scheduled(),
    orders,
  };
}

describe('outbox republish at a Service Bus failover', () => {
  it('answers the region the instance runs in', async () => {
    expect((await as().GET('/api/health')).data).toEqual({ status: 'ok', ...loadBuildInfo(), region: 'eastus2' });
  });

  it('republishing everything after the bus forgot it changes no effect and no state', async () => {
    const since = new Date(Date.now() - 1_000).toISOString();
    const quoted = await quotedOrder(as, t, 'Failover A');
    const approved = await quotedOrder(as, t, 'Failover B');
    await act(approved, 'cancel', t.operator, { reason: 'duplicate' });
    const inField = (await createOrder(as, t.client, { title: 'Failover C' })).id;
    await act(inField, 'triage', t.operator, { priority: 'P3' });
    await act(inField, 'assign', t.operator, {
      providerId: DEMO.providerIds[0],
      amount: { amount: 800_000_00, currency: 'COP' },
    });
    // The contract through the DocuSign sandbox and its Connect webhook, as in production.
    const envelopeId = await eventually(async () => (await readOrder(as, t.operator, inField)).contract?.envelopeId);
    await stack.services.sandboxes!.docusign.complete(envelopeId);
    await eventually(async () => ((await readOrder(as, t.operator, inField)).status !== 'CONTRACTING' ? true : undefined));
    await act(inField, 'schedule', t.provider, { visitAt: inHours(24) });
    await act(inField, 'check-in', t.provider);
    const orderIds = [quoted, approved, inField];

    await untilQuiet(probe);
    const before = await effects(orderIds);
    // The steps had effects to lose: mail, the feed, notifications, deadlines waiting on the bus.
    expect(before.emails.length).toBeGreaterThan(0);
    expect(before.feedDeliveries.length).toBeGreaterThan(0);
    expect(before.scheduled.length).toBeGreaterThan(0);
    const counted = await outbox<Count>('count', '--since', since);
    expect(Object.values(counted.byType).every((c) => c.unrelayed === 0)).toBe(true);

    const forgotten = await stack.services.bus!.simulateNamespaceFailover();
    expect(forgotten.completed).toBeGreaterThan(0);
    expect(forgotten.pending).toBe(before.scheduled.length);
    expect(await probe.scheduled()).toEqual([]);

    const republished = await outbox<Republished>('republish', '--since', since);
    expect(republished.published).toBe(counted.total);
    expect(republished.byType).toEqual(
      Object.fromEntries(Object.entries(counted.byType).map(([type, c]) => [type, c.relayed + c.unrelayed])),
    );
    await untilQuiet(probe);

    expect(await effects(orderIds)).toEqual(before);
    expect(await allDeadLetters(stack.services.bus!)).toEqual([]);
  }, 240_000);

  it('an event whose relay never happened is delivered exactly once by the republish', async () => {
    await untilQuiet(probe);
    const since = new Date(Date.now() - 1_000).toISOString();
    // The bus refuses everything for a moment: the relay's publish fails, the change feed moves on
    // (its lease advances on failure, as in Azure) and the event stays unrelayed in the outbox.
    const publisher = stack.services.bus!.publisher;
    const publish = publisher.publish.bind(publisher);
    const refused: OutgoingMessage[] = [];
    publisher.publish = async (messages) => {
      refused.push(...messages);
      throw new Error('namespace unreachable');
    };
    let orderId: string;
    try {
      orderId = (await createOrder(as, t.client, { title: 'Never relayed' })).id;
      await eventually(async () => (refused.some((m) => m.body.subject === orderId) ? true : undefined));
    } finally {
      publisher.publish = publish;
    }
    const unrelayed = await outbox<Count>('count', '--since', since);
    expect(unrelayed.byType['order.submitted']).toEqual({ relayed: 0, unrelayed: 1 });
    expect(await notificationsOf(orderId)).toEqual([]);
    const mailsBefore = (await effects([])).emails.length;

    const republished = await outbox<Republished>('republish', '--since', since);
    expect(republished).toMatchObject({ published: unrelayed.total, unrelayed: unrelayed.total });
    await untilQuiet(probe);
    const once = await effects([orderId]);
    const notifications = await notificationsOf(orderId);
    expect(notifications.length).toBeGreaterThan(0);
    expect(once.emails.length).toBeGreaterThan(mailsBefore);
    const submittedId = refused.find((m) => m.body.subject === orderId && m.body.type === 'order.submitted')!.messageId;
    expect(received.filter((r) => (JSON.parse(r.body) as { id: string }).id === submittedId)).toHaveLength(1);
    expect((await outbox<Count>('count', '--since', since)).byType['order.submitted']).toEqual({ relayed: 1, unrelayed: 0 });

    // Again, after another failover: the consumers' records make the second delivery a no-op.
    await stack.services.bus!.simulateNamespaceFailover();
    await outbox<Republished>('republish', '--since', since);
    await untilQuiet(probe);
    // (The failover also took the earlier orders' scheduled messages, which this window does not
    // cover; the previous case shows a republish from their start brings them back.)
    const { scheduled: _later, ...twice } = await effects([orderId]);
    const { scheduled: _earlier, ...first } = once;
    expect(twice).toEqual(first);
  }, 240_000);

  it('a client-feed delivery waiting for its retry when the bus fails over is delivered after the republish', async () => {
    await untilQuiet(probe);
    const since = new Date(Date.now() - 1_000).toISOString();
    receiverDown = true;
    const orderId = (await createOrder(as, t.client, { title: 'Receiver down' })).id;
    // The first attempt fails; its retry is a wake-up scheduled on the bus, 35 s or more away.
    await untilQuiet(probe);
    const waiting = (await deliveryLog()).filter((d) => d.orderId === orderId);
    expect(waiting.map((d) => d.status)).toEqual(['retry-scheduled']);
    expect((await probe.scheduled()).some((m) => m.startsWith('client-feed '))).toBe(true);

    // The failover takes the wake-up with it: nothing on the new namespace would ever move the lane
    // (the feed consumer has handled the event, so republishing the event alone would not either).
    await stack.services.bus!.simulateNamespaceFailover();
    expect(await probe.scheduled()).toEqual([]);
    receiverDown = false;

    const republished = await outbox<Republished & { feedLanesWoken: number }>('republish', '--since', since);
    expect(republished.feedLanesWoken).toBe(1);
    const eventId = waiting[0]!.eventId;
    await eventually(
      async () => ((await deliveryLog()).find((d) => d.eventId === eventId)?.status === 'delivered' ? true : undefined),
      90_000,
    );
    await untilQuiet(probe);
    expect(received.filter((r) => (JSON.parse(r.body) as { id: string }).id === eventId)).toHaveLength(1);
    expect((await deliveryLog()).filter((d) => d.orderId === orderId).map((d) => d.status)).toEqual(['delivered']);
  }, 240_000);
});
