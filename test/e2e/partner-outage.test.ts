import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDlqCommand } from '../../local/bus/dlq-commands';
import type { RequestMatch } from '../../local/sandboxes/http-sandbox';
import { CONTAINERS } from '../../shared/adapters/cosmos/containers';
import { RETRY_SCHEDULE, type RetrySchedule } from '../../shared/application/events/retry';
import {
  eventually,
  orderActions,
  quotedOrder as quotedOrderOn,
  startTestStack,
  typedClients,
  readOrder,
} from '../support/stack';

/**
 * DocuSign down while orders are approved, on the local host, with the production resilience
 * policy (8 s timeout, 3 retries, circuit 5 failures → open 30 s), the workflows' production retry
 * schedule (a "not now" failure completes the message and re-sends it as a scheduled message:
 * 5 s × 2ⁿ up to 10 min, or the partner's longer Retry-After, 10 attempts) and the durable local bus:
 *
 * 1. 503s, a hanging request and a lost answer: the API approves at once, the circuit opens, the
 *    messages are re-sent for when it half-opens — nothing waits inside a function — and after
 *    recovery every order has exactly one envelope, also the order whose create DocuSign processed
 *    but never answered.
 * 2. DocuSign down for longer than the retry budget: the last attempt is dead-lettered with the
 *    partner's name in its reason, and a replay with the `npm run dlq -- replay` code completes it
 *    with exactly one envelope.
 *
 * The schedule is read through the stack's `retrySchedule` (docs/local-host.md): test 2 shortens it
 * while it spends the 10 attempts, which take half an hour in Azure. The circuit's 30 s is real
 * time, so test 1 takes about 35 s and the file about 50 s.
 */
const SHORT: RetrySchedule = { maxAttempts: 10, firstDelayMs: 20, maxDelayMs: 100, maxRetryAfterMs: 100, jitter: 0 };
let schedule: RetrySchedule = RETRY_SCHEDULE;

let stack: Awaited<ReturnType<typeof startTestStack>>;
let as: ReturnType<typeof typedClients>;
let act: ReturnType<typeof orderActions>;
let t: Record<'admin' | 'operator' | 'client' | 'provider', string>;
const docusign = () => stack.services.sandboxes!.docusign;

beforeAll(async () => {
  stack = await startTestStack({}, { retrySchedule: () => schedule });
  as = typedClients(stack.url);
  act = orderActions(as);
  t = stack.tokens;
});
afterAll(async () => {
  await stack?.dispose();
});

/** Search (`GET`) and create (`POST`) of envelopes: what `createEnvelope` sends. */
const ENVELOPES = /\/envelopes$/;
const SEARCH: RequestMatch = { method: 'GET', path: ENVELOPES };
const CREATE: RequestMatch = { method: 'POST', path: ENVELOPES };
const isEnvelopeCall = (r: { path: string }) => ENVELOPES.test(r.path.split('?')[0] ?? '');

const order = (id: string) => readOrder(as, t.operator, id);

/** A new order with a selected quote: the client's approval is all that is left before the contract. */
const quotedOrder = (title: string) => quotedOrderOn(as, t, title);

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

interface BusMessage {
  messageId: string;
  state: 'active' | 'completed' | 'deadlettered';
  deliveryCount: number;
  /** Absent on the original message: attempt 1. */
  attempt?: number;
  /** Epoch ms from which it may be delivered: a re-sent copy's scheduled time. */
  visibleAt: number;
  enqueuedAt: string;
}

/**
 * The order's `order.contract-requested` messages on the orders workflow's subscription of the local
 * bus, once relayed: the original and every re-sent copy, by attempt.
 */
async function contractMessages(orderId: string): Promise<BusMessage[]> {
  const { getRoot } = await import('../../functions/composition-root');
  const bus = (await getRoot().cosmos()).database(CONTAINERS.bus.database).container(CONTAINERS.bus.id);
  const { resources } = await bus.items
    .query<BusMessage>(
      {
        query:
          'SELECT c.messageId, c.state, c.deliveryCount, c.applicationProperties.attempt, c.visibleAt, c.enqueuedAt ' +
          'FROM c WHERE c.subscription = "orders-workflow" AND ' +
          'c.applicationProperties.type = "order.contract-requested" AND c.applicationProperties.subject = @id',
        parameters: [{ name: '@id', value: orderId }],
      },
      { partitionKey: 'orders-workflow' },
    )
    .fetchAll();
  return resources.sort((x, y) => (x.attempt ?? 1) - (y.attempt ?? 1));
}

/** The latest message of the order (the highest attempt), once there is one. */
const latestMessage = async (orderId: string) => eventually(async () => (await contractMessages(orderId)).at(-1));

describe('DocuSign outage on the local host', () => {
  it('503s, a hang and a lost answer: approvals answer at once, the circuit opens, the messages are re-sent for its half-opening, one envelope per order after recovery', async () => {
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

    // All three messages fail fast (the hung one after its timeout) and are completed, each with a
    // copy scheduled for when the circuit half-opens, 30 s after it opened — and DocuSign hears
    // nothing meanwhile.
    const halfOpen = lossAt + 29_000;
    await eventually(async () => {
      const latest = await Promise.all([a, b, c].map((id) => latestMessage(id)));
      return latest.every((m) => m.state === 'active' && (m.attempt ?? 1) >= 2 && m.visibleAt >= halfOpen) ? true : undefined;
    }, 15_000);
    expect(ds.requests.slice(lost + 1).filter(isEnvelopeCall)).toEqual([]);
    for (const id of [a, b, c]) expect((await order(id)).contract?.envelopeId).toBeUndefined();

    ds.recover();
    // Nothing reaches DocuSign before the circuit half-opens (30 s after the lost answer); the
    // scheduled copies arrive by then and complete.
    // (A copy that arrives while the half-open circuit is trying another call is re-sent after its
    // next backoff, 10–20 s here: hence the long wait.)
    const envelopeIds = await Promise.all([a, b, c].map((id) => recordedEnvelope(id, 60_000)));
    expect(Date.now() - lossAt).toBeGreaterThanOrEqual(29_000);

    for (const [i, id] of [a, b, c].entries()) {
      expect(envelopesOf(id).map((e) => e.envelopeId)).toEqual([envelopeIds[i]]);
      expect(envelopesOf(id)[0]?.templateRoles.map((r) => r.roleName)).toEqual(['provider', 'client']);
      const messages = await contractMessages(id);
      // The original and its copies: attempts 1, 2, …, each delivered once and completed — a "not
      // now" is a new scheduled message, never an immediate redelivery.
      expect(messages.map((m) => m.attempt ?? 1)).toEqual(messages.map((_m, n) => n + 1));
      expect(messages.length).toBeGreaterThanOrEqual(2);
      expect(messages.length).toBeLessThan(RETRY_SCHEDULE.maxAttempts);
      for (const m of messages) expect(m).toMatchObject({ state: 'completed', deliveryCount: 1 });
      // A copy sent while the circuit was open was due no earlier than its half-opening.
      for (const m of messages.slice(1).filter((x) => Date.parse(x.enqueuedAt) >= lossAt))
        expect(m.visibleAt).toBeGreaterThanOrEqual(halfOpen);
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

  it('down for longer than the retry budget: the last attempt is dead-lettered with the partner named, replayed with the dlq command after recovery, one envelope', async () => {
    const bus = stack.services.bus!;
    const id = await quotedOrder('Caída larga');
    const ds = docusign();
    const from = ds.requests.length;
    // DocuSign in maintenance: every request answers 503 with Retry-After 11 s — longer than the
    // policy waits in-process, so each attempt fails and is re-sent (at once here: the schedule is
    // shortened while the 10 attempts are spent).
    ds.failNext(1_000, 503, { retryAfterSeconds: 11, match: { path: ENVELOPES } });
    schedule = SHORT;
    expect(await approve(id)).toBeLessThan(2_000);

    const dead = await eventually(
      async () => (await bus.deadLetters('orders-workflow')).find((d) => d.applicationProperties.subject === id),
      20_000,
    );
    const [original] = await contractMessages(id);
    expect(dead.messageId).toMatch(new RegExp(`^${original!.messageId}:retry:orders-workflow:10:c[0-9a-f]{7}$`));
    expect(dead).toMatchObject({
      reason: 'MaxDeliveryCountExceeded',
      deliveryCount: 10,
      applicationProperties: { type: 'order.contract-requested', target: 'orders-workflow', attempt: 10 },
    });
    expect(dead.description).toMatch(/^docusign unavailable during "create envelope"/);
    expect(String(dead.applicationProperties.retryReason)).toMatch(/^docusign unavailable during "create envelope"/);
    const listed = await runDlqCommand(['list', '--subscription', 'orders-workflow'], bus);
    expect(listed).toContain(
      `${dead.messageId}  order.contract-requested  deliveries=10  MaxDeliveryCountExceeded: docusign unavailable`,
    );
    // Ten attempts (the last one delivered ten times), one request: the partner's Retry-After kept the
    // others from reaching it.
    const attempts = await contractMessages(id);
    expect(attempts.map((m) => m.attempt ?? 1)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // One chain: its id came back through the worker's trigger metadata on every attempt.
    expect(new Set(attempts.slice(1).map((m) => m.messageId.split(':').at(-1)))).toEqual(
      new Set([dead.messageId.split(':').at(-1)]),
    );
    expect(
      ds.requests
        .slice(from)
        .filter(isEnvelopeCall)
        .map((r) => `${r.method} ${r.status}`),
    ).toEqual(['GET 503']);
    expect((await order(id)).contract?.envelopeId).toBeUndefined();
    expect(envelopesOf(id)).toEqual([]);

    // The partner is back; the operator replays the message (what `npm run dlq -- replay` runs), on
    // the production schedule again: the replay starts a new budget, waits out what is left of the
    // Retry-After as a scheduled copy, then completes.
    ds.recover();
    schedule = RETRY_SCHEDULE;
    expect(await runDlqCommand(['replay', dead.messageId, '--subscription', 'orders-workflow'], bus)).toContain('replayed 1');
    const envelopeId = await recordedEnvelope(id, 20_000);
    expect(envelopesOf(id).map((e) => e.envelopeId)).toEqual([envelopeId]);
    // The replayed message (its attempt counter removed) and the copy that waited out the Retry-After.
    await eventually(async () => ((await contractMessages(id)).every((m) => m.state === 'completed') ? true : undefined));
    expect(await bus.deadLetters('orders-workflow')).toEqual([]);
    expect(await runDlqCommand(['list', '--subscription', 'orders-workflow'], bus)).toMatch(/^no dead-lettered messages/);
  });
});
