import type { EventDraft } from '../shared/events';
import { businessCalendar, DEFAULT_CALENDAR, UnsupportedTimeZoneError, type BusinessCalendar } from './business-calendar';
import type { OrderStatus, Priority } from './vocabulary';
import {
  clockStatus,
  DEFAULT_SLA_POLICY,
  evaluate,
  mergePolicy,
  nextCheckTimes,
  onScheduled,
  pause,
  reprioritize,
  resume,
  SLA_CLOCKS,
  slaStatus,
  startSla,
  stop,
  type SlaPolicy,
  type SlaPolicyOverride,
  type SlaState,
  type SlaStatus,
} from './sla';

/**
 * How the order's lifecycle drives its SLA clocks (DESIGN 2.1), and how the clocks are watched:
 * after every change the order stores its clocks, its current SLA status (what `slaState` filters
 * on) and the time of its next check; a check message (`order.sla-check-due`) is scheduled for that
 * time whenever it moves. A check evaluates the clocks and raises `order.sla-at-risk` /
 * `order.sla-breached` at most once per clock (the raised flags live in the clocks).
 */

/** What an order carries about its SLA (plain JSON on the order document). */
export interface OrderSla {
  readonly sla?: SlaState;
  /** The worst clock when last evaluated; `at-risk` and `breached` are what operators list. */
  readonly slaStatus?: SlaStatus;
  /** When the live `order.sla-check-due` message is due; absent when no clock has a mark left. */
  readonly slaNextCheckAt?: string;
}

/** The client's terms: its policy merged over the defaults, and its business calendar. */
export interface SlaContext {
  readonly policy: SlaPolicy;
  readonly calendar: BusinessCalendar;
}

export const DEFAULT_SLA_CONTEXT: SlaContext = { policy: DEFAULT_SLA_POLICY, calendar: DEFAULT_CALENDAR };

/** What a client's settings say about SLAs (see `Client`). */
export interface ClientSlaTerms {
  readonly timeZone?: string;
  readonly slaPolicy?: SlaPolicyOverride;
  readonly businessHours?: { readonly start: string; readonly end: string };
}

/**
 * A client's SLA context. A time zone that business calendars cannot model (one with daylight
 * saving time) falls back to Colombia's calendar, where the clients and their sites are.
 */
export function slaContextOf(terms: ClientSlaTerms): SlaContext {
  const policy = mergePolicy(DEFAULT_SLA_POLICY, terms.slaPolicy ?? {});
  const hours = terms.businessHours ? { businessHours: terms.businessHours } : {};
  try {
    return { policy, calendar: businessCalendar({ ...(terms.timeZone ? { timeZone: terms.timeZone } : {}), ...hours }) };
  } catch (err) {
    if (!(err instanceof UnsupportedTimeZoneError)) throw err;
    return { policy, calendar: businessCalendar(hours) };
  }
}

/** Actions whose effect on the clocks depends on the client's policy or calendar. */
export const SLA_CONTEXT_ACTIONS: readonly string[] = ['triage', 'schedule'];

const ENDED: readonly OrderStatus[] = ['CANCELLED', 'REJECTED', 'CLOSED'];

interface OrderFacts {
  readonly id: string;
  readonly clientId: string;
  readonly status: OrderStatus;
  readonly priority: Priority;
  readonly providerId?: string;
  readonly visitAt?: string;
}

/** The clocks after an accepted action moved the order from `before` to `after`. */
export function moveClocks(
  state: SlaState,
  action: string,
  before: OrderFacts,
  after: OrderFacts,
  at: string,
  context: SlaContext | undefined,
): SlaState {
  const needContext = (): SlaContext => {
    if (!context) throw new Error(`the SLA context is required to ${action} an order`);
    return context;
  };
  let s = state;
  switch (action) {
    case 'triage':
      s = stop(s, 'acknowledge', at);
      if (after.priority !== before.priority)
        s = reprioritize(s, after.priority, needContext().policy, needContext().calendar, at);
      break;
    case 'schedule':
      if (after.visitAt) s = onScheduled(s, after.visitAt, needContext().calendar);
      break;
    case 'check-in':
      s = stop(s, 'onSite', at);
      break;
    case 'hold':
      s = pause(s, at);
      break;
    case 'resume':
      s = resume(s, at);
      break;
    case 'complete':
      s = stop(s, 'resolve', at);
      break;
  }
  // An order that ended stops every clock still running (met or breached by then, for reports).
  if (ENDED.includes(after.status)) for (const c of SLA_CLOCKS) s = stop(s, c, at);
  return s;
}

/**
 * Settles the clocks at `now`: the SLA events due now (each at most once per clock), the status,
 * and the next check. A check message is scheduled when the next check time moved, or when
 * `consumedCheck` says the live message is the one being handled (its successor must be scheduled
 * even if the time did not move, e.g. a message delivered a little early). Stale check messages
 * (any other) schedule nothing new, so there is one live check per order.
 */
export function settleSla(
  order: OrderFacts & OrderSla & { readonly sla: SlaState },
  now: string,
  consumedCheck = false,
): { readonly patch: OrderSla; readonly events: EventDraft[] } {
  const evaluated = evaluate(order.sla, now);
  const next = nextCheckTimes(evaluated.state)[0]?.at;
  const events: EventDraft[] = evaluated.events.map((e) => ({
    type: e.type,
    subject: order.id,
    dataVersion: 1,
    data: {
      orderId: order.id,
      clientId: order.clientId,
      priority: order.priority,
      clock: e.clock,
      dueAt: e.dueAt,
      ...(order.providerId ? { providerId: order.providerId } : {}),
    },
  }));
  if (next !== undefined && (next !== order.slaNextCheckAt || consumedCheck)) {
    events.push({
      type: 'order.sla-check-due',
      subject: order.id,
      dataVersion: 1,
      data: { orderId: order.id, clientId: order.clientId, checkAt: next },
      deliverAt: next,
    });
  }
  return {
    patch: { sla: evaluated.state, slaStatus: slaStatus(evaluated.state, now), slaNextCheckAt: next },
    events,
  };
}

/** The clocks of a new order, settled (its first check scheduled). */
export function openSla(
  order: OrderFacts,
  now: string,
  context: SlaContext,
): { readonly patch: OrderSla; readonly events: EventDraft[] } {
  const sla = startSla(order.priority, now, context.policy, context.calendar);
  return settleSla({ ...order, sla }, now);
}

/** Punctuality for the scorecard: whether on-site and resolve were met by their due times. */
export function punctuality(state: SlaState | undefined, now: string): { onSiteOnTime: boolean; resolvedOnTime: boolean } {
  if (!state) return { onSiteOnTime: true, resolvedOnTime: true };
  return {
    onSiteOnTime: clockStatus(state.clocks.onSite, now) === 'met',
    resolvedOnTime: clockStatus(state.clocks.resolve, now) === 'met',
  };
}
