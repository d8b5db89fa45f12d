import { isStaff } from '../../domain/access/principal';
import { slaContextOf } from '../../domain/orders/sla-lifecycle';
import { DEFAULT_CALENDAR, type BusinessCalendar } from '../../domain/orders/business-calendar';
import {
  hasRunOut,
  localToday,
  planOccurrences,
  scheduled,
  upcomingOccurrences,
  type Occurrence,
} from '../../domain/plans/occurrences';
import {
  definitionProblems,
  editPlan,
  movePlan,
  normalizeDefinition,
  PlanRuleError,
  type Plan,
  type PlanAction,
  type PlanDefinition,
} from '../../domain/plans/plan';
import { makeId } from '../../domain/shared/ids';
import type { CallContext } from '../context';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, PreconditionFailedError } from '../errors';
import { createOnce, newUlid, replayed, type Created } from '../idempotency';
import type { ClientRepository, Clock, IdGenerator, Page, PageRequest, ProviderRepository, Versioned } from '../ports';
import type { PlanRepository } from './ports';

/**
 * Maintenance plans (issue 18, docs/plans.md): a client user manages its own client's plans, staff
 * any client's; providers none. A plan outside the caller's scope is "not found". The rules are the
 * domain's (domain/plans); this module reads, checks the references and writes.
 */
export interface PlanDeps {
  readonly plans: PlanRepository;
  readonly clients: ClientRepository;
  readonly providers: Pick<ProviderRepository, 'get'>;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

export interface CreatePlanInput extends PlanDefinition {
  /** Required for staff; a client user's own client otherwise. */
  readonly clientId?: string;
}

function scopeClient(call: CallContext, clientId: string | undefined): string {
  const p = call.principal;
  if (p.role === 'provider') throw new ForbiddenError('providers do not manage plans');
  if (p.role === 'client') {
    if (clientId && clientId !== p.clientId) throw new NotFoundError('client not found');
    return p.clientId as string;
  }
  if (!isStaff(p)) throw new ForbiddenError('not allowed');
  if (!clientId) throw new InvalidInputError('clientId is required', [{ field: 'clientId', message: 'required for staff' }]);
  return clientId;
}

/** The client's business calendar (its zone and holidays); the Colombian default without one. */
export async function calendarOf(deps: Pick<PlanDeps, 'clients'>, clientId: string): Promise<BusinessCalendar> {
  const client = await deps.clients.get(clientId);
  return client ? slaContextOf(client.value).calendar : DEFAULT_CALENDAR;
}

function translate(err: unknown): never {
  if (!(err instanceof PlanRuleError)) throw err;
  if (err.kind === 'invalid') throw new InvalidInputError(err.message, err.fieldErrors);
  throw new ConflictError(err.message);
}

/** The references of a definition: the site belongs to the client, the preferred provider exists. */
async function checkReferences(deps: PlanDeps, clientId: string, d: PlanDefinition): Promise<void> {
  const problems = [...definitionProblems(d)];
  const [site, provider] = await Promise.all([
    deps.clients.getSite(clientId, d.siteId),
    d.preApproved ? deps.providers.get(d.preApproved.providerId) : undefined,
  ]);
  if (!site) problems.push({ field: 'siteId', message: 'no such site for this client' });
  if (d.preApproved && !provider) problems.push({ field: 'preApproved.providerId', message: 'no such provider' });
  if (problems.length) throw new InvalidInputError('invalid plan', problems);
}

function withNextDue(plan: Plan, cal: BusinessCalendar, now: string): Plan {
  return scheduled(plan, cal, localToday(now, cal), now);
}

export async function createPlan(deps: PlanDeps, call: CallContext, input: CreatePlanInput): Promise<Created<Plan>> {
  const clientId = scopeClient(call, input.clientId);
  const { clientId: _c, ...definition } = input;
  await checkReferences(deps, clientId, definition);
  const now = deps.clock.now().toISOString();
  const cal = await calendarOf(deps, clientId);
  const today = localToday(now, cal);
  const p = call.principal;
  const draft: Plan = {
    ...normalizeDefinition(definition),
    id: makeId('plan', newUlid(call, deps.ids)),
    clientId,
    status: 'active',
    createdBy: { userId: p.userId, name: p.name ?? p.userId, ...(p.email ? { email: p.email } : {}) },
    createdAt: now,
    updatedAt: now,
    version: 1,
    // No order is opened for a date before the plan existed: a past start date anchors the rule only.
    effectiveFrom: definition.startDate > today ? definition.startDate : today,
  };
  // A plan that would open nothing (its COUNT or UNTIL ends before today) is a mistake in the rule,
  // not a plan: refused, rather than created already ended. (A retry of a create that succeeded
  // answers that plan, whatever day it comes.)
  if (hasRunOut(draft, cal)) {
    const earlier = call.idempotency ? await deps.plans.get(clientId, draft.id) : undefined;
    if (earlier) return replayed(earlier);
    throw new InvalidInputError('invalid plan', [
      { field: 'rrule', message: `the rule has no occurrence on or after ${draft.effectiveFrom}` },
    ]);
  }
  const plan = withNextDue(draft, cal, now);
  return createOnce(
    call,
    () => deps.plans.create(plan),
    () => deps.plans.get(clientId, plan.id),
  );
}

export async function getPlan(
  deps: Pick<PlanDeps, 'plans'>,
  call: CallContext,
  clientId: string,
  planId: string,
): Promise<Versioned<Plan>> {
  const p = call.principal;
  if (p.role === 'provider') throw new ForbiddenError('providers do not manage plans');
  if (p.role === 'client' && p.clientId !== clientId) throw new NotFoundError('plan not found');
  const found = await deps.plans.get(clientId, planId);
  if (!found) throw new NotFoundError('plan not found');
  return found;
}

export async function listPlans(
  deps: Pick<PlanDeps, 'plans'>,
  call: CallContext,
  clientId: string,
  page: PageRequest,
): Promise<Page<Plan>> {
  const p = call.principal;
  if (p.role === 'provider') throw new ForbiddenError('providers do not manage plans');
  if (p.role === 'client' && p.clientId !== clientId) throw new NotFoundError('client not found');
  return deps.plans.listForClient(clientId, page);
}

async function change(
  deps: PlanDeps,
  call: CallContext,
  clientId: string,
  planId: string,
  ifMatch: string | undefined,
  decide: (plan: Plan, today: string, now: string) => Promise<Plan> | Plan,
): Promise<Versioned<Plan>> {
  const current = await getPlan(deps, call, clientId, planId);
  if (ifMatch && ifMatch !== current.etag) throw new PreconditionFailedError('the plan has changed; read it again');
  const cal = await calendarOf(deps, clientId);
  const now = deps.clock.now().toISOString();
  let next: Plan;
  try {
    next = await decide(current.value, localToday(now, cal), now);
  } catch (err) {
    return translate(err);
  }
  return deps.plans.save(withNextDue(next, cal, now), current.etag);
}

/** `PUT`: the new definition governs the occurrences not generated yet (docs/plans.md, "Edits"). */
export async function updatePlan(
  deps: PlanDeps,
  call: CallContext,
  clientId: string,
  planId: string,
  definition: PlanDefinition,
  ifMatch?: string,
): Promise<Versioned<Plan>> {
  return change(deps, call, clientId, planId, ifMatch, async (plan, _today, now) => {
    await checkReferences(deps, clientId, definition);
    return editPlan(plan, definition, now);
  });
}

/** `pause`, `resume`, `end`. */
export async function movePlanStatus(
  deps: PlanDeps,
  call: CallContext,
  clientId: string,
  planId: string,
  action: PlanAction,
  ifMatch?: string,
): Promise<Versioned<Plan>> {
  return change(deps, call, clientId, planId, ifMatch, (plan, today, now) => movePlan(plan, action, today, now));
}

/** The next `count` occurrences not opened yet, optionally within a window of rule dates (none for a plan that is not active). */
export async function listUpcoming(
  deps: PlanDeps,
  call: CallContext,
  clientId: string,
  planId: string,
  count: number,
  window?: { readonly from: string; readonly to: string },
): Promise<Occurrence[]> {
  const { value: plan } = await getPlan(deps, call, clientId, planId);
  if (plan.status !== 'active') return [];
  const cal = await calendarOf(deps, clientId);
  if (window) {
    const notOpened = (o: Occurrence) => !plan.generatedThrough || o.ruleDate > plan.generatedThrough;
    return planOccurrences(plan, cal, window).filter(notOpened).slice(0, count);
  }
  return upcomingOccurrences(plan, cal, localToday(deps.clock.now().toISOString(), cal), count);
}
