import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demoProvider } from '../../local/seed';
import type { PlanRepository } from '../../shared/application/plans/ports';
import { generatePlan, occurrenceOrderId, sweepPlans, type PlanGenerationDeps } from '../../shared/application/plans/generation';
import { createPlan, listUpcoming, movePlanStatus, updatePlan, type PlanDeps } from '../../shared/application/plans/plans';
import { ConflictError, InvalidInputError, NotFoundError, PreconditionFailedError } from '../../shared/application/errors';
import type { CallContext } from '../../shared/application/context';
import type { Page, PageRequest, Versioned } from '../../shared/application/ports';
import type { Principal } from '../../shared/domain/access/principal';
import { addDays, dueOccurrences, planOccurrences } from '../../shared/domain/plans/occurrences';
import type { Plan, PlanDefinition } from '../../shared/domain/plans/plan';
import { DEFAULT_CALENDAR } from '../../shared/domain/orders/business-calendar';
import { rulesFor } from '../../shared/domain/notifications/rules';
import { renderEmail, type MessageVars } from '../../shared/domain/notifications/templates';
import { MemoryClients, MemoryOrders, MemoryProviders, sequentialIds } from '../support/memory';

const CLIENT = 'cli_00000000000000000000000001';
const OTHER = 'cli_00000000000000000000000002';
const SITE = 'sit_00000000000000000000000001';
const PROVIDER = 'prv_00000000000000000000000001';

class MemoryPlans implements PlanRepository {
  readonly plans = new Map<string, Versioned<Plan>>();
  private n = 0;
  /** Fails the next cursor write once (a crash between the order write and the cursor write). */
  failNextSave = false;
  async create(plan: Plan) {
    if (this.plans.has(plan.id)) throw new ConflictError('plan exists');
    const v = { value: plan, etag: `e${++this.n}` };
    this.plans.set(plan.id, v);
    return v;
  }
  async get(clientId: string, planId: string) {
    const p = this.plans.get(planId);
    return p?.value.clientId === clientId ? p : undefined;
  }
  async save(plan: Plan, etag: string) {
    if (this.failNextSave) {
      this.failNextSave = false;
      throw new Error('crash before the cursor write');
    }
    if (this.plans.get(plan.id)?.etag !== etag) throw new PreconditionFailedError('changed');
    const v = { value: plan, etag: `e${++this.n}` };
    this.plans.set(plan.id, v);
    return v;
  }
  async listForClient(clientId: string, _page: PageRequest): Promise<Page<Plan>> {
    return { items: [...this.plans.values()].map((p) => p.value).filter((p) => p.clientId === clientId) };
  }
  async findDue(date: string, limit: number) {
    return [...this.plans.values()]
      .filter((p) => p.value.status === 'active' && p.value.nextDueOn !== undefined && p.value.nextDueOn <= date)
      .slice(0, limit)
      .map((p) => ({ clientId: p.value.clientId, planId: p.value.id }));
  }
}

function world(nowIso: string) {
  let now = new Date(nowIso);
  const clients = new MemoryClients();
  const providers = new MemoryProviders();
  const plans = new MemoryPlans();
  const orders = new MemoryOrders();
  const clock = { now: () => now };
  void clients.create({
    id: CLIENT,
    name: 'C',
    timeZone: 'America/Bogota',
    currency: 'COP',
    createdAt: nowIso,
    createdBy: 'a',
  } as never);
  void clients.addSite({ id: SITE, clientId: CLIENT, name: 'S', address: 'A', city: 'Bogotá', createdAt: nowIso });
  void providers.create(demoProvider(PROVIDER, 'P', '901234567-7', ['hvac', 'electrical'], ['Bogotá']), [], []);
  const deps: PlanDeps & PlanGenerationDeps = { plans, clients, providers, orders, clock, ids: sequentialIds() };
  return { deps, plans, orders, providers, setNow: (iso: string) => (now = new Date(iso)) };
}

const call = (p: Principal): CallContext => ({ principal: p, correlationId: 'c' });
const operator = call({ userId: 'op', role: 'operator', name: 'Op' });
const clientUser = call({ userId: 'cu', role: 'client', clientId: CLIENT, name: 'Cu' });
const otherClientUser = call({ userId: 'ou', role: 'client', clientId: OTHER });
const system = { correlationId: 'timer' };

const weekly: PlanDefinition = {
  siteId: SITE,
  category: 'hvac',
  title: 'Filters',
  description: 'Change filters',
  checklist: [{ id: 'filters', label: 'Filters changed' }],
  rrule: 'FREQ=WEEKLY;BYDAY=MO',
  startDate: '2026-03-02',
  businessDayRule: 'next-business-day',
  leadTimeDays: 7,
};

describe('plan use cases', () => {
  it('a client user creates a plan for its own client; another client cannot see it; a bad rule is a field error', async () => {
    const w = world('2026-03-02T12:00:00.000Z');
    const { value: plan } = await createPlan(w.deps, clientUser, weekly);
    expect(plan).toMatchObject({ clientId: CLIENT, status: 'active', effectiveFrom: '2026-03-02', nextDueOn: '2026-02-23' });
    await expect(listUpcoming(w.deps, otherClientUser, CLIENT, plan.id, 3)).rejects.toBeInstanceOf(NotFoundError);
    await expect(createPlan(w.deps, clientUser, { ...weekly, rrule: 'FREQ=WEEKLY;INTERVAL=-1' })).rejects.toMatchObject({
      fieldErrors: [{ field: 'rrule', message: 'INTERVAL must be an integer 1–999' }],
    });
    await expect(createPlan(w.deps, operator, { ...weekly, siteId: 'sit_nope' })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('a past start date anchors the rule but opens nothing before the plan existed', async () => {
    const w = world('2026-03-18T12:00:00.000Z');
    const { value: plan } = await createPlan(w.deps, operator, { ...weekly, clientId: CLIENT, leadTimeDays: 0 });
    expect(plan.effectiveFrom).toBe('2026-03-18');
    expect((await listUpcoming(w.deps, operator, CLIENT, plan.id, 1))[0]?.ruleDate).toBe('2026-03-23');
  });
});

describe('plan generation', () => {
  it('opens one P4 order per due occurrence with the plan’s checklist, and not again on the next run', async () => {
    const w = world('2026-03-02T12:00:00.000Z');
    const { value: plan } = await createPlan(w.deps, clientUser, weekly);
    expect(await sweepPlans(w.deps, system)).toBe(2); // on 2 March, 2 and 9 March are due (7 days ahead)
    expect(await sweepPlans(w.deps, system)).toBe(0);
    const orders = [...w.orders.orders.values()].map((o) => o.value);
    expect(orders.map((o) => o.planOccurrence?.date).sort()).toEqual(['2026-03-02', '2026-03-09']);
    expect(orders[0]).toMatchObject({
      channel: 'plan',
      priority: 'P4',
      status: 'SUBMITTED',
      checklist: [{ id: 'filters', label: 'Filters changed' }],
    });
    expect(orders[0]!.id).toBe(occurrenceOrderId(CLIENT, `${plan.id}@2026-03-02`, '2026-03-02'));
    expect((await w.plans.get(CLIENT, plan.id))?.value).toMatchObject({
      generatedThrough: '2026-03-09',
      nextDueOn: '2026-03-09',
    });
  });

  it('a crash between the order write and the cursor write does not double the order', async () => {
    const w = world('2026-03-02T12:00:00.000Z');
    const { value: plan } = await createPlan(w.deps, clientUser, weekly);
    w.plans.failNextSave = true;
    await expect(generatePlan(w.deps, system, CLIENT, plan.id)).rejects.toThrow(/crash/);
    expect(w.orders.orders.size).toBe(1);
    expect(await generatePlan(w.deps, system, CLIENT, plan.id)).toBe(1); // the first exists: only the second is new
    expect(w.orders.orders.size).toBe(2);
  });

  it('with a pre-approved NTE and an eligible provider the order goes straight to assignment', async () => {
    const w = world('2026-03-02T12:00:00.000Z');
    await createPlan(w.deps, clientUser, {
      ...weekly,
      preApproved: { nte: { amount: 450_000_00, currency: 'COP' }, providerId: PROVIDER },
    });
    await sweepPlans(w.deps, system);
    const order = [...w.orders.orders.values()][0]!.value;
    expect(order).toMatchObject({
      status: 'CONTRACTING',
      providerId: PROVIDER,
      approvedAmount: { amount: 450_000_00, currency: 'COP' },
    });
    const actions = w.orders.historyEntries.filter((h) => h.orderId === order.id).map((h) => `${h.action}:${h.by.role}`);
    expect(actions).toEqual(['create:system', 'triage:system', 'assign:system']);
    expect(w.orders.events.map((e) => e.type)).toContain('order.contract-requested');
  });

  it('a preferred provider whose documents expired: the order waits for triage and operators get an event', async () => {
    const w = world('2026-03-02T12:00:00.000Z');
    const p = (await w.providers.get(PROVIDER))!;
    const expired = {
      ...p.value,
      documents: p.value.documents.map((d) => (d.expiresAt ? { ...d, expiresAt: '2026-01-01' } : d)),
    };
    await w.providers.save(expired, p.etag, [], []);
    await createPlan(w.deps, clientUser, {
      ...weekly,
      preApproved: { nte: { amount: 450_000_00, currency: 'COP' }, providerId: PROVIDER },
    });
    await sweepPlans(w.deps, system);
    const orders = [...w.orders.orders.values()].map((o) => o.value);
    expect(orders.every((o) => o.status === 'SUBMITTED' && o.providerId === undefined)).toBe(true);
    const ineligible = w.orders.events.filter((e) => e.type === 'plan.provider-ineligible');
    expect(ineligible).toHaveLength(2);
    expect(ineligible[0]!.data).toMatchObject({ providerId: PROVIDER, reason: expect.stringMatching(/documents not valid/) });
    // Operators are told, in their language.
    expect(rulesFor('plan.provider-ineligible', ineligible[0]!.data)).toEqual([
      { on: 'plan.provider-ineligible', to: ['operators'], template: 'plan-provider-ineligible' },
    ]);
    const vars = { recipientName: 'Op', title: 'Filters', reason: 'documents not valid', orderId: 'ord_1' } as MessageVars;
    expect(renderEmail('plan-provider-ineligible', vars, 'es-CO').text).toContain(
      'el proveedor preferido no es elegible (documents not valid)',
    );
    expect(renderEmail('plan-provider-ineligible', vars, 'en').subject).toBe('Plan provider not eligible: Filters');
  });

  it('pausing stops generation; resuming does not open what fell due while paused', async () => {
    const w = world('2026-03-01T12:00:00.000Z');
    const { value: plan } = await createPlan(w.deps, clientUser, { ...weekly, leadTimeDays: 0 });
    await movePlanStatus(w.deps, clientUser, CLIENT, plan.id, 'pause');
    w.setNow('2026-03-20T12:00:00.000Z');
    expect(await sweepPlans(w.deps, system)).toBe(0);
    await movePlanStatus(w.deps, clientUser, CLIENT, plan.id, 'resume');
    // Monday 23 March 2026 is a holiday (San José): the occurrence moves to Tuesday, same identity.
    w.setNow('2026-03-24T12:00:00.000Z');
    expect(await sweepPlans(w.deps, system)).toBe(1);
    expect([...w.orders.orders.values()].map((o) => o.value.planOccurrence)).toEqual([
      { planId: plan.id, key: `${plan.id}@2026-03-23`, ruleDate: '2026-03-23', date: '2026-03-24' },
    ]);
  });

  it('an edit governs only what is not opened yet', async () => {
    const w = world('2026-03-02T12:00:00.000Z');
    const { value: plan } = await createPlan(w.deps, clientUser, weekly);
    await sweepPlans(w.deps, system); // 2 and 9 March
    await updatePlan(w.deps, clientUser, CLIENT, plan.id, { ...weekly, rrule: 'FREQ=WEEKLY;BYDAY=WE', leadTimeDays: 14 });
    await sweepPlans(w.deps, system);
    expect([...w.orders.orders.values()].map((o) => o.value.planOccurrence?.date).sort()).toEqual([
      '2026-03-02',
      '2026-03-09',
      '2026-03-11',
    ]);
  });

  it('a rule that ends (COUNT) ends its plan once the last occurrence’s order is open, not before', async () => {
    const w = world('2026-03-02T12:00:00.000Z');
    const { value: plan } = await createPlan(w.deps, clientUser, { ...weekly, rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=3' });
    expect(await sweepPlans(w.deps, system)).toBe(2); // 2 and 9 March
    expect((await w.plans.get(CLIENT, plan.id))?.value).toMatchObject({ status: 'active', nextDueOn: '2026-03-09' });
    w.setNow('2026-03-09T12:00:00.000Z');
    expect(await sweepPlans(w.deps, system)).toBe(1); // 16 March, the third and last
    const ended = (await w.plans.get(CLIENT, plan.id))!.value;
    expect(ended).toMatchObject({ status: 'ended', generatedThrough: '2026-03-16', version: plan.version + 1 });
    expect(ended.nextDueOn).toBeUndefined();
    expect(await listUpcoming(w.deps, clientUser, CLIENT, plan.id, 3)).toEqual([]);
    // Ended means final: no action brings it back, and later runs open nothing more.
    await expect(movePlanStatus(w.deps, clientUser, CLIENT, plan.id, 'resume')).rejects.toBeInstanceOf(ConflictError);
    w.setNow('2026-06-01T12:00:00.000Z');
    expect(await sweepPlans(w.deps, system)).toBe(0);
    expect(w.orders.orders.size).toBe(3);
  });

  it('UNTIL whose last dates the business-day rule skips: the plan ends after the last order it can open', async () => {
    const w = world('2026-03-02T12:00:00.000Z');
    // Mondays until 23 March 2026; 23 March is a holiday (San José) and `skip` drops it.
    const { value: plan } = await createPlan(w.deps, clientUser, {
      ...weekly,
      rrule: 'FREQ=WEEKLY;BYDAY=MO;UNTIL=20260323',
      businessDayRule: 'skip',
      leadTimeDays: 0,
    });
    w.setNow('2026-03-16T12:00:00.000Z');
    expect(await sweepPlans(w.deps, system)).toBe(3); // 2, 9 and 16 March
    expect((await w.plans.get(CLIENT, plan.id))?.value.status).toBe('ended');
  });

  it('an edit that leaves nothing to open ends the plan; a create that would open nothing is a field error', async () => {
    const w = world('2026-03-02T12:00:00.000Z');
    const { value: plan } = await createPlan(w.deps, clientUser, weekly);
    await sweepPlans(w.deps, system); // 2 and 9 March
    const edited = await updatePlan(w.deps, clientUser, CLIENT, plan.id, { ...weekly, rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=2' });
    expect(edited.value).toMatchObject({ status: 'ended', generatedThrough: '2026-03-09' });
    await expect(
      createPlan(w.deps, clientUser, { ...weekly, rrule: 'FREQ=WEEKLY;BYDAY=MO;UNTIL=20260301' }),
    ).rejects.toMatchObject({ fieldErrors: [{ field: 'rrule', message: 'the rule has no occurrence on or after 2026-03-02' }] });
    // An unending rule never runs out, whatever its next date.
    const { value: yearly } = await createPlan(w.deps, clientUser, { ...weekly, rrule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29' });
    expect(yearly).toMatchObject({ status: 'active', nextDueOn: '2028-02-22' });
  });

  it('a keyed create retried after its rule ran out answers the plan it made', async () => {
    const w = world('2026-03-02T12:00:00.000Z');
    const keyed = { ...clientUser, idempotency: { ulid: '01KJ0000000000000000000001', since: '2026-03-02T12:00:00.000Z' } };
    const definition = { ...weekly, rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=1', leadTimeDays: 0 };
    const first = await createPlan(w.deps, keyed, definition);
    w.setNow('2026-03-03T12:00:00.000Z'); // the only Monday has passed
    const retry = await createPlan(w.deps, keyed, definition);
    expect(retry).toMatchObject({ replayed: true, value: { id: first.value.id } });
    await expect(createPlan(w.deps, clientUser, definition)).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('property: any timer runs, crashes and days passing → exactly the due occurrences, each once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ days: fc.integer({ min: 0, max: 9 }), crash: fc.boolean() }), { minLength: 1, maxLength: 10 }),
        fc.constantFrom('FREQ=WEEKLY;BYDAY=MO', 'FREQ=DAILY;INTERVAL=2', 'FREQ=MONTHLY;BYDAY=-1FR'),
        async (runs, rrule) => {
          const w = world('2026-03-01T12:00:00.000Z');
          const { value: plan } = await createPlan(w.deps, clientUser, { ...weekly, rrule, leadTimeDays: 3 });
          let day = '2026-03-01';
          for (const r of runs) {
            day = addDays(day, r.days);
            w.setNow(`${day}T23:30:00.000Z`); // 18:30 in Bogotá: still `day` there
            w.plans.failNextSave = r.crash;
            await sweepPlans(w.deps, system); // a crash is logged per plan; the run goes on
            w.plans.failNextSave = false;
          }
          // Then runs that do not crash, as the hourly timer goes on: a run opens at most 20 occurrences
          // per plan (docs/plans.md), so a backlog left by crashed runs takes more than one to drain.
          const stored = async () => (await w.plans.get(CLIENT, plan.id))!.value;
          for (let i = 0; i < 10 && dueOccurrences(await stored(), DEFAULT_CALENDAR, day, 10).length > 0; i++)
            await sweepPlans(w.deps, system);
          const expected = planOccurrences(plan, DEFAULT_CALENDAR, {
            from: plan.startDate,
            to: addDays(day, 60),
          })
            .filter((o) => o.dueOn <= day)
            .map((o) => o.key)
            .sort();
          const got = [...w.orders.orders.values()].map((o) => o.value.planOccurrence!.key).sort();
          expect(got).toEqual(expected);
          expect(dueOccurrences((await w.plans.get(CLIENT, plan.id))!.value, DEFAULT_CALENDAR, day, 10)).toEqual([]);
        },
      ),
      { numRuns: 40 },
    );
  });
});
