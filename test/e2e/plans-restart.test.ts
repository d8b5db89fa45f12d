import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAlgestaClient } from '../../client';
import { DEMO } from '../../local/seed';
import { DEFAULT_CALENDAR } from '../../shared/domain/orders/business-calendar';
import { addDays, localToday } from '../../shared/domain/plans/occurrences';
import { children, kill, startHost } from '../support/host-process';
import { eventually } from '../support/stack';

/**
 * The demo plan through the real `npm start` entry (docs/plans.md): the host seeds it and its plan
 * timer runs at start-up, opening the orders due (one per week). The host is killed and started
 * again on the same data after an edit that makes one more week due: the second host's start-up
 * run opens exactly that one, and none of the first host's again.
 */
let dataDir: string;
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) await kill(c);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

type Api = ReturnType<typeof createAlgestaClient>;

async function planOrders(api: Api) {
  const { data } = await api.GET('/api/v1/orders', { params: { query: { limit: 100 } } });
  return (data?.items ?? [])
    .filter((o) => o.planOccurrence?.planId === DEMO.planId)
    .sort((a, b) => a.planOccurrence!.ruleDate.localeCompare(b.planOccurrence!.ruleDate));
}

async function plan(api: Api) {
  const { data } = await api.GET('/api/v1/clients/{clientId}/plans/{planId}', {
    params: { path: { clientId: DEMO.clientId, planId: DEMO.planId } },
  });
  return data!;
}

/** Waits until the plan's cursor has moved past everything due: its next order is due after today. */
async function settled(api: Api) {
  return eventually(async () => {
    const p = await plan(api);
    return p.nextDueOn && p.nextDueOn > localToday(new Date().toISOString(), DEFAULT_CALENDAR) ? p : undefined;
  }, 60_000);
}

describe('the demo plan across a restart', () => {
  it('one order per week: the first host opens the due weeks, the restarted one only the week an edit made due', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'algesta-plans-'));
    const first = await startHost(dataDir, { DEMO_PLAN: 'active' });
    const api1 = createAlgestaClient({ baseUrl: first.url, token: first.tokens.client });
    const before = await settled(api1);
    const opened = await planOrders(api1);
    const start = before.startDate;
    expect(opened.length).toBeGreaterThanOrEqual(1);
    expect(opened.map((o) => o.planOccurrence!.ruleDate)).toEqual(opened.map((_, i) => addDays(start, 7 * i)));
    expect(opened.every((o) => o.channel === 'plan' && o.priority === 'P4')).toBe(true);

    // Three weeks ahead instead of one: the next week becomes due, for the next run to open.
    const {
      id: _id,
      clientId: _c,
      status: _s,
      createdBy: _b,
      createdAt: _a,
      updatedAt: _u,
      version: _v,
      effectiveFrom: _e,
      generatedThrough: _g,
      nextDueOn: _n,
      ...definition
    } = before;
    const edited = await api1.PUT('/api/v1/clients/{clientId}/plans/{planId}', {
      params: { path: { clientId: DEMO.clientId, planId: DEMO.planId } },
      body: { ...definition, leadTimeDays: definition.leadTimeDays + 14 },
    });
    expect(edited.response.status).toBe(200);
    await kill(first.child);

    const second = await startHost(dataDir, { DEMO_PLAN: 'active' });
    const api2 = createAlgestaClient({ baseUrl: second.url, token: second.tokens.client });
    await eventually(async () => ((await planOrders(api2)).length > opened.length ? true : undefined), 60_000);
    await settled(api2);
    const after = await planOrders(api2);
    expect(after.map((o) => o.planOccurrence!.ruleDate)).toEqual(after.map((_, i) => addDays(start, 7 * i)));
    expect(after.slice(0, opened.length).map((o) => o.id)).toEqual(opened.map((o) => o.id));
    expect(new Set(after.map((o) => o.planOccurrence!.key)).size).toBe(after.length);
    await kill(second.child);
  });
});
