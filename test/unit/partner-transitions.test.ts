import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../shared/domain/shared/events';
import { UnavailableError } from '../../shared/application/errors';
import { PartnerUnavailableError } from '../../shared/application/integrations/errors';
import type {
  TaskPatch,
  TaskRequest,
  TaskTracker,
  TicketStatusUpdate,
  TicketSystem,
} from '../../shared/application/integrations/ports';
import { contractSigned, submitQuote } from '../../shared/application/orders/lifecycle';
import { createOrder } from '../../shared/application/orders/orders';
import { pushTicketStatus, syncAsanaTask, type PartnerSyncDeps } from '../../shared/application/orders/partner-sync';
import { SYNC_LEASE_MS, type PartnerSyncCursor } from '../../shared/application/orders/transition-sync';
import { MemoryFiles, type MemoryClients } from '../support/memory';
import { MemoryPartnerSyncCursors } from '../support/partner-sync-memory';
import { CLIENT, MIN, client, operator, provider, world, type World, storedPhoto } from '../support/order-world';

/**
 * Every status change of an order reaches Qsystems and the order's Asana task once each, in order
 * — not the latest snapshot when the sync happens to run — whatever the bus does with the events
 * (late, reordered, delivered twice, concurrently), through partner outages, and across a crash
 * between a delivery and the record of it. In-memory ports; the partners are fakes that follow
 * their contracts (docs/integrations.md): Qsystems refuses a sequence that is not newer, Asana
 * keeps every comment it is sent.
 */
const REF = 'QS-4711';
const PROJECT = '1209000000000001';
const LIFECYCLE = [
  'SUBMITTED',
  'TRIAGED',
  'QUOTING',
  'AWAITING_APPROVAL',
  'CONTRACTING',
  'SCHEDULED',
  'IN_PROGRESS',
  'ON_HOLD',
  'IN_PROGRESS',
  'WORK_COMPLETED',
  'VERIFIED',
  'INVOICED',
  'CLOSED',
];

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Qsystems as its contract says: the ticket keeps the highest sequence and refuses anything not newer. */
class QsystemsFake implements TicketSystem {
  /** Every update that reached it, applied or refused as stale. */
  readonly received: TicketStatusUpdate[] = [];
  /** The ticket's history: the updates it applied. */
  readonly history: TicketStatusUpdate[] = [];
  private sequence = 0;
  down = false;
  failures = 0;

  async pushStatus(update: TicketStatusUpdate) {
    await tick();
    if (this.down) {
      this.failures++;
      throw new PartnerUnavailableError('qsystems', 'push ticket status', 'server-error', { status: 503 });
    }
    this.received.push(update);
    await tick();
    if (update.sequence <= this.sequence) return { applied: false };
    this.sequence = update.sequence;
    this.history.push(update);
    return { applied: true };
  }

  statuses() {
    return this.history.map((u) => u.status);
  }
}

interface FakeTask {
  readonly gid: string;
  readonly orderId: string;
  notes: string;
  completed: boolean;
  readonly comments: { text: string; marker: string }[];
}

/** Asana: one task per order, and its comments — Asana itself never deduplicates a comment. */
class AsanaFake implements TaskTracker {
  readonly tasks: FakeTask[] = [];
  down = false;
  failures = 0;

  private async call() {
    await tick();
    if (this.down) {
      this.failures++;
      throw new PartnerUnavailableError('asana', 'call', 'server-error', { status: 503 });
    }
  }
  private task(gid: string): FakeTask {
    const found = this.tasks.find((t) => t.gid === gid);
    if (!found) throw new Error(`no task ${gid}`);
    return found;
  }
  async ensureTask(input: TaskRequest) {
    await this.call();
    const found = this.tasks.find((t) => t.orderId === input.orderId);
    if (found) return { gid: found.gid, created: false };
    const task: FakeTask = {
      gid: String(5000 + this.tasks.length),
      orderId: input.orderId,
      notes: input.notes,
      completed: false,
      comments: [],
    };
    this.tasks.push(task);
    return { gid: task.gid, created: true };
  }
  async updateTask(gid: string, patch: TaskPatch) {
    await this.call();
    const task = this.task(gid);
    if (patch.notes !== undefined) task.notes = patch.notes;
    if (patch.completed !== undefined) task.completed = patch.completed;
  }
  async addComment(gid: string, comment: { text: string; marker: string }) {
    await this.call();
    this.task(gid).comments.push(comment);
  }
  async hasComment(gid: string, marker: string) {
    await this.call();
    return this.task(gid).comments.some((c) => c.marker === marker);
  }

  /** The statuses the order's comments announce, in the order they were posted. */
  statuses(orderId: string) {
    const task = this.tasks.find((t) => t.orderId === orderId);
    return (task?.comments ?? []).map((c) => /→ ([A-Z_]+)/.exec(c.text)?.[1]);
  }
  comments(orderId: string) {
    return this.tasks.find((t) => t.orderId === orderId)?.comments ?? [];
  }
}

interface Setup {
  w: World;
  id: string;
  qsystems: QsystemsFake;
  asana: AsanaFake;
  cursors: MemoryPartnerSyncCursors;
  partners: PartnerSyncDeps;
  /** The lifecycle's actions after creation, in order; each returns when the order has moved. */
  steps: (() => Promise<unknown>)[];
  /** The order's events not taken yet (submitted and status changes), oldest first. */
  newEvents(): DomainEvent[];
}

async function setup(): Promise<Setup> {
  const w = await world('2026-03-03T15:00:00.000Z');
  const clients = w.deps.clients as MemoryClients;
  const stored = clients.clients.get(CLIENT)!;
  clients.clients.set(CLIENT, { ...stored, value: { ...stored.value, asanaProjectId: PROJECT } });
  const qsystems = new QsystemsFake();
  const asana = new AsanaFake();
  const cursors = new MemoryPartnerSyncCursors();
  const partners = {
    orders: w.orders,
    clients,
    providers: w.deps.providers,
    users: w.deps.users,
    files: new MemoryFiles(),
    attachments: w.attachments,
    clock: w.deps.clock,
    tickets: qsystems,
    tasks: asana,
    syncCursors: cursors,
  } as PartnerSyncDeps;
  const created = await createOrder(
    w.deps,
    { principal: client, correlationId: 'c' },
    { siteId: 'sit_1', category: 'hvac', priority: 'P3', title: 'AC', description: 'x', externalRef: REF },
  );
  const id = created.value.id;
  const later = (minutes: number) => new Date(Date.parse(w.now()) + minutes * MIN).toISOString();
  const money = { amount: 500_000, currency: 'COP' };
  const step = (run: () => Promise<unknown>) => async () => {
    w.advance(MIN);
    return run();
  };
  const steps = [
    step(() => w.act(id, operator, 'triage')),
    step(() => w.act(id, operator, 'request-quotes', { quoteDeadline: later(60) })),
    step(() =>
      submitQuote(w.deps, { principal: provider, correlationId: 'c' }, id, {
        amount: money,
        leadTimeDays: 2,
        validUntil: '2026-12-31',
      }),
    ), // same status
    step(async () => w.act(id, operator, 'select-quote', { quoteId: (await w.orders.listQuotes(CLIENT, id))[0]!.id })),
    step(() => w.act(id, operator, 'approve')),
    step(() => contractSigned(w.deps, { correlationId: 'c' }, CLIENT, id)),
    step(() => w.act(id, provider, 'schedule', { visitAt: later(30) })), // same status
    step(() => w.act(id, provider, 'check-in')),
    step(() => w.act(id, provider, 'hold', { reason: 'Falta un repuesto' })),
    step(() => w.act(id, provider, 'resume', { reason: 'Llegó el repuesto' })),
    step(async () => {
      await storedPhoto(w, id, 'att_photo', 'x');
      return w.act(id, provider, 'complete', { report: 'Hecho', attachmentIds: ['att_photo'] });
    }),
    step(() => w.act(id, client, 'verify')),
    step(() => w.act(id, provider, 'invoice', { invoiceNumber: 'FV-1', amount: money })),
    step(() => w.act(id, operator, 'close')),
  ];
  let taken = 0;
  const newEvents = () => {
    const fresh = w.orders.events.slice(taken);
    taken = w.orders.events.length;
    return fresh.filter((e) => e.subject === id && (e.type === 'order.submitted' || e.type === 'order.status-changed'));
  };
  return { w, id, qsystems, asana, cursors, partners, steps, newEvents };
}

/** The orders workflow's partner steps for one delivered event, as functions/workflows/orders.ts runs them. */
async function handle(deps: PartnerSyncDeps, e: DomainEvent): Promise<void> {
  const d = e.data as { clientId: string; orderId: string; version?: number };
  const steps =
    e.type === 'order.submitted'
      ? [
          () => syncAsanaTask(deps, d.clientId, d.orderId, { create: true, version: 1 }),
          () => pushTicketStatus(deps, d.clientId, d.orderId, 1),
        ]
      : [
          () => syncAsanaTask(deps, d.clientId, d.orderId, { create: false, version: d.version }),
          () => pushTicketStatus(deps, d.clientId, d.orderId, d.version),
        ];
  const results = await Promise.allSettled(steps.map((s) => s()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** A seeded generator, so that a failing run can be replayed. */
function prng(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

/**
 * At-least-once delivery: a published message stays until a delivery of it succeeds; a failed
 * delivery leaves it for later (the bus redelivers); a message may be delivered again after a
 * success (a lost completion) and several deliveries may run at once.
 */
class Bus {
  private pending: DomainEvent[] = [];
  /** The version (1 for the creation) of each successful delivery, in completion order. */
  readonly delivered: number[] = [];
  failedDeliveries = 0;
  /** Why deliveries failed, in order. */
  readonly failures: string[] = [];
  constructor(
    private readonly deps: PartnerSyncDeps,
    private readonly random: () => number = () => 0,
  ) {}

  publish(events: readonly DomainEvent[]) {
    this.pending.push(...events);
  }

  /** `count` picks at random (the same message may be picked twice), run concurrently. */
  async deliverSome(count: number, redeliverChance = 0): Promise<void> {
    const picked = Array.from(
      { length: Math.min(count, this.pending.length * 2) },
      () => this.pending[Math.floor(this.random() * this.pending.length)],
    ).filter((e): e is DomainEvent => e !== undefined);
    const unique = [...new Set(picked)];
    this.pending = this.pending.filter((e) => !unique.includes(e) || this.random() < redeliverChance);
    await Promise.all(picked.map((e) => this.deliver(e)));
  }

  /** Every pending message, one after the other in publication order. */
  async deliverInOrder(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    for (const e of batch) await this.deliver(e);
  }

  async drain(): Promise<void> {
    for (let round = 0; this.pending.length > 0; round++) {
      if (round > 50) throw new Error('the bus does not drain');
      await this.deliverSome(this.pending.length * 2);
    }
  }

  private async deliver(e: DomainEvent) {
    try {
      await handle(this.deps, e);
      this.delivered.push((e.data as { version?: number }).version ?? 1);
    } catch (err) {
      this.failedDeliveries++;
      this.failures.push((err as Error).message);
      if (!this.pending.includes(e)) this.pending.push(e);
    }
  }
}

function expectEveryTransitionOnce(s: Setup) {
  expect(s.qsystems.statuses()).toEqual(LIFECYCLE);
  // The sequences are the versions of the transitions, increasing: what Qsystems keeps.
  const sequences = s.qsystems.history.map((u) => u.sequence);
  expect(sequences).toEqual([...new Set(sequences)].sort((a, b) => a - b));
  expect(s.qsystems.history[0]).toMatchObject({ ticketRef: REF, status: 'SUBMITTED', sequence: 1 });
  expect(s.asana.statuses(s.id)).toEqual(LIFECYCLE);
  const markers = s.asana.comments(s.id).map((c) => c.marker);
  expect(new Set(markers).size).toBe(markers.length);
  const task = s.asana.tasks.find((t) => t.orderId === s.id)!;
  expect(task.completed).toBe(true);
  expect(task.notes).toContain('Estado: CLOSED');
}

describe('order transitions reach Qsystems and Asana', () => {
  it('a long lifecycle, each event delivered once and in order: every transition once, same-status steps not repeated', async () => {
    const s = await setup();
    const bus = new Bus(s.partners);
    bus.publish(s.newEvents());
    await bus.deliverInOrder();
    for (const step of s.steps) {
      await step();
      bus.publish(s.newEvents());
      await bus.deliverInOrder();
    }
    expect(bus.failedDeliveries).toBe(0);
    expectEveryTransitionOnce(s);
    // Nothing was sent twice: no stale update reached Qsystems.
    expect(s.qsystems.received).toHaveLength(LIFECYCLE.length);
  });

  it('the bus delivers late, out of order, twice and concurrently: still every transition once, in order', async () => {
    for (const seed of [7, 42, 2026]) {
      const s = await setup();
      const random = prng(seed);
      const bus = new Bus(s.partners, random);
      bus.publish(s.newEvents());
      for (const step of s.steps) {
        await step();
        bus.publish(s.newEvents());
        await bus.deliverSome(Math.floor(random() * 4), 0.4);
      }
      await bus.drain();
      // A delivery that meets another one holding the order is handed back to the bus (not waited
      // for inside the function) and done on a later delivery; nothing else failed.
      expect(bus.failures.filter((m) => !/is held by another delivery/.test(m))).toEqual([]);
      // The run did what it says: some events were delivered before older ones, some twice.
      expect(bus.delivered).not.toEqual([...bus.delivered].sort((a, b) => a - b));
      expect(bus.delivered.length).toBeGreaterThan(new Set(bus.delivered).size);
      expectEveryTransitionOnce(s);
    }
  });

  it('Qsystems down (503) for part of the run: the deliveries fail and are redelivered; nothing is lost or repeated', async () => {
    const s = await setup();
    const bus = new Bus(s.partners);
    bus.publish(s.newEvents());
    await bus.deliverInOrder();
    for (const [i, step] of s.steps.entries()) {
      s.qsystems.down = i >= 2 && i < 9; // from the quote to the hold
      await step();
      bus.publish(s.newEvents());
      await bus.deliverInOrder();
    }
    expect(s.qsystems.failures).toBeGreaterThan(0);
    expect(bus.failedDeliveries).toBeGreaterThan(0);
    await bus.drain();
    expectEveryTransitionOnce(s);
    expect(s.qsystems.received).toHaveLength(LIFECYCLE.length);
  });

  it('Asana down for part of the run: the task and its comments catch up in order once it answers', async () => {
    const s = await setup();
    const bus = new Bus(s.partners);
    s.asana.down = true; // even the task's creation fails at first
    bus.publish(s.newEvents());
    await bus.deliverInOrder();
    for (const [i, step] of s.steps.entries()) {
      s.asana.down = i < 6;
      await step();
      bus.publish(s.newEvents());
      await bus.deliverInOrder();
    }
    expect(s.asana.failures).toBeGreaterThan(0);
    await bus.drain();
    expectEveryTransitionOnce(s);
  });

  it('a crash between a delivery and its record: Qsystems refuses the repeat as stale, Asana finds its comment', async () => {
    const s = await setup();
    const bus = new Bus(s.partners);
    // The write that records version 5 fails once for each partner, after the partner has it.
    const put = s.cursors.put.bind(s.cursors);
    const failed = new Set<string>();
    s.cursors.put = async (cursor: PartnerSyncCursor, etag: string | null) => {
      if (cursor.version === 5 && !failed.has(cursor.partner)) {
        failed.add(cursor.partner);
        throw new UnavailableError('the database is unavailable, try again shortly');
      }
      return put(cursor, etag);
    };
    bus.publish(s.newEvents());
    for (const step of s.steps) {
      await step();
      bus.publish(s.newEvents());
      await bus.deliverInOrder();
    }
    await bus.drain();
    expect(failed).toEqual(new Set(['qsystems', 'asana']));
    expect(bus.failedDeliveries).toBeGreaterThan(0);
    expectEveryTransitionOnce(s);
    // Qsystems heard version 5 twice and applied it once; that repeat is all the crash cost.
    expect(s.qsystems.received.filter((u) => u.sequence === 5)).toHaveLength(2);
    expect(s.qsystems.received).toHaveLength(LIFECYCLE.length + 1);
  });

  it('a run that dies holding the order: the next one waits out its lease, takes over, and does not repeat its last comment', async () => {
    const s = await setup();
    const bus = new Bus(s.partners);
    // The process dies right after Asana took the comment of version 6: neither its record nor the
    // release of the claim is written.
    const put = s.cursors.put.bind(s.cursors);
    let dead = 0;
    s.cursors.put = async (cursor: PartnerSyncCursor, etag: string | null) => {
      if (cursor.partner === 'asana' && ((cursor.version === 6 && dead === 0) || dead === 1)) {
        dead++;
        throw new Error('killed');
      }
      return put(cursor, etag);
    };
    bus.publish(s.newEvents());
    for (const [i, step] of s.steps.entries()) {
      await step();
      if (i === 5) s.w.advance(SYNC_LEASE_MS + 1000); // the next deliveries come after the lease
      bus.publish(s.newEvents());
      await bus.deliverInOrder();
    }
    await bus.drain();
    expect(dead).toBe(2);
    expectEveryTransitionOnce(s);
  });

  it('an order without a Qsystems reference, of a client without an Asana project, costs no sync record', async () => {
    const s = await setup();
    const clients = s.partners.clients as MemoryClients;
    const stored = clients.clients.get(CLIENT)!;
    clients.clients.set(CLIENT, { ...stored, value: { ...stored.value, asanaProjectId: undefined } });
    const plain = await s.w.create('P3');
    await s.w.act(plain.id, operator, 'triage');
    const bus = new Bus(s.partners);
    bus.publish(s.w.orders.events.filter((e) => e.subject === plain.id && e.type.startsWith('order.s')));
    await bus.drain();
    expect(s.qsystems.received).toHaveLength(0);
    expect(s.cursors.writes.filter((c) => c.orderId === plain.id)).toHaveLength(0);
  });
});
