import { createHash } from 'node:crypto';
import { decide, type Actor } from '../../domain/orders/lifecycle';
import { newChecklist } from '../../domain/orders/checklist';
import { submitOrder, type Order, type OrderDecision } from '../../domain/orders/order';
import { slaContextOf, DEFAULT_SLA_CONTEXT, type SlaContext } from '../../domain/orders/sla-lifecycle';
import { ineligibilityReasons } from '../../domain/providers/eligibility';
import { dueOccurrences, localToday, scheduled, type Occurrence } from '../../domain/plans/occurrences';
import type { Plan } from '../../domain/plans/plan';
import { makeOrderId } from '../../domain/shared/ids';
import type { EventDraft } from '../../domain/shared/events';
import type { ProviderStatus } from '../../domain/providers/vocabulary';
import { toEvents } from '../context';
import { ConflictError, PreconditionFailedError } from '../errors';
import type { SystemCall } from '../orders/lifecycle';
import { ORDERS_SOURCE } from '../orders/orders';
import type { AppLogger, ClientRepository, Clock, IdGenerator, OrderRepository, ProviderRepository } from '../ports';
import { ulidOfBits } from '../ulid';
import type { PlanRepository } from './ports';

/**
 * The plan timer (docs/plans.md, "Exactly one order per occurrence"): each due occurrence's order
 * is created with an id derived from (plan, occurrence key) and create-only semantics, then the
 * plan's cursor moves past it. A run that crashes between the two, or runs twice, or races another
 * run, re-creates the same id and is refused as a duplicate: the order exists once. The cursor only
 * saves work; the id is what makes it exactly once.
 */
export interface PlanGenerationDeps {
  readonly plans: PlanRepository;
  readonly orders: OrderRepository;
  readonly clients: ClientRepository;
  readonly providers: Pick<ProviderRepository, 'get'>;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly logger?: AppLogger;
}

/** The system acts for a plan: it opens, triages and assigns (lifecycle roles `system`). */
const SYSTEM: Actor = { userId: 'system', role: 'system' };
/** At most this many orders per plan per run; the next run continues from the cursor. */
const PER_PLAN = 20;
const PLANS_PER_RUN = 100;

/** The order id of an occurrence: the same on every run, so a second create of it is refused. */
export function occurrenceOrderId(clientId: string, occurrenceKey: string, ruleDate: string): string {
  const bits = BigInt(
    `0x${createHash('sha256').update(`plan-occurrence#${occurrenceKey}`, 'utf8').digest().subarray(0, 10).toString('hex')}`,
  );
  // The ULID's time is the rule date's, so a plan's orders sort by occurrence.
  return makeOrderId(clientId, ulidOfBits(Date.parse(`${ruleDate}T00:00:00.000Z`), bits));
}

/** Where an occurrence's order goes: to its pre-approved provider (with the status read), or to triage. */
interface Route {
  readonly assignTo?: { readonly providerId: string; readonly status: ProviderStatus };
  readonly ineligible?: { readonly providerId: string; readonly reasons: readonly string[] };
}

/** The decision that opens one occurrence's order: submitted, and routed when it can be. */
function openDecision(plan: Plan, occ: Occurrence, now: string, sla: SlaContext, route: Route): OrderDecision {
  const submitted = submitOrder(
    {
      id: occurrenceOrderId(plan.clientId, occ.key, occ.ruleDate),
      clientId: plan.clientId,
      siteId: plan.siteId,
      ...(plan.assetCode ? { assetCode: plan.assetCode } : {}),
      category: plan.category,
      priority: 'P4',
      title: plan.title,
      description: `${plan.description}\n\n(${occ.date})`,
      requester: plan.createdBy,
      channel: 'plan',
      planOccurrence: { planId: plan.id, key: occ.key, ruleDate: occ.ruleDate, date: occ.date },
      ...(plan.checklist.length ? { checklist: newChecklist(plan.checklist) } : {}),
    },
    SYSTEM,
    now,
    sla,
  );
  const history = [...submitted.history];
  const events: EventDraft[] = [...submitted.events];
  let order: Order = submitted.order;
  if (route.assignTo && plan.preApproved) {
    // Straight to assignment: triaged and assigned by the system in the same write as the creation.
    const triaged = decide(order, 'triage', SYSTEM, {}, now, sla);
    order = triaged.order;
    history.push(...triaged.history);
    events.push(...triaged.events);
    const assigned = decide(
      order,
      'assign',
      SYSTEM,
      { providerId: route.assignTo.providerId, amount: plan.preApproved.nte, providerStatus: route.assignTo.status },
      now,
      sla,
    );
    order = assigned.order;
    history.push(...assigned.history);
    events.push(...assigned.events);
  }
  if (route.ineligible) {
    events.push({
      type: 'plan.provider-ineligible',
      subject: order.id,
      dataVersion: 1,
      data: {
        planId: plan.id,
        orderId: order.id,
        clientId: plan.clientId,
        providerId: route.ineligible.providerId,
        reason: route.ineligible.reasons.join('; '),
      },
    });
  }
  return { order, history, events };
}

/** Where the occurrence's order goes: to the pre-approved provider when it is eligible on the date. */
async function routeOf(deps: PlanGenerationDeps, plan: Plan, occ: Occurrence): Promise<Route> {
  if (!plan.preApproved) return {};
  const providerId = plan.preApproved.providerId;
  const [provider, site] = await Promise.all([deps.providers.get(providerId), deps.clients.getSite(plan.clientId, plan.siteId)]);
  const reasons = !provider
    ? ['no such provider']
    : !site
      ? ['the plan’s site no longer exists']
      : ineligibilityReasons(provider.value, { category: plan.category, city: site.value.city, visitDate: occ.date });
  return reasons.length || !provider
    ? { ineligible: { providerId, reasons } }
    : { assignTo: { providerId, status: provider.value.status } };
}

/** Opens one occurrence's order; false when it already exists (an earlier run made it). */
async function openOccurrence(
  deps: PlanGenerationDeps,
  call: SystemCall,
  plan: Plan,
  occ: Occurrence,
  sla: SlaContext,
): Promise<boolean> {
  const id = occurrenceOrderId(plan.clientId, occ.key, occ.ruleDate);
  if (await deps.orders.get(plan.clientId, id)) return false;
  const decision = openDecision(plan, occ, deps.clock.now().toISOString(), sla, await routeOf(deps, plan, occ));
  try {
    await deps.orders.create(decision.order, decision.history, toEvents(decision.events, ORDERS_SOURCE, call, deps));
    return true;
  } catch (err) {
    // Another run (or a retry of this one) created it between the read and the write: same order.
    if (err instanceof ConflictError) return false;
    throw err;
  }
}

/**
 * Opens every due occurrence of one plan, in order, moving the cursor after each order exists.
 * A concurrent change of the plan (an edit, a pause) makes the cursor write fail on its ETag: the
 * plan is read again and the run continues with what it now says.
 */
export async function generatePlan(
  deps: PlanGenerationDeps,
  call: SystemCall,
  clientId: string,
  planId: string,
): Promise<number> {
  const client = await deps.clients.get(clientId);
  const sla = client ? slaContextOf(client.value) : DEFAULT_SLA_CONTEXT;
  let opened = 0;
  for (let attempt = 0; attempt < 3; attempt++) {
    let stored = await deps.plans.get(clientId, planId);
    if (!stored || stored.value.status !== 'active') return opened;
    const today = localToday(deps.clock.now().toISOString(), sla.calendar);
    try {
      for (const occ of dueOccurrences(stored.value, sla.calendar, today, PER_PLAN)) {
        if (await openOccurrence(deps, call, stored.value, occ, sla)) opened++;
        // The cursor past it; after the last occurrence of a rule that ends, the plan ends too.
        const advanced: Plan = { ...stored.value, generatedThrough: occ.ruleDate };
        stored = await deps.plans.save(scheduled(advanced, sla.calendar, today, deps.clock.now().toISOString()), stored.etag);
      }
      return opened;
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
    }
  }
  return opened;
}

/** The timer's run: every plan with an order due (in any zone's today), each generated. */
export async function sweepPlans(deps: PlanGenerationDeps, call: SystemCall): Promise<number> {
  // Due dates are local; the latest "today" on Earth (UTC+14) finds every plan due anywhere.
  const latestToday = new Date(deps.clock.now().getTime() + 14 * 3_600_000).toISOString().slice(0, 10);
  const due = await deps.plans.findDue(latestToday, PLANS_PER_RUN);
  let opened = 0;
  for (const d of due) {
    try {
      opened += await generatePlan(deps, call, d.clientId, d.planId);
    } catch (err) {
      // One plan's failure (its site gone, a storage hiccup) does not stop the others; the next run retries.
      deps.logger?.error('plan generation failed', { planId: d.planId, clientId: d.clientId, error: String(err) });
    }
  }
  return opened;
}
