import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  DeliveryStateError,
  FEED_SCHEDULE,
  finishAttempt,
  holdsLane,
  newDelivery,
  nextInLane,
  replay,
  startAttempt,
  type Delivery,
} from '../../shared/domain/feed/delivery';
import {
  DISABLE_AFTER_FAILING_MS,
  recordHealth,
  rotateSecret,
  signingSecrets,
  wants,
  type WebhookEndpoint,
} from '../../shared/domain/feed/endpoint';
import { isFeedEventType } from '../../shared/domain/feed/feed-events';
import { parseSignatureHeader, signatureHeader, signedPayload } from '../../shared/domain/feed/signature';
import { FEED_EVENT_TYPES } from '../../shared/application/feed/endpoints';

/** The client feed's delivery state machine, lanes, endpoint health and rotation (shared/domain/feed). */
const T0 = Date.parse('2026-12-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const HOUR = 3_600_000;

const delivery = (i: number, orderId = 'ord_a'): Delivery =>
  newDelivery(
    {
      endpointId: 'whk_1',
      clientId: 'cli_1',
      orderId,
      payload: { id: `evt_${String(i).padStart(4, '0')}`, type: 'order.status-changed', time: iso(T0 + i), data: {} },
    },
    new Date(T0),
  );

const ok = { succeeded: true, responseCode: 200, latencyMs: 5 };
const down = { succeeded: false, responseCode: 503, latencyMs: 5 };

describe('delivery state machine', () => {
  it('pending → in-flight → delivered; a failure schedules a retry after the backoff; replay sends it again', () => {
    const d0 = delivery(1);
    const d1 = startAttempt(d0, new Date(T0));
    expect(d1.status).toBe('in-flight');
    const d2 = finishAttempt(d1, down, new Date(T0), new Date(T0 + 100), FEED_SCHEDULE, 0);
    expect(d2).toMatchObject({ status: 'retry-scheduled', nextAttemptAt: iso(T0 + 100 + 30_000) });
    expect(d2.attempts).toEqual([{ n: 1, at: iso(T0), outcome: 'failed', responseCode: 503, latencyMs: 5 }]);
    expect(() => startAttempt(d2, new Date(T0 + 1000))).toThrow(DeliveryStateError); // not due yet
    const d3 = finishAttempt(
      startAttempt(d2, new Date(T0 + 40_000)),
      ok,
      new Date(T0 + 40_000),
      new Date(T0 + 40_005),
      FEED_SCHEDULE,
      0,
    );
    expect(d3.status).toBe('delivered');
    expect(d3.attempts.map((a) => [a.n, a.outcome])).toEqual([
      [1, 'failed'],
      [2, 'succeeded'],
    ]);
    const again = replay(d3);
    expect(again).toMatchObject({ status: 'pending', replays: 1, eventId: d0.eventId, payload: d0.payload });
    expect(() => replay(d1)).toThrow(DeliveryStateError);
  });

  it('the backoff doubles from 30 s to an hour, within its jitter bounds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 0.9999, noNaN: true }), (n, r) => {
        const base = Math.min(FEED_SCHEDULE.maxDelayMs, FEED_SCHEDULE.firstDelayMs * 2 ** (n - 1));
        const wait = backoffMs(n, FEED_SCHEDULE, r);
        return wait >= base && wait <= Math.round(base * (1 + FEED_SCHEDULE.jitter));
      }),
    );
  });

  it('an always-failing receiver: retries stop 24 h after the first attempt, then the delivery has failed', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 0.9999, noNaN: true }), { minLength: 200, maxLength: 200 }),
        fc.integer({ min: 0, max: 20_000 }),
        (jitters, latency) => {
          let d = delivery(1);
          let now = T0;
          let attempts = 0;
          while (d.status !== 'failed') {
            if (d.status === 'retry-scheduled') now = Date.parse(d.nextAttemptAt!);
            d = startAttempt(d, new Date(now));
            const started = now;
            now += latency;
            d = finishAttempt(
              d,
              { ...down, latencyMs: latency },
              new Date(started),
              new Date(now),
              FEED_SCHEDULE,
              jitters[attempts++ % 200]!,
            );
            expect(attempts).toBeLessThan(100);
          }
          const starts = d.attempts.map((a) => Date.parse(a.at));
          expect(Math.max(...starts)).toBeLessThanOrEqual(T0 + FEED_SCHEDULE.giveUpAfterMs);
          // It did keep trying until close to the end: the last wait was at most an hour (+ jitter) short of 24 h.
          expect(Math.max(...starts)).toBeGreaterThan(T0 + FEED_SCHEDULE.giveUpAfterMs - 1.2 * HOUR - 2 * 20_000);
        },
      ),
    );
  });

  it('lanes: never more than one delivery in flight or waiting per (endpoint, order), and each lane delivered in event order', () => {
    type Step = { kind: 'wake'; lane: number } | { kind: 'finish'; lane: number; ok: boolean } | { kind: 'tick'; ms: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant('wake' as const), lane: fc.integer({ min: 0, max: 1 }) }),
      fc.record({ kind: fc.constant('finish' as const), lane: fc.integer({ min: 0, max: 1 }), ok: fc.boolean() }),
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 6 * HOUR }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(step, { maxLength: 120 }), (perOrder, steps) => {
        const orders = ['ord_a', 'ord_b'];
        let all: Delivery[] = orders.flatMap((o, k) => Array.from({ length: perOrder }, (_, i) => delivery(k * 100 + i, o)));
        let now = T0;
        const deliveredOrder: Record<string, string[]> = { ord_a: [], ord_b: [] };
        const put = (d: Delivery) => (all = all.map((x) => (x.eventId === d.eventId ? d : x)));
        for (const s of steps) {
          if (s.kind === 'tick') now += s.ms;
          const lane = all.filter((d) => d.orderId === orders[s.kind === 'tick' ? 0 : s.lane]);
          if (s.kind === 'wake') {
            const next = nextInLane(lane);
            if (next && 'start' in next) put(startAttempt(next.start, new Date(now)));
            else if (
              next &&
              'holder' in next &&
              next.holder.status === 'retry-scheduled' &&
              Date.parse(next.holder.nextAttemptAt!) <= now
            )
              put(startAttempt(next.holder, new Date(now)));
          }
          if (s.kind === 'finish') {
            const flying = lane.find((d) => d.status === 'in-flight');
            if (flying) {
              const done = finishAttempt(flying, s.ok ? ok : down, new Date(now), new Date(now), FEED_SCHEDULE, 0.5);
              put(done);
              if (done.status === 'delivered') deliveredOrder[done.orderId]!.push(done.seq);
            }
          }
          for (const o of orders) expect(all.filter((d) => d.orderId === o && holdsLane(d)).length).toBeLessThanOrEqual(1);
        }
        for (const o of orders) {
          const seqs = deliveredOrder[o]!;
          expect(seqs).toEqual([...seqs].sort());
          // And nothing was skipped: every delivered event's predecessors are delivered or failed.
          const finished = all
            .filter((d) => d.orderId === o && (d.status === 'delivered' || d.status === 'failed'))
            .map((d) => d.seq)
            .sort();
          const expected = all
            .filter((d) => d.orderId === o)
            .map((d) => d.seq)
            .sort()
            .slice(0, finished.length);
          expect(finished).toEqual(expected);
        }
      }),
    );
  });
});

const endpoint = (over: Partial<WebhookEndpoint> = {}): WebhookEndpoint => ({
  id: 'whk_1',
  clientId: 'cli_1',
  url: 'https://hooks.example.com/x',
  eventTypes: 'all',
  status: 'active',
  secrets: [{ id: 'sec_1', value: 'whsec_old', createdAt: iso(T0) }],
  createdAt: iso(T0),
  updatedAt: iso(T0),
  ...over,
});

describe('endpoint rules', () => {
  it('is disabled after failing continuously for 24 h; a success in between starts the count again', () => {
    let e = endpoint();
    e = recordHealth(e, false, new Date(T0)).endpoint;
    expect(e.failingSince).toBe(iso(T0));
    const before = recordHealth(e, false, new Date(T0 + DISABLE_AFTER_FAILING_MS - 1));
    expect(before).toMatchObject({ disabledNow: false, endpoint: { status: 'active' } });
    const at = recordHealth(before.endpoint, false, new Date(T0 + DISABLE_AFTER_FAILING_MS));
    expect(at).toMatchObject({ disabledNow: true, endpoint: { status: 'disabled', disabledReason: 'failing' } });
    expect(recordHealth(at.endpoint, false, new Date(T0 + 2 * DISABLE_AFTER_FAILING_MS)).disabledNow).toBe(false); // told once
    const healed = recordHealth(before.endpoint, true, new Date(T0 + HOUR)).endpoint;
    expect(healed.failingSince).toBeUndefined();
    expect(recordHealth(healed, false, new Date(T0 + DISABLE_AFTER_FAILING_MS + HOUR)).disabledNow).toBe(false);
  });

  it('rotation: the new secret signs at once, the old ones until the overlap ends', () => {
    const rotated = rotateSecret(endpoint(), { id: 'sec_2', value: 'whsec_new' }, new Date(T0), 24);
    expect(signingSecrets(rotated, new Date(T0 + HOUR)).map((s) => s.value)).toEqual(['whsec_old', 'whsec_new']);
    expect(signingSecrets(rotated, new Date(T0 + 24 * HOUR)).map((s) => s.value)).toEqual(['whsec_new']);
    // Rotating again drops the expired secret.
    const again = rotateSecret(rotated, { id: 'sec_3', value: 'whsec_newer' }, new Date(T0 + 25 * HOUR), 0);
    expect(again.secrets.map((s) => s.id)).toEqual(['sec_2', 'sec_3']);
    expect(signingSecrets(again, new Date(T0 + 25 * HOUR)).map((s) => s.id)).toEqual(['sec_3']);
  });

  it('takes the types it names, or all; a disabled endpoint takes none', () => {
    expect(wants(endpoint(), 'order.rated')).toBe(true);
    expect(wants(endpoint({ eventTypes: ['order.submitted'] }), 'order.rated')).toBe(false);
    expect(wants(endpoint({ status: 'disabled' }), 'order.submitted')).toBe(false);
  });

  it('the feed carries every order event of the registry but the scheduled wake-ups, and nothing else', () => {
    expect(FEED_EVENT_TYPES).toContain('order.submitted');
    expect(FEED_EVENT_TYPES).toContain('order.status-changed');
    expect(FEED_EVENT_TYPES).not.toContain('order.sla-check-due');
    expect(FEED_EVENT_TYPES.every((t) => t.startsWith('order.'))).toBe(true);
    expect(isFeedEventType('provider.approved')).toBe(false);
    expect(isFeedEventType('feed.lane-due')).toBe(false);
  });
});

describe('signature', () => {
  it('one v1 per signing secret over "<t>.<body>", verifiable as docs/webhooks.md shows', () => {
    const body = '{"id":"evt_1"}';
    const sign = (secret: string) => createHmac('sha256', secret).update(signedPayload(1_700_000_000, body)).digest('hex');
    const header = signatureHeader(1_700_000_000, [sign('a'), sign('b')]);
    expect(header).toBe(`t=1700000000,v1=${sign('a')},v1=${sign('b')}`);
    expect(parseSignatureHeader(header)).toEqual({ timestamp: 1_700_000_000, v1: [sign('a'), sign('b')] });
    expect(parseSignatureHeader('v1=abc')).toBeUndefined();
  });
});
