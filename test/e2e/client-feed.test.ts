import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDevIssuer } from '../../local/dev-issuer';
import { DEMO } from '../../local/seed';
import { contractSigned } from '../../shared/application/orders/lifecycle';
import {
  apiClient,
  createOrder,
  eventually,
  orderActions,
  startTestStack,
  storedAttachment,
  typedClients,
  type TypedClients,
} from '../support/stack';

/**
 * The client event feed over HTTP on the embedded stack (docs/webhooks.md): a receiver on 127.0.0.1
 * (allowed here by WEBHOOK_ALLOW_PRIVATE_TARGETS, which only APP_ENV=local accepts) gets every event
 * of an order's lifecycle once in effect, in order, signed; a receiver that is down for a while gets
 * everything after it recovers; a delivery is replayed by id; another client's endpoint never gets
 * these events and its users cannot reach this client's feed. The feed's schedule is shortened.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let raw: ReturnType<typeof apiClient>;
let as: TypedClients;
let act: ReturnType<typeof orderActions>;
let t: Record<'admin' | 'operator' | 'client' | 'provider', string>;

interface Received {
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}
const received: Received[] = [];
/** Paths answering 503 (a receiver that is down). */
const down = new Set<string>();
let receiver: Server;
let receiverUrl: string;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      if (down.has(path)) {
        res.writeHead(503).end();
        return;
      }
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  stack = await startTestStack(
    { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' },
    { feedSchedule: () => ({ firstDelayMs: 300, maxDelayMs: 1_500, jitter: 0.2, giveUpAfterMs: 10 * 60_000, settleMs: 300 }) },
  );
  raw = apiClient(`${stack.url}/api`);
  as = typedClients(stack.url);
  act = orderActions(as);
  t = stack.tokens;
}, 120_000);
afterAll(async () => {
  await stack?.dispose();
  await new Promise((r) => receiver?.close(r));
});

const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

/** The verification docs/webhooks.md gives clients, as they would write it. */
function verify(secret: string, header: string, body: string): boolean {
  const parts = header.split(',').map((p) => p.split('=') as [string, string]);
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isFinite(t) || Math.abs(Date.now() / 1000 - t) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return parts.some(([k, v]) => k === 'v1' && v.length === 64 && timingSafeEqual(Buffer.from(v, 'hex'), expected));
}

interface FeedEvent {
  id: string;
  type: string;
  time: string;
  data: { orderId: string; clientId: string; version?: number; to?: string };
}

/** The events a path received, deduplicated by `id` as receivers are told to, for one order. */
function eventsAt(path: string, orderId: string): FeedEvent[] {
  const seen = new Set<string>();
  const out: FeedEvent[] = [];
  for (const r of received.filter((x) => x.path === path)) {
    const e = JSON.parse(r.body) as FeedEvent;
    if (e.data.orderId !== orderId || seen.has(e.id)) continue;
    seen.add(e.id);
    out.push(e);
  }
  return out;
}

async function register(token: string, clientId: string, path: string, eventTypes?: string[]) {
  const r = await raw('POST', `/v1/clients/${clientId}/webhooks`, {
    token,
    body: { url: `${receiverUrl}${path}`, ...(eventTypes ? { eventTypes } : {}) },
  });
  expect(r.status, r.text).toBe(201);
  expect(r.body.secret).toMatch(/^whsec_/);
  return { id: r.body.id as string, secret: r.body.secret as string };
}

async function deliveriesOf(clientId: string, endpointId: string, token = t.client) {
  const r = await raw('GET', `/v1/clients/${clientId}/webhooks/${endpointId}/deliveries?limit=100`, { token });
  expect(r.status, r.text).toBe(200);
  return r.body.items as {
    eventId: string;
    orderId: string;
    status: string;
    replays: number;
    attempts: { outcome: string; responseCode?: number; latencyMs: number }[];
  }[];
}

/** Every delivery of the order settled (delivered) and at least `min` of them. */
async function settled(clientId: string, endpointId: string, orderId: string, min: number) {
  return eventually(async () => {
    const mine = (await deliveriesOf(clientId, endpointId)).filter((d) => d.orderId === orderId);
    return mine.length >= min && mine.every((d) => d.status === 'delivered') ? mine : undefined;
  }, 90_000);
}

/** Submission to CLOSED by direct assignment (the contract's "signed" called in-process, as order-lifecycle does). */
async function fullLifecycle(orderId: string) {
  await act(orderId, 'triage', t.operator, { priority: 'P3' });
  await act(orderId, 'assign', t.operator, { providerId: DEMO.providerIds[0], amount: { amount: 800_000_00, currency: 'COP' } });
  const { lifecycleDeps } = await import('../../functions/wiring');
  await contractSigned(await lifecycleDeps(), { correlationId: 'feed-test' }, DEMO.clientId, orderId, `env-${orderId}`);
  await act(orderId, 'schedule', t.provider, { visitAt: inHours(24) });
  await act(orderId, 'check-in', t.provider);
  await act(orderId, 'complete', t.provider, {
    report: 'Listo',
    attachmentIds: [await storedAttachment(as, t.provider, orderId)],
  });
  await act(orderId, 'verify', t.client);
  await act(orderId, 'rate', t.client, { score: 5 });
  await act(orderId, 'invoice', t.provider, {
    invoiceNumber: `FV-${orderId.slice(-6)}`,
    amount: { amount: 800_000_00, currency: 'COP' },
  });
  await act(orderId, 'close', t.operator);
}

/** The order's transitions as its history has them (each is one `order.status-changed`). */
async function historyOf(orderId: string) {
  const r = await raw('GET', `/v1/orders/${orderId}/history`, { token: t.operator });
  expect(r.status, r.text).toBe(200);
  return (r.body.items as { to: string; seq: number }[]).filter((h) => h.seq > 1);
}

function expectInOrderAndSigned(path: string, orderId: string, secret: string, transitions: { to: string }[]) {
  const events = eventsAt(path, orderId);
  expect(events[0]?.type).toBe('order.submitted');
  // In the order's own order: times never go back, and the status changes come as the history has them.
  const times = events.map((e) => e.time);
  expect(times).toEqual([...times].sort());
  const changes = events.filter((e) => e.type === 'order.status-changed');
  expect(changes.map((e) => e.data.to)).toEqual(transitions.map((h) => h.to));
  const versions = changes.map((e) => e.data.version ?? 0);
  expect(versions).toEqual([...versions].sort((a, b) => a - b));
  for (const r of received.filter((x) => x.path === path && (JSON.parse(x.body) as FeedEvent).data.orderId === orderId)) {
    expect(verify(secret, String(r.headers['algesta-signature']), r.body), r.body).toBe(true);
    expect(verify('whsec_wrong', String(r.headers['algesta-signature']), r.body)).toBe(false);
    expect(r.headers['algesta-event-id']).toBe((JSON.parse(r.body) as FeedEvent).id);
    expect(r.headers['content-type']).toBe('application/json');
  }
  return events;
}

describe('client event feed', () => {
  it('a receiver gets every event of an order from submission to CLOSED: once, in order, signed', async () => {
    const endpoint = await register(t.client, DEMO.clientId, '/all');
    const orderId = (await createOrder(as, t.client, { title: 'Feed completo' })).id;
    await fullLifecycle(orderId);
    const transitions = await historyOf(orderId);
    expect(transitions.map((h) => h.to).at(-1)).toBe('CLOSED');
    const log = await settled(DEMO.clientId, endpoint.id, orderId, transitions.length + 1);
    await eventually(async () => (eventsAt('/all', orderId).length >= log.length ? true : undefined), 30_000);
    const events = expectInOrderAndSigned('/all', orderId, endpoint.secret, transitions);
    // Exactly once: nothing failed, so no id came twice; the log has one delivery per event received.
    const requests = received.filter((r) => r.path === '/all' && (JSON.parse(r.body) as FeedEvent).data.orderId === orderId);
    expect(requests).toHaveLength(events.length);
    expect(new Set(log.map((d) => d.eventId))).toEqual(new Set(events.map((e) => e.id)));
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['order.submitted', 'order.contract-requested', 'order.work-completed', 'order.rated']),
    );
    for (const d of log) expect(d.attempts).toEqual([expect.objectContaining({ outcome: 'succeeded', responseCode: 200 })]);
  }, 180_000);

  it('a receiver down for a while gets everything after it recovers, in order; the log shows the failed attempts; replay resends by id', async () => {
    down.add('/flaky');
    const endpoint = await register(t.client, DEMO.clientId, '/flaky');
    const orderId = (await createOrder(as, t.client, { title: 'Feed caído' })).id;
    await act(orderId, 'triage', t.operator, { priority: 'P3' });
    await act(orderId, 'cancel', t.operator, { reason: 'Prueba de caída' });
    // Attempts are failing and retried on the schedule; nothing reached the receiver.
    await eventually(async () => {
      const log = await deliveriesOf(DEMO.clientId, endpoint.id);
      const first = log.find((d) => d.orderId === orderId && d.attempts.length >= 2);
      return first ? true : undefined;
    }, 30_000);
    const during = await deliveriesOf(DEMO.clientId, endpoint.id);
    // One lane per order: while its head is failing, the later events wait (never two in flight).
    expect(during.filter((d) => d.orderId === orderId && d.attempts.length > 0)).toHaveLength(1);
    expect(during.find((d) => d.attempts.length > 0)!.attempts[0]).toMatchObject({ outcome: 'failed', responseCode: 503 });
    down.delete('/flaky');
    const transitions = await historyOf(orderId);
    const log = await settled(DEMO.clientId, endpoint.id, orderId, transitions.length + 1);
    expectInOrderAndSigned('/flaky', orderId, endpoint.secret, transitions);
    expect(log.some((d) => d.attempts.some((a) => a.outcome === 'failed'))).toBe(true);

    // Replay: the same event id again, a second succeeded attempt in the log.
    const target = log.find((d) => d.status === 'delivered')!;
    const before = received.filter((r) => r.path === '/flaky' && r.headers['algesta-event-id'] === target.eventId).length;
    const replayed = await raw(
      'POST',
      `/v1/clients/${DEMO.clientId}/webhooks/${endpoint.id}/deliveries/${target.eventId}/replay`,
      {
        token: t.client,
      },
    );
    expect(replayed.status, replayed.text).toBe(202);
    expect(replayed.body).toMatchObject({ eventId: target.eventId, status: 'pending', replays: 1 });
    await eventually(
      async () =>
        received.filter((r) => r.path === '/flaky' && r.headers['algesta-event-id'] === target.eventId).length > before
          ? true
          : undefined,
      30_000,
    );
    const again = await eventually(async () => {
      const d = (await deliveriesOf(DEMO.clientId, endpoint.id)).find((x) => x.eventId === target.eventId);
      return d?.status === 'delivered' && d.replays === 1 ? d : undefined;
    }, 30_000);
    expect(again.attempts.at(-1)).toMatchObject({ outcome: 'succeeded', responseCode: 200 });
    // A delivery still pending or unknown cannot be replayed.
    const unknown = await raw('POST', `/v1/clients/${DEMO.clientId}/webhooks/${endpoint.id}/deliveries/evt_unknown/replay`, {
      token: t.client,
    });
    expect(unknown.status).toBe(404);
  }, 180_000);

  it('tenant isolation: another client never receives these events, and its users cannot see or register on this client', async () => {
    const other = await raw('POST', '/v1/clients', { token: t.admin, body: { name: 'Otro Feed S.A.S.' } });
    expect(other.status, other.text).toBe(201);
    const otherClientId = other.body.id as string;
    const issuer = await loadOrCreateDevIssuer(join(stack.dataDir, 'dev-issuer'));
    const otherToken = await issuer.mint(
      { sub: 'u-feed-other', role: 'client', clientId: otherClientId, name: 'B' },
      { issuer: process.env.AUTH_ISSUER!, audience: process.env.AUTH_AUDIENCE!, expiresIn: '1h' },
    );
    const theirs = await register(otherToken, otherClientId, '/other');
    const mine = await register(t.client, DEMO.clientId, '/mine');

    // Client A's user: B's feed does not exist for it; B's user likewise for A's.
    expect((await raw('GET', `/v1/clients/${otherClientId}/webhooks`, { token: t.client })).status).toBe(404);
    expect((await raw('GET', `/v1/clients/${otherClientId}/webhooks/${theirs.id}`, { token: t.client })).status).toBe(404);
    expect(
      (await raw('POST', `/v1/clients/${otherClientId}/webhooks`, { token: t.client, body: { url: `${receiverUrl}/x` } })).status,
    ).toBe(404);
    expect((await raw('GET', `/v1/clients/${DEMO.clientId}/webhooks/${mine.id}/deliveries`, { token: otherToken })).status).toBe(
      404,
    );
    expect((await raw('GET', `/v1/clients/${DEMO.clientId}/webhooks/${theirs.id}`, { token: t.client })).status).toBe(404);
    const listed = await raw('GET', `/v1/clients/${DEMO.clientId}/webhooks`, { token: t.client });
    expect(listed.text).not.toContain(theirs.id);
    expect(listed.text).not.toContain('whsec_'); // secrets are never read back

    const orderId = (await createOrder(as, t.client, { title: 'Feed aislado' })).id;
    await act(orderId, 'triage', t.operator, { priority: 'P3' });
    await settled(DEMO.clientId, mine.id, orderId, 2);
    expect(received.filter((r) => r.path === '/other')).toEqual([]);
    expect(await deliveriesOf(otherClientId, theirs.id, otherToken)).toEqual([]);
  }, 180_000);

  it('rotation: the new secret is shown once; during the overlap each request is signed with the old and the new', async () => {
    const endpoint = await register(t.client, DEMO.clientId, '/rotated', ['order.submitted']);
    const rotated = await raw('POST', `/v1/clients/${DEMO.clientId}/webhooks/${endpoint.id}/rotate-secret`, {
      token: t.client,
      body: { overlapHours: 2 },
    });
    expect(rotated.status, rotated.text).toBe(200);
    const fresh = rotated.body.secret as string;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(endpoint.secret);
    expect(rotated.body.secrets).toHaveLength(2);
    expect(rotated.body.secrets[0].notAfter).toBeDefined();
    const read = await raw('GET', `/v1/clients/${DEMO.clientId}/webhooks/${endpoint.id}`, { token: t.client });
    expect(read.text).not.toContain(fresh);

    const orderId = (await createOrder(as, t.client, { title: 'Feed rotado' })).id;
    await settled(DEMO.clientId, endpoint.id, orderId, 1);
    const request = await eventually(async () =>
      received.find((r) => r.path === '/rotated' && (JSON.parse(r.body) as FeedEvent).data.orderId === orderId),
    );
    const header = String(request.headers['algesta-signature']);
    expect(header.match(/v1=/g)).toHaveLength(2);
    expect(verify(endpoint.secret, header, request.body)).toBe(true);
    expect(verify(fresh, header, request.body)).toBe(true);
  }, 120_000);

  it('validates what it is given: 422 with the fields, nothing written', async () => {
    const bad = await raw('POST', `/v1/clients/${DEMO.clientId}/webhooks`, {
      token: t.client,
      body: { url: `${receiverUrl}/x`, eventTypes: ['order.sla-check-due', 'provider.approved'] },
    });
    expect(bad.status, bad.text).toBe(422);
    expect(JSON.stringify(bad.body)).toContain('eventTypes.0');
    expect(JSON.stringify(bad.body)).toContain('eventTypes.1');
    const before = (await raw('GET', `/v1/clients/${DEMO.clientId}/webhooks`, { token: t.client })).body.items.length;
    const noUrl = await raw('POST', `/v1/clients/${DEMO.clientId}/webhooks`, {
      token: t.client,
      body: { url: 'ftp://x.example.com' },
    });
    expect(noUrl.status).toBe(422);
    expect((await raw('GET', `/v1/clients/${DEMO.clientId}/webhooks`, { token: t.client })).body.items.length).toBe(before);
  });
});
