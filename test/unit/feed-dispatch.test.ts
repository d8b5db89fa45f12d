import { describe, expect, it } from 'vitest';
import { ConflictError, PreconditionFailedError } from '../../shared/application/errors';
import { fanOut, runLane, type FeedDeliveryDeps } from '../../shared/application/feed/dispatch';
import type { FeedStore, Lane, OutboundRequest, OutboundResult } from '../../shared/application/feed/ports';
import type { OutgoingMessage } from '../../shared/application/messaging';
import type { Page, Versioned } from '../../shared/application/ports';
import type { Delivery } from '../../shared/domain/feed/delivery';
import type { WebhookEndpoint } from '../../shared/domain/feed/endpoint';
import type { DomainEvent } from '../../shared/domain/shared/events';
import { silentLogger } from '../../shared/platform/logger';

/**
 * The feed's application over in-memory ports: the fan-out goes only to the event's own client's
 * endpoints; the lane runs one attempt per wake-up and schedules what follows; an endpoint failing
 * for 24 h is disabled and the client's admins are told (a `feed.endpoint-disabled` event).
 */
class MemoryFeed implements FeedStore {
  private docs = new Map<string, { value: unknown; etag: number }>();
  private n = 0;
  private put<T>(key: string, value: T, etag: string | null | undefined): Versioned<T> {
    const cur = this.docs.get(key);
    if (etag === null && cur) throw new ConflictError('exists');
    if (typeof etag === 'string' && (!cur || String(cur.etag) !== etag)) throw new PreconditionFailedError('changed');
    const next = { value: structuredClone(value), etag: ++this.n };
    this.docs.set(key, next);
    return { value, etag: String(next.etag) };
  }
  private get<T>(key: string): Versioned<T> | undefined {
    const d = this.docs.get(key);
    return d ? { value: structuredClone(d.value) as T, etag: String(d.etag) } : undefined;
  }
  private all<T>(prefix: string): T[] {
    return [...this.docs.entries()].filter(([k]) => k.startsWith(prefix)).map(([, d]) => structuredClone(d.value) as T);
  }
  createEndpoint = async (e: WebhookEndpoint) => this.put(`e|${e.clientId}|${e.id}`, e, null);
  getEndpoint = async (c: string, id: string) => this.get<WebhookEndpoint>(`e|${c}|${id}`);
  listEndpoints = async (c: string) => this.all<WebhookEndpoint>(`e|${c}|`);
  replaceEndpoint = async (e: WebhookEndpoint, etag: string) => this.put(`e|${e.clientId}|${e.id}`, e, etag);
  deleteEndpoint = async (c: string, id: string) => void this.docs.delete(`e|${c}|${id}`);
  createDelivery = async (d: Delivery) => {
    try {
      this.put(`d|${d.clientId}|${d.endpointId}|${d.eventId}`, d, null);
      return true;
    } catch {
      return false;
    }
  };
  getDelivery = async (c: string, e: string, id: string) => this.get<Delivery>(`d|${c}|${e}|${id}`);
  replaceDelivery = async (d: Delivery, etag: string) => this.put(`d|${d.clientId}|${d.endpointId}|${d.eventId}`, d, etag);
  openDeliveries = async (c: string, e: string, o: string) =>
    this.all<Delivery>(`d|${c}|${e}|`).filter(
      (d) => d.orderId === o && ['pending', 'in-flight', 'retry-scheduled'].includes(d.status),
    );
  listDeliveries = async (c: string, e: string): Promise<Page<Delivery>> => ({ items: this.all<Delivery>(`d|${c}|${e}|`) });
  getLane = async (c: string, e: string, o: string) => this.get<Lane>(`l|${c}|${e}|${o}`);
  putLane = async (l: Lane, etag: string | null) => this.put(`l|${l.clientId}|${l.endpointId}|${l.orderId}`, l, etag);
}

const T0 = Date.parse('2026-12-01T00:00:00.000Z');
const HOUR = 3_600_000;

function world(answer: (req: OutboundRequest) => OutboundResult) {
  let now = T0;
  const feed = new MemoryFeed();
  const published: OutgoingMessage[] = [];
  const everything: OutgoingMessage[] = [];
  const sent: OutboundRequest[] = [];
  const deps: FeedDeliveryDeps = {
    feed,
    sender: { post: async (r) => (sent.push(r), answer(r)) },
    publisher: { publish: async (m) => void (published.push(...m), everything.push(...m)) },
    clock: { now: () => new Date(now) },
    logger: silentLogger,
    random: () => 0,
  };
  /** Runs every wake-up due by now, in time order, until none is left. */
  const drain = async () => {
    for (let guard = 0; guard < 500; guard++) {
      const due = published
        .filter((m) => m.body.type === 'feed.lane-due' && (m.scheduledEnqueueTime?.getTime() ?? 0) <= now)
        .sort((a, b) => (a.scheduledEnqueueTime?.getTime() ?? 0) - (b.scheduledEnqueueTime?.getTime() ?? 0))[0];
      if (!due) return;
      published.splice(published.indexOf(due), 1);
      await runLane(deps, due.body.data as Omit<Lane, 'holder'>, 'c');
    }
    throw new Error('wake-ups never ended');
  };
  const endpoint = (id: string, clientId: string): WebhookEndpoint => ({
    id,
    clientId,
    url: `https://${id}.example.com/`,
    eventTypes: 'all',
    status: 'active',
    secrets: [{ id: 's', value: `whsec_${id}`, createdAt: new Date(T0).toISOString() }],
    createdAt: new Date(T0).toISOString(),
    updatedAt: new Date(T0).toISOString(),
  });
  const event = (n: number, clientId: string, orderId = `ord_${clientId}`): DomainEvent => ({
    id: `evt_${String(n).padStart(3, '0')}`,
    type: 'order.status-changed',
    source: 'algesta/orders',
    subject: orderId,
    time: new Date(T0 + n).toISOString(),
    dataVersion: 1,
    data: { orderId, clientId, action: 'triage', from: 'SUBMITTED', to: 'TRIAGED', version: n },
    correlationId: 'c',
  });
  return {
    deps,
    feed,
    published,
    everything,
    sent,
    drain,
    endpoint,
    event,
    advance: (ms: number) => (now += ms),
    now: () => now,
  };
}

describe('client feed dispatch', () => {
  it("fans out only to the event's own client's endpoints, and delivers each lane in order", async () => {
    const w = world(() => ({ status: 200, latencyMs: 3 }));
    await w.feed.createEndpoint(w.endpoint('whk_a', 'cli_a'));
    await w.feed.createEndpoint(w.endpoint('whk_b', 'cli_b'));
    // Arriving out of order at the feed: the lane still sends them in the order they happened.
    for (const n of [2, 1, 3]) await fanOut(w.deps, w.event(n, 'cli_a'));
    w.advance(5_000);
    await w.drain();
    expect(w.sent.map((r) => r.url)).toEqual(Array(3).fill('https://whk_a.example.com/'));
    expect(w.sent.map((r) => (JSON.parse(r.body) as { id: string }).id)).toEqual(['evt_001', 'evt_002', 'evt_003']);
    expect((await w.feed.listDeliveries('cli_b', 'whk_b')).items).toEqual([]);
    // Service Bus takes messageIds of at most 128 characters.
    expect(w.everything.length).toBeGreaterThan(3);
    expect(w.everything.every((m) => m.messageId.length <= 128)).toBe(true);
    // A second fan-out of the same event (a bus redelivery) queues nothing twice.
    await fanOut(w.deps, w.event(1, 'cli_a'));
    w.advance(5_000);
    await w.drain();
    expect(w.sent).toHaveLength(3);
  });

  it('a failing endpoint: retries on schedule, disabled after 24 h of failures with one notice, its queue abandoned', async () => {
    const w = world(() => ({ status: 503, latencyMs: 3 }));
    await w.feed.createEndpoint(w.endpoint('whk_a', 'cli_a'));
    await fanOut(w.deps, w.event(1, 'cli_a', 'ord_1'));
    await fanOut(w.deps, w.event(2, 'cli_a', 'ord_1'));
    for (let h = 0; h < 30; h++) {
      w.advance(HOUR / 2);
      await w.drain();
      w.advance(HOUR / 2);
      await w.drain();
    }
    const endpoint = (await w.feed.getEndpoint('cli_a', 'whk_a'))!.value;
    expect(endpoint).toMatchObject({ status: 'disabled', disabledReason: 'failing' });
    const notices = w.published.filter((m) => m.body.type === 'feed.endpoint-disabled');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.body.data).toMatchObject({ clientId: 'cli_a', endpointId: 'whk_a', url: 'https://whk_a.example.com/' });
    // Only the lane's head was ever attempted (one in flight per order); it failed, the next was abandoned.
    expect(new Set(w.sent.map((r) => (JSON.parse(r.body) as { id: string }).id))).toEqual(new Set(['evt_001']));
    const log = (await w.feed.listDeliveries('cli_a', 'whk_a')).items;
    expect(log.map((d) => d.status)).toEqual(['failed', 'failed']);
    expect(log.find((d) => d.eventId === 'evt_002')!.attempts).toEqual([expect.objectContaining({ error: 'endpoint disabled' })]);
  });

  it('an attempt that died in flight is left alone while it may still be running, then taken over by the redelivered wake-up', async () => {
    const w = world(() => ({ status: 200, latencyMs: 3 }));
    await w.feed.createEndpoint(w.endpoint('whk_a', 'cli_a'));
    await fanOut(w.deps, w.event(1, 'cli_a', 'ord_1'));
    // A process took the lane and claimed the attempt, then died before sending.
    const lane = { clientId: 'cli_a', endpointId: 'whk_a', orderId: 'ord_1' };
    await w.feed.putLane({ ...lane, holder: 'evt_001' }, null);
    const d = (await w.feed.getDelivery('cli_a', 'whk_a', 'evt_001'))!;
    await w.feed.replaceDelivery(
      {
        ...d.value,
        status: 'in-flight',
        inFlightSince: new Date(w.now()).toISOString(),
        runStartedAt: new Date(w.now()).toISOString(),
      },
      d.etag,
    );
    w.advance(5_000);
    await runLane(w.deps, lane, 'c');
    expect(w.sent).toHaveLength(0);
    w.advance(60_000); // the message lock expired: the bus redelivers the wake-up
    await runLane(w.deps, lane, 'c');
    expect(w.sent).toHaveLength(1);
    expect((await w.feed.getDelivery('cli_a', 'whk_a', 'evt_001'))!.value).toMatchObject({
      status: 'delivered',
      attempts: [{ n: 1, outcome: 'succeeded' }],
    });
    expect((await w.feed.getLane('cli_a', 'whk_a', 'ord_1'))!.value.holder).toBeUndefined();
  });
});
