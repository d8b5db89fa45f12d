import { addBusinessDays, instantMs, isoOf, type BusinessCalendar } from './business-calendar';
import type { Priority } from './vocabulary';

/**
 * SLA clocks of an order (DESIGN 2.1), as pure functions over a small state the order carries.
 * Each priority has three clocks, all started at the order's creation:
 *   acknowledge — until the order is TRIAGED;
 *   onSite      — until the provider checks in;
 *   resolve     — until WORK_COMPLETED.
 * ON_HOLD pauses onSite and resolve (never acknowledge); on resume their due times move later by
 * the paused time. At 75 % of a clock `order.sla-at-risk` is raised, past 100 % `order.sla-breached`,
 * each at most once per clock. See docs/sla.md for the rules and how the workflow uses them.
 */

export const SLA_CLOCKS = ['acknowledge', 'onSite', 'resolve'] as const;
export type SlaClock = (typeof SLA_CLOCKS)[number];

/** The clocks that ON_HOLD pauses. */
export const PAUSABLE_CLOCKS: readonly SlaClock[] = ['onSite', 'resolve'];

/**
 * How long a clock runs. `minutes` is elapsed wall-clock time (24/7); `businessDays` is counted with
 * the client's business calendar (`addBusinessDays`); `scheduledDate` is due at the scheduled visit
 * (plus some business days), unknown until the visit is scheduled.
 */
export type SlaTarget =
  | { readonly minutes: number }
  | { readonly businessDays: number }
  | { readonly scheduledDate: true; readonly plusBusinessDays?: number };

export type SlaTargets = { readonly [C in SlaClock]: SlaTarget };
export type SlaPolicy = { readonly [P in Priority]: SlaTargets };
/** What a client's SLA policy may change: any priority, any clock. */
export type SlaPolicyOverride = { readonly [P in Priority]?: { readonly [C in SlaClock]?: SlaTarget } };

/** The defaults of DESIGN 2.1. */
export const DEFAULT_SLA_POLICY: SlaPolicy = {
  P1: { acknowledge: { minutes: 30 }, onSite: { minutes: 4 * 60 }, resolve: { minutes: 24 * 60 } },
  P2: { acknowledge: { minutes: 2 * 60 }, onSite: { minutes: 8 * 60 }, resolve: { minutes: 48 * 60 } },
  P3: { acknowledge: { businessDays: 1 }, onSite: { minutes: 48 * 60 }, resolve: { businessDays: 5 } },
  P4: {
    acknowledge: { businessDays: 2 },
    onSite: { scheduledDate: true },
    resolve: { scheduledDate: true, plusBusinessDays: 1 },
  },
};

export class SlaPolicyError extends RangeError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'SlaPolicyError';
  }
}

const PRIORITY_KEYS = Object.keys(DEFAULT_SLA_POLICY) as Priority[];

function checkTarget(target: unknown, field: string, clock: SlaClock): SlaTarget {
  if (typeof target !== 'object' || target === null) throw new SlaPolicyError(field, 'must be an object');
  const t = target as Record<string, unknown>;
  const keys = Object.keys(t).sort().join(',');
  const isCount = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min;
  if (keys === 'minutes') {
    if (typeof t.minutes !== 'number' || !Number.isFinite(t.minutes) || t.minutes <= 0) {
      throw new SlaPolicyError(`${field}.minutes`, 'must be a positive number');
    }
    return { minutes: t.minutes };
  }
  if (keys === 'businessDays') {
    if (!isCount(t.businessDays, 1)) throw new SlaPolicyError(`${field}.businessDays`, 'must be a positive integer');
    return { businessDays: t.businessDays as number };
  }
  if (keys === 'scheduledDate' || keys === 'plusBusinessDays,scheduledDate') {
    if (t.scheduledDate !== true) throw new SlaPolicyError(`${field}.scheduledDate`, 'must be true');
    if (clock === 'acknowledge') throw new SlaPolicyError(field, 'acknowledgement cannot wait for the scheduled visit');
    if (t.plusBusinessDays === undefined) return { scheduledDate: true };
    if (!isCount(t.plusBusinessDays, 0)) throw new SlaPolicyError(`${field}.plusBusinessDays`, 'must be a non-negative integer');
    return { scheduledDate: true, plusBusinessDays: t.plusBusinessDays as number };
  }
  throw new SlaPolicyError(
    field,
    'must be exactly one of { minutes }, { businessDays }, { scheduledDate: true, plusBusinessDays? }',
  );
}

/**
 * The client's policy: `base` (normally DEFAULT_SLA_POLICY) with the override's clocks replacing
 * the base's one by one. Validates everything and refuses unknown priorities or clocks (a typo in a
 * client's configuration must not silently fall back to the default). Returns a new object.
 */
export function mergePolicy(base: SlaPolicy, override: SlaPolicyOverride = {}): SlaPolicy {
  for (const p of Object.keys(override)) {
    if (!PRIORITY_KEYS.includes(p as Priority)) throw new SlaPolicyError(p, 'unknown priority');
    for (const c of Object.keys(override[p as Priority] ?? {})) {
      if (!(SLA_CLOCKS as readonly string[]).includes(c)) throw new SlaPolicyError(`${p}.${c}`, 'unknown SLA clock');
    }
  }
  const merged = {} as Record<Priority, SlaTargets>;
  for (const p of PRIORITY_KEYS) {
    const row = {} as Record<SlaClock, SlaTarget>;
    for (const c of SLA_CLOCKS) row[c] = checkTarget(override[p]?.[c] ?? base[p]?.[c], `${p}.${c}`, c);
    merged[p] = row;
  }
  return merged;
}

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

export interface SlaClockState {
  readonly startedAt: string;
  /** Undefined while unknown (a scheduled-date clock before the visit is scheduled). Includes paused time. */
  readonly dueAt?: string;
  /** Time spent paused so far (closed pauses only). */
  readonly pausedMs: number;
  /** Set while paused (ON_HOLD). */
  readonly pausedSince?: string;
  /** Set once the clock's goal was reached (or the order ended): met if `stoppedAt <= dueAt`. */
  readonly stoppedAt?: string;
  readonly atRiskRaised: boolean;
  readonly breachedRaised: boolean;
}

/** What an order carries about its SLA. Plain JSON: store it on the order document. */
export interface SlaState {
  readonly priority: Priority;
  /** When the clocks started (the order's creation). */
  readonly startedAt: string;
  /** The scheduled visit, once known (`onScheduled`). */
  readonly visitAt?: string;
  /** The policy's targets each clock is measured against (kept so that scheduling needs no policy). */
  readonly targets: SlaTargets;
  readonly clocks: { readonly [C in SlaClock]: SlaClockState };
  /** Last `reprioritize`. */
  readonly priorityChangedAt?: string;
}

export type SlaEventType = 'order.sla-at-risk' | 'order.sla-breached';
export interface SlaEvent {
  readonly type: SlaEventType;
  readonly clock: SlaClock;
  readonly dueAt: string;
}

export const SLA_STATUSES = ['on-track', 'at-risk', 'breached', 'met'] as const;
export type SlaStatus = (typeof SLA_STATUSES)[number];

const MINUTE_MS = 60_000;

/** Due time without pauses, or undefined when it depends on a visit not yet scheduled. */
function baseDueMs(target: SlaTarget, startedAt: string, visitAt: string | undefined, cal: BusinessCalendar): number | undefined {
  if ('minutes' in target) return instantMs(startedAt) + Math.round(target.minutes * MINUTE_MS);
  if ('businessDays' in target) return instantMs(addBusinessDays(startedAt, target.businessDays, cal));
  if (visitAt === undefined) return undefined;
  return target.plusBusinessDays ? instantMs(addBusinessDays(visitAt, target.plusBusinessDays, cal)) : instantMs(visitAt);
}

function withDue(clock: SlaClockState, due: number | undefined): SlaClockState {
  const { dueAt: _old, ...rest } = clock;
  return due === undefined ? rest : { ...rest, dueAt: isoOf(due + clock.pausedMs) };
}

function mapClocks(state: SlaState, f: (clock: SlaClockState, name: SlaClock) => SlaClockState): SlaState['clocks'] {
  return {
    acknowledge: f(state.clocks.acknowledge, 'acknowledge'),
    onSite: f(state.clocks.onSite, 'onSite'),
    resolve: f(state.clocks.resolve, 'resolve'),
  };
}

function targetsOf(policy: SlaPolicy, priority: Priority): SlaTargets {
  const targets = policy[priority];
  if (!targets) throw new SlaPolicyError(String(priority), 'unknown priority');
  return targets;
}

/** The clocks of a new order: all three start at `createdAt`; scheduled-date clocks have no due time yet. */
export function startSla(priority: Priority, createdAt: string, policy: SlaPolicy, calendar: BusinessCalendar): SlaState {
  const startedAt = isoOf(instantMs(createdAt));
  const targets = targetsOf(policy, priority);
  const fresh: SlaClockState = { startedAt, pausedMs: 0, atRiskRaised: false, breachedRaised: false };
  const clock = (c: SlaClock) => withDue(fresh, baseDueMs(targets[c], startedAt, undefined, calendar));
  return {
    priority,
    startedAt,
    targets,
    clocks: { acknowledge: clock('acknowledge'), onSite: clock('onSite'), resolve: clock('resolve') },
  };
}

/**
 * The visit was scheduled (or rescheduled): sets the due times of scheduled-date clocks (P4's
 * on-site and resolve by default) that are still running, plus any time already paused. Other
 * clocks keep theirs. Takes the client's calendar for the `plusBusinessDays` part.
 */
export function onScheduled(state: SlaState, visitAt: string, calendar: BusinessCalendar): SlaState {
  const visit = isoOf(instantMs(visitAt));
  return {
    ...state,
    visitAt: visit,
    clocks: mapClocks(state, (clock, name) => {
      const target = state.targets[name];
      if (clock.stoppedAt !== undefined || !('scheduledDate' in target)) return clock;
      return withDue(clock, baseDueMs(target, clock.startedAt, visit, calendar));
    }),
  };
}

/** ON_HOLD: pauses the running onSite and resolve clocks. Pausing a paused or stopped clock changes nothing. */
export function pause(state: SlaState, at: string): SlaState {
  const since = isoOf(instantMs(at));
  return {
    ...state,
    clocks: mapClocks(state, (clock, name) =>
      PAUSABLE_CLOCKS.includes(name) && clock.stoppedAt === undefined && clock.pausedSince === undefined
        ? { ...clock, pausedSince: since }
        : clock,
    ),
  };
}

function resumeClock(clock: SlaClockState, atMs: number): SlaClockState {
  if (clock.pausedSince === undefined) return clock;
  const paused = atMs - instantMs(clock.pausedSince);
  if (paused < 0) throw new RangeError(`cannot resume at ${isoOf(atMs)}, before the pause at ${clock.pausedSince}`);
  const { pausedSince: _since, ...rest } = clock;
  return {
    ...rest,
    pausedMs: clock.pausedMs + paused,
    ...(clock.dueAt !== undefined ? { dueAt: isoOf(instantMs(clock.dueAt) + paused) } : {}),
  };
}

/** Back from ON_HOLD: every paused clock adds the paused time to `pausedMs` and to its due time. */
export function resume(state: SlaState, at: string): SlaState {
  const atMs = instantMs(at);
  return { ...state, clocks: mapClocks(state, (clock) => resumeClock(clock, atMs)) };
}

/**
 * A clock reached its goal (TRIAGED, check-in, WORK_COMPLETED) or the order ended. A paused clock is
 * resumed at `at` first; stopping a stopped clock keeps the first stop.
 */
export function stop(state: SlaState, clock: SlaClock, at: string): SlaState {
  const current = state.clocks[clock];
  if (current.stoppedAt !== undefined) return state;
  const atMs = instantMs(at);
  return { ...state, clocks: { ...state.clocks, [clock]: { ...resumeClock(current, atMs), stoppedAt: isoOf(atMs) } } };
}

/**
 * Recomputes, from the clocks' original start, the due times of the clocks not yet stopped for a
 * new priority (triage may change it); paused time already accumulated still counts. Stopped clocks
 * keep their due time and target. Events already raised stay raised: each is raised at most once
 * per clock over the order's life.
 */
export function reprioritize(
  state: SlaState,
  priority: Priority,
  policy: SlaPolicy,
  calendar: BusinessCalendar,
  at: string,
): SlaState {
  const changedAt = isoOf(instantMs(at));
  const next = targetsOf(policy, priority);
  const running = (c: SlaClock) => state.clocks[c].stoppedAt === undefined;
  const targets: SlaTargets = {
    acknowledge: running('acknowledge') ? next.acknowledge : state.targets.acknowledge,
    onSite: running('onSite') ? next.onSite : state.targets.onSite,
    resolve: running('resolve') ? next.resolve : state.targets.resolve,
  };
  return {
    ...state,
    priority,
    targets,
    priorityChangedAt: changedAt,
    clocks: mapClocks(state, (clock, name) =>
      running(name) ? withDue(clock, baseDueMs(targets[name], clock.startedAt, state.visitAt, calendar)) : clock,
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

/** Elapsed and total running time of a clock measured at `atMs` (pauses excluded). */
function progress(clock: SlaClockState, dueMs: number, atMs: number): { elapsed: number; total: number } {
  const start = instantMs(clock.startedAt) + clock.pausedMs;
  const effective = clock.pausedSince !== undefined ? Math.min(atMs, instantMs(clock.pausedSince)) : atMs;
  return { elapsed: effective - start, total: dueMs - start };
}

/** 75 %: compared in integers, `elapsed / total >= 3/4`. */
const atRisk = (p: { elapsed: number; total: number }) => 4 * p.elapsed >= 3 * p.total;
/** Past 100 %: strictly after the due time (a clock stopped exactly at its due time is met). */
const breached = (p: { elapsed: number; total: number }) => p.elapsed > p.total;

/**
 * The events due at `now`, and the state with them marked as raised. Idempotent: evaluating the
 * returned state again at the same or an earlier time raises nothing. Per clock:
 * - stopped, paused, or without a due time: nothing;
 * - past its due time: `order.sla-breached` once; at-risk is then marked raised without being
 *   raised (a late evaluation reports the breach only);
 * - at 75 % or more: `order.sla-at-risk` once.
 */
export function evaluate(state: SlaState, now: string): { state: SlaState; events: SlaEvent[] } {
  const nowMs = instantMs(now);
  const events: SlaEvent[] = [];
  const clocks = mapClocks(state, (clock, name) => {
    if (clock.stoppedAt !== undefined || clock.dueAt === undefined || clock.pausedSince !== undefined) return clock;
    const p = progress(clock, instantMs(clock.dueAt), nowMs);
    if (breached(p)) {
      if (clock.breachedRaised) return clock;
      events.push({ type: 'order.sla-breached', clock: name, dueAt: clock.dueAt });
      return { ...clock, atRiskRaised: true, breachedRaised: true };
    }
    if (atRisk(p) && !clock.atRiskRaised) {
      events.push({ type: 'order.sla-at-risk', clock: name, dueAt: clock.dueAt });
      return { ...clock, atRiskRaised: true };
    }
    return clock;
  });
  return { state: events.length ? { ...state, clocks } : state, events };
}

export interface SlaCheck {
  readonly clock: SlaClock;
  readonly type: SlaEventType;
  /** The first instant at which `evaluate` raises this event (may be in the past if a check was missed). */
  readonly at: string;
}

/**
 * When to evaluate next: for each running, unpaused clock with a due time, the 75 % mark (if
 * at-risk is not raised yet) and the breach mark, `dueAt` + 1 ms (if breached is not raised yet),
 * sorted by time. A paused clock has none until it resumes; the workflow schedules a check message
 * at each time (past ones: now) after every change of the state.
 */
export function nextCheckTimes(state: SlaState): SlaCheck[] {
  const checks: SlaCheck[] = [];
  for (const name of SLA_CLOCKS) {
    const clock = state.clocks[name];
    if (clock.stoppedAt !== undefined || clock.dueAt === undefined || clock.pausedSince !== undefined) continue;
    const dueMs = instantMs(clock.dueAt);
    const start = instantMs(clock.startedAt) + clock.pausedMs;
    if (!clock.atRiskRaised)
      checks.push({ clock: name, type: 'order.sla-at-risk', at: isoOf(start + Math.ceil((3 * (dueMs - start)) / 4)) });
    if (!clock.breachedRaised) checks.push({ clock: name, type: 'order.sla-breached', at: isoOf(dueMs + 1) });
  }
  return checks.sort((a, b) => instantMs(a.at) - instantMs(b.at));
}

/**
 * The status of one clock at `now`, computed from its times (not from the raised flags):
 * stopped → 'met' if stopped by its due time (or it never had one), else 'breached'; running or
 * paused → 'breached' past its due time, 'at-risk' from 75 %, else 'on-track' (also while the due
 * time is unknown). A paused clock is judged where its pause froze it.
 */
export function clockStatus(clock: SlaClockState, now: string): SlaStatus {
  if (clock.stoppedAt !== undefined) {
    return clock.dueAt === undefined || instantMs(clock.stoppedAt) <= instantMs(clock.dueAt) ? 'met' : 'breached';
  }
  if (clock.dueAt === undefined) return 'on-track';
  const p = progress(clock, instantMs(clock.dueAt), instantMs(now));
  return breached(p) ? 'breached' : atRisk(p) ? 'at-risk' : 'on-track';
}

/** The order's status for listings: the worst of its clocks; 'met' only when all three are met. */
export function slaStatus(state: SlaState, now: string): SlaStatus {
  const all = SLA_CLOCKS.map((c) => clockStatus(state.clocks[c], now));
  if (all.includes('breached')) return 'breached';
  if (all.includes('at-risk')) return 'at-risk';
  return all.every((s) => s === 'met') ? 'met' : 'on-track';
}

/** The due times to denormalise onto the order for dashboards (absent while unknown). */
export function slaDueTimes(state: SlaState): { readonly [C in SlaClock]?: string } {
  const out: { [C in SlaClock]?: string } = {};
  for (const c of SLA_CLOCKS) if (state.clocks[c].dueAt !== undefined) out[c] = state.clocks[c].dueAt;
  return out;
}
