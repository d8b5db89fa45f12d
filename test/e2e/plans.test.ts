import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRoot } from '../../functions/composition-root';
import { lifecycleDeps, timers } from '../../functions/wiring';
import { DEMO } from '../../local/seed';
import { contractSigned } from '../../shared/application/orders/lifecycle';
import { colombianHolidays, DEFAULT_CALENDAR, isBusinessDay } from '../../shared/domain/orders/business-calendar';
import { addDays, localToday } from '../../shared/domain/plans/occurrences';
import {
  orderActions,
  refusedActions,
  startTestStack,
  storedAttachment,
  typedClients,
  type TypedClients,
} from '../support/stack';

/**
 * Maintenance plans over HTTP on the embedded stack (docs/plans.md): a weekly plan opens one order
 * per week and a rewound cursor (as after a crash) opens none twice; a holiday moves an occurrence
 * that keeps its identity; a plan's checklist is answered before `complete`. The timer is run
 * directly (its schedule is hourly). Across a restart of the host: plans-restart.test.ts.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let as: TypedClients;
let t: Awaited<ReturnType<typeof startTestStack>>['tokens'];

beforeAll(async () => {
  stack = await startTestStack();
  as = typedClients(stack.url);
  t = stack.tokens;
});
afterAll(async () => {
  await stack?.dispose();
});

const today = () => localToday(new Date().toISOString(), DEFAULT_CALENDAR);
const WEEKDAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];
const weekdayOf = (date: string) => WEEKDAYS[new Date(`${date}T00:00:00.000Z`).getUTCDay()]!;
const generate = () => timers.generatePlans({ correlationId: `plans-e2e-${Date.now()}` });

async function createPlan(body: Record<string, unknown>, token = t.client) {
  const { data, error, response } = await as(token).POST('/api/v1/clients/{clientId}/plans', {
    params: { path: { clientId: DEMO.clientId } },
    body: {
      siteId: DEMO.siteIds[0]!,
      category: 'hvac',
      title: 'Preventivo',
      description: 'Filtros y drenaje',
      rrule: 'FREQ=WEEKLY',
      startDate: today(),
      leadTimeDays: 0,
      ...body,
    } as never,
  });
  if (!data) throw new Error(`create plan: ${response.status} ${JSON.stringify(error)}`);
  return data;
}

async function ordersOf(planId: string) {
  const { data } = await as(t.operator).GET('/api/v1/orders', { params: { query: { clientId: DEMO.clientId, limit: 100 } } });
  return data!.items
    .filter((o) => o.planOccurrence?.planId === planId)
    .sort((a, b) => a.planOccurrence!.ruleDate.localeCompare(b.planOccurrence!.ruleDate));
}

describe('maintenance plans', () => {
  it('a weekly plan opens one order per week; a rewound cursor (a crash before its write) opens none twice', async () => {
    const start = today();
    const plan = await createPlan({ rrule: `FREQ=WEEKLY;BYDAY=${weekdayOf(start)}`, leadTimeDays: 20 });
    const upcoming = await as(t.client).GET('/api/v1/clients/{clientId}/plans/{planId}/occurrences', {
      params: { path: { clientId: DEMO.clientId, planId: plan.id }, query: { count: 3 } },
    });
    expect(upcoming.data!.items.map((o) => o.ruleDate)).toEqual([start, addDays(start, 7), addDays(start, 14)]);
    const windowed = await as(t.client).GET('/api/v1/clients/{clientId}/plans/{planId}/occurrences', {
      params: { path: { clientId: DEMO.clientId, planId: plan.id }, query: { from: addDays(start, 1), to: addDays(start, 15) } },
    });
    expect(windowed.data!.items.map((o) => o.ruleDate)).toEqual([addDays(start, 7), addDays(start, 14)]);
    const halfWindow = await as(t.client).GET('/api/v1/clients/{clientId}/plans/{planId}/occurrences', {
      params: { path: { clientId: DEMO.clientId, planId: plan.id }, query: { from: start } },
    });
    expect(halfWindow.response.status).toBe(400);

    await generate();
    await generate();
    const opened = await ordersOf(plan.id);
    // Today, in a week and in two weeks are due (20 days ahead); in three weeks is not yet.
    expect(opened.map((o) => o.planOccurrence!.ruleDate)).toEqual([start, addDays(start, 7), addDays(start, 14)]);
    expect(opened.every((o) => o.channel === 'plan' && o.priority === 'P4' && o.status === 'SUBMITTED')).toBe(true);

    // A crash after the order writes and before the cursor write leaves the cursor behind.
    const plans = await getRoot().plans();
    const stored = (await plans.get(DEMO.clientId, plan.id))!;
    expect(stored.value.generatedThrough).toBe(addDays(start, 14));
    const { generatedThrough: _g, ...rewound } = stored.value;
    await plans.save({ ...rewound, nextDueOn: start }, stored.etag);
    await generate();
    expect((await ordersOf(plan.id)).map((o) => o.id)).toEqual(opened.map((o) => o.id));
    expect((await plans.get(DEMO.clientId, plan.id))!.value.generatedThrough).toBe(addDays(start, 14));
  });

  it('a holiday moves an occurrence to the next business day; it keeps its rule date as its identity', async () => {
    const year = Number(today().slice(0, 4));
    const holiday = [...colombianHolidays(year), ...colombianHolidays(year + 1)].find(
      (d) => d > today() && !['SA', 'SU'].includes(weekdayOf(d)),
    )!;
    const daysAhead = Math.round((Date.parse(holiday) - Date.parse(today())) / 86_400_000);
    const plan = await createPlan({
      rrule: `FREQ=WEEKLY;BYDAY=${weekdayOf(holiday)};COUNT=1`,
      startDate: holiday,
      businessDayRule: 'next-business-day',
      leadTimeDays: Math.min(365, daysAhead + 5),
    });
    await generate();
    const [order, ...more] = await ordersOf(plan.id);
    expect(more).toEqual([]);
    expect(order!.planOccurrence!.ruleDate).toBe(holiday);
    expect(order!.planOccurrence!.key).toBe(`${plan.id}@${holiday}`);
    const moved = order!.planOccurrence!.date;
    expect(moved > holiday && isBusinessDay(moved, DEFAULT_CALENDAR)).toBe(true);
    // COUNT=1: its one order is open, so the plan has ended by itself (docs/plans.md, "Statuses").
    const read = await as(t.client).GET('/api/v1/clients/{clientId}/plans/{planId}', {
      params: { path: { clientId: DEMO.clientId, planId: plan.id } },
    });
    expect(read.response.status).toBe(200);
    expect(read.data).toMatchObject({ status: 'ended' });
    expect(read.data!.nextDueOn).toBeUndefined();
  });

  it('a plan’s checklist: complete is refused while an item is open; a failed item needs its photo and opens a follow-up', async () => {
    const act = orderActions(as);
    const refused = refusedActions(as);
    const plan = await createPlan({
      checklist: [
        { id: 'filtros', label: 'Filtros limpios' },
        { id: 'drenaje', label: 'Drenaje libre' },
      ],
      rrule: `FREQ=WEEKLY;BYDAY=${weekdayOf(today())};COUNT=1`,
      preApproved: { nte: { amount: 450_000_00, currency: 'COP' }, providerId: DEMO.providerIds[0] },
    });
    await generate();
    const [order] = await ordersOf(plan.id);
    // Pre-approved with an eligible provider: straight to the contract.
    expect(order).toMatchObject({
      status: 'CONTRACTING',
      providerId: DEMO.providerIds[0],
      approvedAmount: { amount: 450_000_00 },
    });
    const orderId = order!.id;
    await contractSigned(await lifecycleDeps(), { correlationId: 'plans-e2e' }, DEMO.clientId, orderId, `env-${orderId}`);
    await act(orderId, 'schedule', t.provider, { visitAt: new Date(Date.now() + 3_600_000).toISOString() });
    await act(orderId, 'check-in', t.provider);
    const evidence = await storedAttachment(as, t.provider, orderId, { kind: 'evidence' });

    const open = await refused(orderId, 'complete', t.provider, 422, { report: 'Listo', attachmentIds: [evidence] });
    expect(JSON.stringify(open)).toContain('item filtros');
    const noPhoto = await refused(orderId, 'answer-checklist', t.provider, 422, {
      answers: [{ itemId: 'drenaje', result: 'failed', note: 'Obstruido' }],
    });
    expect(JSON.stringify(noPhoto)).toContain('answers.0.attachmentId');

    const answered = await act(orderId, 'answer-checklist', t.provider, {
      answers: [
        { itemId: 'filtros', result: 'done' },
        { itemId: 'drenaje', result: 'failed', note: 'Obstruido', attachmentId: evidence },
      ],
    });
    expect(answered.status).toBe('IN_PROGRESS');
    expect(answered.checklist?.map((i) => i.answer?.result)).toEqual(['done', 'failed']);
    const done = await act(orderId, 'complete', t.provider, { report: 'Listo', attachmentIds: [evidence] });
    expect(done.status).toBe('WORK_COMPLETED');

    // The failed item's evidence opens one corrective order, linked both ways; a done item opens none.
    const followUp = (itemId: string, token = t.operator) =>
      as(token).POST('/api/v1/orders/{orderId}/checklist/{itemId}/follow-up', { params: { path: { orderId, itemId } } });
    const opened = await followUp('drenaje');
    expect(opened.response.status).toBe(201);
    expect(opened.data).toMatchObject({ status: 'SUBMITTED', followUpOf: { orderId, checklistItemId: 'drenaje' } });
    expect(opened.data!.description).toContain(evidence);
    const again = await followUp('drenaje');
    expect(again.response.status).toBe(200);
    expect(again.data!.id).toBe(opened.data!.id);
    expect((await followUp('filtros')).response.status).toBe(409);
    expect((await followUp('drenaje', t.client)).response.status).toBe(403);
    const original = await as(t.operator).GET('/api/v1/orders/{orderId}', { params: { path: { orderId } } });
    expect(original.data!.followUps).toEqual([{ orderId: opened.data!.id, checklistItemId: 'drenaje' }]);
  });

  it('providers manage no plans; another client sees none of this client’s', async () => {
    const plan = await createPlan({ startDate: '2099-01-05' });
    const byProvider = await as(t.provider).GET('/api/v1/clients/{clientId}/plans', {
      params: { path: { clientId: DEMO.clientId } },
    });
    expect(byProvider.response.status).toBe(403);
    const list = await as(t.client).GET('/api/v1/clients/{clientId}/plans', { params: { path: { clientId: DEMO.clientId } } });
    expect(list.data!.items.map((p) => p.id)).toContain(plan.id);
  });
});
