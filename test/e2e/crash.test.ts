import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../local/seed';
import { typedClients, type CreateOrderBody } from '../support/stack';
import { children, deadLettersOf, kill, killGroup, startHost } from '../support/host-process';

/**
 * Nothing accepted is lost, nothing is doubled: 300 orders are sent to the local host (a child
 * process), every other one triaged right after, and the host is killed with SIGKILL in the middle
 * of the stream and started again. Every order that was answered 201 ends up with exactly one
 * notification for its requester, and every triage that was answered 200 is in its history once.
 */
const ORDERS = 300;
let dataDir: string;

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (dataDir && !process.env.CRASH_DEBUG) await rm(dataDir, { recursive: true, force: true });
});

describe('crash in the middle of a stream of orders', () => {
  it('every accepted order gets exactly one requester notification and every accepted action one history entry after SIGKILL and restart', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'algesta-crash-'));
    const first = await startHost(dataDir);
    const as = typedClients(first.url);
    const accepted: string[] = [];
    const triaged: string[] = [];
    let sent = 0;
    let killed = false;
    const worker = async () => {
      while (sent < ORDERS) {
        const i = sent++;
        try {
          const r = await as(first.tokens.client).POST('/api/v1/orders', {
            body: {
              siteId: DEMO.siteIds[i % 2]!,
              category: 'cleaning',
              priority: 'P4',
              title: `Crash ${i}`,
              description: 'stream',
            },
          });
          if (r.response.status === 201) {
            const orderId = r.data!.id;
            accepted.push(orderId);
            // An action on every other order: its effect must also survive the kill, once.
            if (i % 2 === 0) {
              const t = await as(first.tokens.operator).POST('/api/v1/orders/{orderId}/actions/triage', {
                params: { path: { orderId } },
              });
              if (t.response.status === 200) triaged.push(orderId);
            }
          }
        } catch {
          // The connection died with the process: not accepted.
        }
        if (!killed && accepted.length >= ORDERS / 2) {
          killed = true;
          await kill(first.child);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(killed).toBe(true);
    expect(accepted.length).toBeGreaterThanOrEqual(ORDERS / 2);

    const second = await startHost(dataDir);
    const as2 = typedClients(second.url);
    // The rest of the stream goes to the restarted host.
    for (let i = 0; i < 20; i++) {
      const r = await as2(second.tokens.client).POST('/api/v1/orders', {
        body: { siteId: DEMO.siteIds[0]!, category: 'cleaning', priority: 'P4', title: `After ${i}`, description: 'stream' },
      });
      expect(r.response.status).toBe(201);
      accepted.push(r.data!.id);
    }

    const countsFor = async (): Promise<Map<string, number>> => {
      const counts = new Map<string, number>();
      let token: string | undefined;
      do {
        const page = await as2(second.tokens.client).GET('/api/v1/notifications', {
          params: { query: { limit: 100, ...(token ? { continuationToken: token } : {}) } },
        });
        expect(page.response.status).toBe(200);
        for (const n of page.data!.items) counts.set(n.orderId!, (counts.get(n.orderId!) ?? 0) + 1);
        token = page.data!.continuationToken;
      } while (token);
      return counts;
    };
    const deadline = Date.now() + (process.env.CRASH_DEBUG ? 70_000 : 150_000);
    let counts = await countsFor();
    while (accepted.some((id) => !counts.has(id)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      counts = await countsFor();
      if (process.env.CRASH_DEBUG)
        console.log(new Date().toISOString(), 'missing', accepted.filter((id) => !counts.has(id)).length);
    }
    const missing = accepted.filter((id) => !counts.has(id));
    if (process.env.CRASH_DEBUG) console.log('DEBUG', dataDir, JSON.stringify(missing));
    const doubled = [...counts.entries()].filter(([, n]) => n !== 1);
    expect(missing).toEqual([]);
    expect(doubled).toEqual([]);
    // Every answered action is in its order's history exactly once; none is there twice.
    expect(triaged.length).toBeGreaterThan(0);
    for (const id of accepted.slice(0, ORDERS)) {
      const h = await as2(second.tokens.operator).GET('/api/v1/orders/{orderId}/history', { params: { path: { orderId: id } } });
      const triages = h.data!.items.filter((e) => e.action === 'triage').length;
      // An unanswered triage (the kill cut the answer) may or may not have been applied — but once at most.
      if (triaged.includes(id)) expect(triages, id).toBe(1);
      else expect(triages, id).toBeLessThanOrEqual(1);
    }
    // Nothing was parked: the dead-letter queues, read the way an operator does (`npm run dlq`).
    expect(await deadLettersOf(dataDir)).toEqual([]);
    await kill(second.child);
  }, 240_000);
});

/**
 * A create retried after a crash answers what the first attempt did, and never makes a second
 * order (issue 14, item 1): 200 concurrent creates, each with its own Idempotency-Key; the stack's
 * process group is SIGKILLed after ~70 answers and started again on the same data folder; every
 * create whose answer the client did not get is sent again with the same key and body, at once
 * (a 409 or 503 is retried after its Retry-After). Then: one order per key, no 409 in progress,
 * every key (answered or not) answers the same order as a replay (`Idempotent-Replayed: true`),
 * equal to its first answer; one `order.submitted` notification per order, recipient and channel;
 * no dead letters. On the mechanism before derived ids this found 213 and 216 orders for 200 keys
 * (docs/quality.md).
 */
const BURST = 200;
const ANSWERS_BEFORE_KILL = 70;
let burstDir: string;

afterAll(async () => {
  if (burstDir && !process.env.CRASH_DEBUG) await rm(burstDir, { recursive: true, force: true });
});

describe('crash in the middle of a burst of idempotent creates', () => {
  it('after SIGKILL and restart, every Idempotency-Key answers one order, made once and notified once', async () => {
    burstDir = await mkdtemp(join(tmpdir(), 'algesta-crash-idem-'));
    const run = randomUUID().slice(0, 8);
    const keys = Array.from({ length: BURST }, (_, i) => `burst-${run}-${i}`);
    const bodyOf = (i: number): CreateOrderBody => ({
      siteId: DEMO.siteIds[i % 2]!,
      category: 'cleaning',
      priority: 'P4',
      title: `Burst ${run} ${i}`,
      description: 'idempotent burst',
    });
    type Answer = { id: string; etag: string | null; body: unknown };
    const answered = new Map<number, Answer>();
    // Answers the server sent but the client never saw: one in ten "lost on the way" (a client
    // timeout, a dropped connection), and all that arrive once the kill is decided. Their orders
    // exist; their retries must answer them.
    const unseen = new Map<number, string>();

    const first = await startHost(burstDir, {}, { processGroup: true });
    const as = typedClients(first.url);
    let killing: Promise<void> | undefined;
    await Promise.all(
      keys.map(async (key, i) => {
        try {
          const r = await as(first.tokens.client).POST('/api/v1/orders', {
            params: { header: { 'Idempotency-Key': key } },
            body: bodyOf(i),
          });
          if (r.response.status === 201 && (killing || i % 10 === 9)) unseen.set(i, r.data!.id);
          else if (r.response.status === 201)
            answered.set(i, { id: r.data!.id, etag: r.response.headers.get('etag'), body: r.data });
        } catch {
          // The connection died with the process: the answer is lost (the effect may not be).
        }
        if (!killing && answered.size >= ANSWERS_BEFORE_KILL) killing = killGroup(first.child);
      }),
    );
    await killing;
    expect(answered.size).toBeGreaterThanOrEqual(ANSWERS_BEFORE_KILL);
    expect(answered.size).toBeLessThan(BURST);

    const second = await startHost(burstDir, {}, { processGroup: true });
    const as2 = typedClients(second.url);
    const token = second.tokens.client;
    let inProgress = 0;
    /** Sends create `i` again with its key and body until it is answered (409 in progress and 503 are retried). */
    const resend = async (i: number, until: number) => {
      for (;;) {
        const r = await as2(token).POST('/api/v1/orders', {
          params: { header: { 'Idempotency-Key': keys[i]! } },
          body: bodyOf(i),
        });
        const status = r.response.status;
        if ((status !== 409 && status !== 503) || Date.now() > until) return r;
        if (status === 409) inProgress++;
        await new Promise((res) => setTimeout(res, 1000 * Number(r.response.headers.get('retry-after') ?? 1)));
      }
    };
    // The retries of the lost answers, as a client would send them: all at once, right after the restart.
    const lost = keys.map((_, i) => i).filter((i) => !answered.has(i));
    const until = Date.now() + 75_000;
    const retried = await Promise.all(lost.map((i) => resend(i, until)));
    const byKey = new Map<number, string>([...answered].map(([i, a]) => [i, a.id]));
    let replayedRetries = 0;
    retried.forEach((r, n) => {
      const i = lost[n]!;
      expect(r.response.status, `retry of key ${i}: ${JSON.stringify(r.error)}`).toBe(201);
      byKey.set(i, r.data!.id);
      if (r.response.headers.get('idempotent-replayed') === 'true') replayedRetries++;
      if (unseen.has(i)) {
        expect(r.data!.id, `retry of key ${i}, whose answer was lost`).toBe(unseen.get(i));
        expect(r.response.headers.get('idempotent-replayed'), `retry of key ${i}`).toBe('true');
      }
    });
    expect(unseen.size).toBeGreaterThan(0);

    // The orders themselves: one per key.
    const orders: { id: string; title: string }[] = [];
    let continuation: string | undefined;
    do {
      const page = await as2(token).GET('/api/v1/orders', {
        params: { query: { limit: 100, ...(continuation ? { continuationToken: continuation } : {}) } },
      });
      expect(page.response.status).toBe(200);
      orders.push(...page.data!.items.filter((o) => o.title.startsWith(`Burst ${run} `)));
      continuation = page.data!.continuationToken;
    } while (continuation);
    const summary = {
      orders: orders.length,
      titles: new Set(orders.map((o) => o.title)).size,
      keysAnsweringDistinctOrders: new Set(byKey.values()).size,
      inProgressAnswers: inProgress,
    };
    if (process.env.CRASH_DEBUG)
      console.log('DEBUG', { answered: answered.size, unseen: unseen.size, lost: lost.length, replayedRetries, ...summary });
    expect(summary).toEqual({ orders: BURST, titles: BURST, keysAnsweringDistinctOrders: BURST, inProgressAnswers: 0 });
    expect(new Set(orders.map((o) => o.id))).toEqual(new Set(byKey.values()));

    // One order.submitted notification per order, recipient and channel: the requester and the
    // operator, read from their own lists (each one partition) until every order has reached both.
    const orderIds = new Set(orders.map((o) => o.id));
    type Note = { orderId?: string; eventType: string; recipientUserId: string; channel: string };
    const notesOf = async (role: 'client' | 'operator'): Promise<Note[]> => {
      const all: Note[] = [];
      let next: string | undefined;
      do {
        const page = await as2(second.tokens[role]).GET('/api/v1/notifications', {
          params: { query: { limit: 100, ...(next ? { continuationToken: next } : {}) } },
        });
        expect(page.response.status).toBe(200);
        all.push(...page.data!.items);
        next = page.data!.continuationToken;
      } while (next);
      return all.filter((n) => n.eventType === 'order.submitted' && n.orderId !== undefined && orderIds.has(n.orderId));
    };
    const notified = async () => ({ client: await notesOf('client'), operator: await notesOf('operator') });
    const reachedAll = (ns: Note[]) => new Set(ns.map((n) => n.orderId)).size === BURST;
    const waitForNotifications = async () => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const notes = await notified();
        if ((reachedAll(notes.client) && reachedAll(notes.operator)) || Date.now() > deadline) return notes;
        await new Promise((r) => setTimeout(r, 2000));
      }
    };

    // Meanwhile, every key again, answered or not: the same order, as a replay. An answered one
    // equals its first answer — plus what a background step (the Asana task) added since, and then
    // with that version's ETag (docs/api.md, Idempotency).
    const [replays, firstNotes] = await Promise.all([
      Promise.all(keys.map((_, i) => resend(i, Date.now() + 10_000))),
      waitForNotifications(),
    ]);
    replays.forEach((r, i) => {
      expect(r.response.status, `replay of key ${i}: ${JSON.stringify(r.error)}`).toBe(201);
      expect(r.response.headers.get('idempotent-replayed'), `replay of key ${i}`).toBe('true');
      expect(r.data!.id, `replay of key ${i}`).toBe(byKey.get(i));
      const a = answered.get(i);
      if (a) {
        expect(r.data, `replay of answered key ${i}`).toMatchObject(a.body as object);
        if (JSON.stringify(r.data) === JSON.stringify(a.body)) expect(r.response.headers.get('etag'), `key ${i}`).toBe(a.etag);
      }
    });
    expect(reachedAll(firstNotes.client), 'every order notified to its requester').toBe(true);
    expect(reachedAll(firstNotes.operator), 'every order notified to the operator').toBe(true);
    await new Promise((r) => setTimeout(r, 1000)); // a late duplicate would have landed by now
    const notes = await notified();
    const perTarget = new Map<string, number>();
    for (const n of [...notes.client, ...notes.operator]) {
      const k = `${n.orderId} ${n.recipientUserId} ${n.channel}`;
      perTarget.set(k, (perTarget.get(k) ?? 0) + 1);
    }
    expect([...perTarget].filter(([, c]) => c !== 1)).toEqual([]);

    // Nothing was parked: the dead-letter queues, read the way an operator does (`npm run dlq`).
    expect(await deadLettersOf(burstDir)).toEqual([]);
    await killGroup(second.child);
  }, 240_000);
});
