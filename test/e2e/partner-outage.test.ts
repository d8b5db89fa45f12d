import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDlqCommand } from '../../local/bus/dlq-commands';
import { DEMO } from '../../local/seed';
import type { RequestMatch } from '../../local/sandboxes/http-sandbox';
import { CONTAINERS } from '../../shared/adapters/cosmos/containers';
import { MAX_HOLD_MS } from '../../shared/application/events/consumer';
import { apiClient, eventually, orderActions, startTestStack } from '../support/stack';

/**
 * DocuSign down while orders are approved, on the local host, with the production resilience
 * policy (8 s timeout, 3 retries, circuit 5 failures → open 30 s) and the durable local bus
 * (10 deliveries, then the dead-letter queue):
 *
 * 1. 503s, a hanging request and a lost answer: the API approves at once, the circuit opens, the
 *    messages are held and redelivered by the bus with the real holds (at most 20 s), and after
 *    recovery every order has exactly one envelope — also the order whose create DocuSign processed
 *    but never answered.
 * 2. DocuSign down for longer than the delivery budget: the message is dead-lettered with the
 *    partner's name in its reason, and a replay with the `npm run dlq -- replay` code completes it
 *    with exactly one envelope.
 *
 * The workflows' holds go through `holdFailedMessage` (docs/local-host.md): recorded, and real
 * except while test 2 spends its delivery budget — 10 held deliveries take minutes in Azure. The
 * circuit's 30 s is real time, so test 1 takes about 35 s and the file about 50 s.
 */
const holds: { ms: number; at: number }[] = [];
let shortenHolds = false;
const holdFailedMessage = async (ms: number) => {
  holds.push({ ms, at: Date.now() });
  if (!shortenHolds) await new Promise((r) => setTimeout(r, ms));
};

let stack: Awaited<ReturnType<typeof startTestStack>>;
let api: ReturnType<typeof apiClient>;
let act: ReturnType<typeof orderActions>;
let t: Record<'admin' | 'operator' | 'client' | 'provider', string>;
const docusign = () => stack.services.sandboxes!.docusign;

beforeAll(async () => {
  stack = await startTestStack({}, { holdFailedMessage });
  api = apiClient(`${stack.url}/api`);
  act = orderActions(api);
  t = stack.tokens;
});
afterAll(async () => {
  shortenHolds = true; // after a failure, messages still failing are not held while the stack stops
  await stack?.dispose();
});

/** Search (`GET`) and create (`POST`) of envelopes: what `createEnvelope` sends. */
const ENVELOPES = /\/envelopes$/;
const SEARCH: RequestMatch = { method: 'GET', path: ENVELOPES };
const CREATE: RequestMatch = { method: 'POST', path: ENVELOPES };
const isEnvelopeCall = (r: { path: string }) => ENVELOPES.test(r.path.split('?')[0] ?? '');

const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
const order = async (id: string) => (await api('GET', `/v1/orders/${id}`, { token: t.operator })).body;

/** A new order with a selected quote: the client's approval is all that is left before the contract. */
async function quotedOrder(title: string): Promise<string> {
  const r = await api('POST', '/v1/orders', {
    token: t.client,
    body: { siteId: DEMO.siteIds[0], category: 'hvac', priority: 'P3', title, description: 'x' },
  });
  expect(r.status, r.text).toBe(201);
  const id = r.body.id as string;
  await act(id, 'triage', t.operator);
  await act(id, 'request-quotes', t.operator, { quoteDeadline: inHours(2) });
  const quote = await api('POST', `/v1/orders/${id}/quotes`, {
    token: t.provider,
    body: { amount: { amount: 700_000_00, currency: 'COP' }, leadTimeDays: 1, validUntil: inHours(24 * 30).slice(0, 10) },
  });
  await act(id, 'select-quote', t.operator, { quoteId: quote.body.id });
  return id;
}

/** The client approves; the API answers without waiting for DocuSign. Returns how long it took. */
async function approve(id: string): Promise<number> {
  const started = Date.now();
  await act(id, 'approve', t.client);
  return Date.now() - started;
}

const envelopesOf = (orderId: string) =>
  docusign()
    .envelopes()
    .filter((e) => e.textCustomFields.some((f) => f.name === 'orderId' && f.value === orderId));

const recordedEnvelope = (id: string, timeoutMs: number) =>
  eventually(async () => (await order(id)).contract?.envelopeId as string | undefined, timeoutMs);

/** The order's `order.contract-requested` message on the orders workflow's subscription of the local bus, once relayed. */
async function contractMessage(orderId: string) {
  return eventually(() => findContractMessage(orderId));
}

async function findContractMessage(orderId: string) {
  const { getRoot } = await import('../../functions/composition-root');
  const bus = (await getRoot().cosmos()).database(CONTAINERS.bus.database).container(CONTAINERS.bus.id);
  const { resources } = await bus.items
    .query<{ messageId: string; state: string; deliveryCount: number }>(
      {
        query:
          'SELECT c.messageId, c.state, c.deliveryCount FROM c WHERE c.subscription = "orders-workflow" AND ' +
          'c.applicationProperties.type = "order.contract-requested" AND c.applicationProperties.subject = @id',
        parameters: [{ name: '@id', value: orderId }],
      },
      { partitionKey: 'orders-workflow' },
    )
    .fetchAll();
  expect(resources.length).toBeLessThanOrEqual(1);
  return resources[0];
}

describe('DocuSign outage on the local host', () => {
  it('503s, a hang and a lost answer: approvals answer at once, the circuit opens, the bus redelivers, one envelope per order after recovery', async () => {
    const [a, b, c] = await Promise.all([quotedOrder('Caída A'), quotedOrder('Caída B'), quotedOrder('Caída C')]);
    const ds = docusign();
    const from = ds.requests.length;
    // DocuSign degrades: four searches answer 503, the fifth hangs past the adapter's 8 s timeout,
    // and the first create is processed but its answer is lost. With nothing succeeding in between,
    // that lost answer is the fifth failure in a row: the circuit opens on it, so the order whose
    // envelope now exists unrecorded meets the open circuit, not a quick second try.
    ds.failNext(4, 503, { match: SEARCH });
    ds.hang(10_000, { count: 1, match: SEARCH });
    ds.loseResponses(1, { match: CREATE });

    const took = await Promise.all([approve(a), approve(b)]);
    const lossAt = await eventually(async () => (ds.requests.some((r) => r.outcome === 'lost') ? Date.now() : undefined));
    const lost = ds.requests.findIndex((r) => r.outcome === 'lost');
    expect(
      ds.requests
        .slice(from, lost + 1)
        .filter(isEnvelopeCall)
        .map((r) => `${r.method} ${r.outcome}`),
    ).toEqual([...Array<string>(4).fill('GET failed'), 'GET hung', 'GET handled', 'POST lost']);

    // With the circuit open, a third order is approved: the API still answers at once.
    took.push(await approve(c));
    for (const ms of took) expect(ms).toBeLessThan(2_000);

    // All three messages fail fast and are held for the circuit's remaining time, capped at 20 s
    // (the hung one after its timeout) — and DocuSign hears nothing meanwhile.
    await eventually(async () => (holds.filter((h) => h.ms === MAX_HOLD_MS).length >= 3 ? true : undefined), 15_000);
    expect(ds.requests.slice(lost + 1).filter(isEnvelopeCall)).toEqual([]);
    for (const id of [a, b, c]) expect((await order(id)).contract?.envelopeId).toBeUndefined();

    ds.recover();
    // Nothing reaches DocuSign before the circuit half-opens (30 s after the lost answer); the held
    // messages come back by then and complete.
    const envelopeIds = await Promise.all([a, b, c].map((id) => recordedEnvelope(id, 45_000)));
    expect(Date.now() - lossAt).toBeGreaterThanOrEqual(29_000);

    for (const [i, id] of [a, b, c].entries()) {
      expect(envelopesOf(id).map((e) => e.envelopeId)).toEqual([envelopeIds[i]]);
      expect(envelopesOf(id)[0]?.templateRoles.map((r) => r.roleName)).toEqual(['provider', 'client']);
      const message = await contractMessage(id);
      expect(message.state).toBe('completed');
      expect(message.deliveryCount).toBeGreaterThanOrEqual(2); // redelivered by the bus
      expect(message.deliveryCount).toBeLessThan(10);
    }
    // After the recovery: a search per order, and a create only for the two whose create never
    // reached DocuSign — the lost one was found, not sent again.
    const afterLoss = ds.requests.slice(lost + 1).filter(isEnvelopeCall);
    expect(afterLoss.map((r) => `${r.method} ${r.outcome}`).sort()).toEqual([
      'GET handled',
      'GET handled',
      'GET handled',
      'POST handled',
      'POST handled',
    ]);
    expect(await stack.services.bus!.deadLetters('orders-workflow')).toEqual([]);
  });

  it('down for longer than the delivery budget: dead-lettered with the partner named, replayed with the dlq command after recovery, one envelope', async () => {
    const bus = stack.services.bus!;
    const id = await quotedOrder('Caída larga');
    const ds = docusign();
    const from = ds.requests.length;
    const holdsFrom = holds.length;
    // DocuSign in maintenance: every request answers 503 with Retry-After 11 s — longer than the
    // policy waits in-process, so each delivery fails and is held for it (shortened here).
    ds.failNext(1_000, 503, { retryAfterSeconds: 11, match: { path: ENVELOPES } });
    shortenHolds = true;
    expect(await approve(id)).toBeLessThan(2_000);

    const { messageId } = await contractMessage(id);
    const dead = await eventually(
      async () => (await bus.deadLetters('orders-workflow')).find((d) => d.messageId === messageId),
      20_000,
    );
    expect(dead).toMatchObject({ reason: 'MaxDeliveryCountExceeded', deliveryCount: 10 });
    expect(dead.description).toMatch(/^docusign unavailable during "create envelope"/);
    const listed = await runDlqCommand(['list', '--subscription', 'orders-workflow'], bus);
    expect(listed).toContain(
      `${messageId}  order.contract-requested  deliveries=10  MaxDeliveryCountExceeded: docusign unavailable`,
    );
    // Ten deliveries, one request: the partner's Retry-After kept the others from reaching it.
    expect(
      ds.requests
        .slice(from)
        .filter(isEnvelopeCall)
        .map((r) => `${r.method} ${r.status}`),
    ).toEqual(['GET 503']);
    expect(holds.slice(holdsFrom).map((h) => h.ms)[0]).toBe(11_000);
    expect((await order(id)).contract?.envelopeId).toBeUndefined();
    expect(envelopesOf(id)).toEqual([]);

    // The partner is back; the operator replays the message (what `npm run dlq -- replay` runs). Holds
    // are real again: the replayed message waits out what is left of the Retry-After, then completes.
    ds.recover();
    shortenHolds = false;
    expect(await runDlqCommand(['replay', messageId, '--subscription', 'orders-workflow'], bus)).toContain('replayed 1');
    const envelopeId = await recordedEnvelope(id, 20_000);
    expect(envelopesOf(id).map((e) => e.envelopeId)).toEqual([envelopeId]);
    expect(await contractMessage(id)).toMatchObject({ state: 'completed' });
    expect(await bus.deadLetters('orders-workflow')).toEqual([]);
    expect(await runDlqCommand(['list', '--subscription', 'orders-workflow'], bus)).toMatch(/^no dead-lettered messages/);
  });
});
