import type { Principal, Role } from '../access/principal';
import type { EventDraft } from '../shared/events';
import { covers, type Money } from '../shared/money';
import type { Order, OrderHistoryEntry, OrderStatus, Priority, ServiceCategory } from './order';
import { moveClocks, punctuality, settleSla, type OrderSla, type SlaContext } from './sla-lifecycle';

/**
 * The order lifecycle (DESIGN 2.1) as one pure table: from which states an action is legal, for
 * which roles, where it leads, and the guard and effect that go with it. The application loads the
 * order, asks `decide`, and writes the result (order + history + events) in one batch.
 */
export const ORDER_ACTIONS = [
  'triage',
  'reject',
  'request-quotes',
  'submit-quote',
  'close-quote-round',
  'select-quote',
  'approve',
  'reject-quote',
  'assign',
  'contract-signed',
  'contract-declined',
  'schedule',
  'check-in',
  'hold',
  'resume',
  'complete',
  'verify',
  'request-rework',
  'rate',
  'invoice',
  'close',
  'cancel',
] as const;
export type OrderAction = (typeof ORDER_ACTIONS)[number];

/** Actions the API exposes at `/actions/{action}`; the rest come from other routes or the system. */
const NOT_API = ['submit-quote', 'close-quote-round', 'contract-signed', 'contract-declined'] as const;
export const API_ACTIONS = ORDER_ACTIONS.filter((a) => !(NOT_API as readonly string[]).includes(a)) as Exclude<
  OrderAction,
  (typeof NOT_API)[number]
>[];
export type ApiAction = (typeof API_ACTIONS)[number];

export type Actor = Pick<Principal, 'userId' | 'role' | 'clientId' | 'providerId'> | { userId: 'system'; role: 'system' };
export type ActorRole = Role | 'system';

/** What the caller sends with each action (validated by the API's schemas first). */
export interface ActionInputs {
  triage: { category?: ServiceCategory; priority?: Priority };
  reject: { reason: string };
  'request-quotes': { quoteDeadline: string; providerIds: readonly string[]; city: string; visitDate?: string };
  'submit-quote': { quote: Quote };
  'close-quote-round': { quoteCount: number };
  'select-quote': { quoteId: string; quote: Quote };
  approve: { approvalLimit?: Money };
  'reject-quote': { reason: string };
  assign: { providerId: string; amount: Money };
  'contract-signed': { envelopeId?: string };
  'contract-declined': { reason: string };
  schedule: { visitAt: string };
  'check-in': Record<string, never>;
  hold: { reason: string };
  resume: { reason: string };
  complete: { report: string; attachmentIds: readonly string[] };
  verify: Record<string, never>;
  'request-rework': { reason: string };
  rate: { score: number; comment?: string };
  invoice: { invoiceNumber: string; amount: Money; attachmentId?: string };
  close: Record<string, never>;
  cancel: { reason: string };
}

export interface Quote {
  readonly id: string;
  readonly orderId: string;
  readonly clientId: string;
  readonly providerId: string;
  readonly amount: Money;
  readonly leadTimeDays: number;
  readonly validUntil: string;
  readonly notes?: string;
  readonly attachmentId?: string;
  readonly submittedAt: string;
  readonly submittedBy: string;
}

/** The lifecycle's own fields on an order (all optional: they fill in as the order moves). */
export interface OrderLifecycle extends OrderSla {
  readonly invitedProviderIds?: readonly string[];
  readonly quoteDeadline?: string;
  /** Set when the round closed at its deadline: no more quotes; the client may see them. */
  readonly quoteRoundClosedAt?: string;
  readonly visitDate?: string;
  readonly selectedQuoteId?: string;
  /** The approved not-to-exceed amount. */
  readonly approvedAmount?: Money;
  readonly providerId?: string;
  readonly contract?: {
    readonly requestedAt: string;
    readonly requestedBy?: string;
    /** Set by the orders workflow once DocuSign has the envelope. */
    readonly envelopeId?: string;
    readonly sentAt?: string;
    readonly signedAt?: string;
    /** The signed contract stored in `order-files` (an attachment of kind `contract`). */
    readonly documentAttachmentId?: string;
  };
  /** The order's task in the client's Asana project (Integrations). */
  readonly asanaTaskGid?: string;
  readonly visitAt?: string;
  readonly hold?: { readonly reason: string; readonly since: string };
  readonly completion?: { readonly report: string; readonly attachmentIds: readonly string[]; readonly at: string };
  readonly rating?: { readonly score: number; readonly comment?: string; readonly at: string };
  readonly invoice?: {
    readonly invoiceNumber: string;
    readonly amount: Money;
    readonly attachmentId?: string;
    readonly at: string;
  };
  readonly reworkCount?: number;
  readonly closedReason?: string;
}

export type LifecycleOrder = Order;

export class OrderRuleError extends Error {
  constructor(
    readonly kind: 'illegal' | 'guard' | 'forbidden' | 'approval-limit',
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly fieldErrors: readonly { field: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'OrderRuleError';
  }
}

type Ctx<A extends OrderAction> = { order: LifecycleOrder; by: Actor; now: string; input: ActionInputs[A] };
type Effect<A extends OrderAction> = (c: Ctx<A>) => {
  patch: Partial<LifecycleOrder>;
  events?: EventDraft[];
  details?: Record<string, unknown>;
};

interface Rule<A extends OrderAction> {
  readonly from: readonly OrderStatus[];
  readonly to: OrderStatus | 'same';
  readonly roles: readonly ActorRole[];
  /** Returns why the action is refused now, or nothing. */
  readonly guard?: (c: Ctx<A>) => OrderRuleError | undefined;
  readonly effect?: Effect<A>;
  readonly reason?: (i: ActionInputs[A]) => string | undefined;
}

const BEFORE_WORK_COMPLETED: OrderStatus[] = [
  'SUBMITTED',
  'TRIAGED',
  'QUOTING',
  'AWAITING_APPROVAL',
  'CONTRACTING',
  'SCHEDULED',
  'IN_PROGRESS',
  'ON_HOLD',
];
const STAFF: ActorRole[] = ['admin', 'operator'];

const guard = (message: string, details: Record<string, unknown> = {}, fields: { field: string; message: string }[] = []) =>
  new OrderRuleError('guard', message, details, fields);
const isAssigned = (c: { order: LifecycleOrder; by: Actor }) =>
  c.by.role !== 'provider' || c.order.providerId === c.by.providerId;
const assignedOnly = (c: { order: LifecycleOrder; by: Actor }) =>
  isAssigned(c) ? undefined : new OrderRuleError('forbidden', 'only the assigned provider may do this');
const later = (a: string, b: string) => Date.parse(a) > Date.parse(b);

/** The table. `to: 'same'` keeps the state (quote submissions, scheduling, rating). */
export const ORDER_RULES: { readonly [A in OrderAction]: Rule<A> } = {
  triage: {
    from: ['SUBMITTED'],
    to: 'TRIAGED',
    roles: STAFF,
    effect: ({ order, input }) => ({
      patch: { ...(input.category ? { category: input.category } : {}), ...(input.priority ? { priority: input.priority } : {}) },
      details: { category: input.category ?? order.category, priority: input.priority ?? order.priority },
    }),
  },
  reject: {
    from: ['SUBMITTED', 'TRIAGED'],
    to: 'REJECTED',
    roles: STAFF,
    reason: (i) => i.reason,
    effect: ({ input }) => ({ patch: { closedReason: input.reason } }),
  },
  'request-quotes': {
    from: ['TRIAGED'],
    to: 'QUOTING',
    roles: STAFF,
    guard: ({ input, now }) =>
      !later(input.quoteDeadline, now)
        ? guard('the quote deadline must be in the future', {}, [{ field: 'quoteDeadline', message: 'must be in the future' }])
        : input.providerIds.length === 0
          ? guard('no eligible provider for this order', { eligibleProviders: 0 })
          : undefined,
    effect: ({ order, input }) => ({
      patch: {
        invitedProviderIds: input.providerIds,
        quoteDeadline: input.quoteDeadline,
        ...(input.visitDate ? { visitDate: input.visitDate } : {}),
      },
      details: { providerIds: input.providerIds, quoteDeadline: input.quoteDeadline },
      events: [
        {
          type: 'order.quotes-requested',
          subject: order.id,
          dataVersion: 1,
          data: {
            orderId: order.id,
            clientId: order.clientId,
            siteId: order.siteId,
            category: order.category,
            city: input.city,
            title: order.title,
            providerIds: input.providerIds,
            quoteDeadline: input.quoteDeadline,
          },
        },
        {
          // Closes the round at the deadline (see close-quote-round).
          type: 'order.quote-deadline-reached',
          subject: order.id,
          dataVersion: 1,
          data: { orderId: order.id, clientId: order.clientId, quoteDeadline: input.quoteDeadline },
          deliverAt: input.quoteDeadline,
        },
      ],
    }),
  },
  'close-quote-round': {
    from: ['QUOTING'],
    to: 'same',
    roles: ['system'],
    guard: ({ order, now }) =>
      order.quoteRoundClosedAt
        ? guard('the quote round is already closed', { quoteRoundClosedAt: order.quoteRoundClosedAt })
        : order.quoteDeadline && later(order.quoteDeadline, now)
          ? guard('the quote deadline has not been reached', { quoteDeadline: order.quoteDeadline })
          : undefined,
    effect: ({ order, input, now }) => ({
      patch: { quoteRoundClosedAt: now },
      details: { quoteCount: input.quoteCount },
      events: [
        {
          type: 'order.quote-round-closed',
          subject: order.id,
          dataVersion: 1,
          data: { orderId: order.id, clientId: order.clientId, quoteCount: input.quoteCount },
        },
      ],
    }),
  },
  'submit-quote': {
    from: ['QUOTING'],
    to: 'same',
    roles: ['provider'],
    guard: ({ order, by, now }) =>
      by.role === 'provider' && !(order.invitedProviderIds ?? []).includes(by.providerId ?? '')
        ? new OrderRuleError('forbidden', 'only invited providers quote')
        : (order.quoteDeadline && !later(order.quoteDeadline, now)) || order.quoteRoundClosedAt
          ? guard('the quote deadline has passed', { quoteDeadline: order.quoteDeadline ?? null })
          : undefined,
    effect: ({ order, input }) => ({
      patch: {},
      details: { quoteId: input.quote.id, amount: input.quote.amount },
      events: [
        {
          type: 'order.quote-submitted',
          subject: order.id,
          dataVersion: 1,
          data: { orderId: order.id, clientId: order.clientId, providerId: input.quote.providerId },
        },
      ],
    }),
  },
  'select-quote': {
    from: ['QUOTING'],
    to: 'AWAITING_APPROVAL',
    roles: STAFF,
    guard: ({ order, input }) =>
      input.quote.orderId !== order.id
        ? guard('no such quote on this order', {}, [{ field: 'quoteId', message: 'unknown' }])
        : undefined,
    effect: ({ order, input }) => ({
      patch: { selectedQuoteId: input.quote.id, providerId: input.quote.providerId, approvedAmount: input.quote.amount },
      details: { quoteId: input.quote.id, providerId: input.quote.providerId, amount: input.quote.amount },
      events: [
        {
          type: 'order.quote-selected',
          subject: order.id,
          dataVersion: 1,
          data: { orderId: order.id, clientId: order.clientId, providerId: input.quote.providerId },
        },
      ],
    }),
  },
  approve: {
    from: ['AWAITING_APPROVAL'],
    to: 'CONTRACTING',
    roles: ['client', ...STAFF],
    guard: ({ order, by, input }) =>
      by.role === 'client' && !(input.approvalLimit && order.approvedAmount && covers(input.approvalLimit, order.approvedAmount))
        ? new OrderRuleError('approval-limit', 'the amount exceeds your approval limit; an operator can approve it', {
            amount: order.approvedAmount,
            approvalLimit: input.approvalLimit ?? null,
          })
        : undefined,
    effect: (c) => contractRequested(c.order, c.now, c.by, { amount: c.order.approvedAmount }),
  },
  'reject-quote': {
    from: ['AWAITING_APPROVAL'],
    to: 'QUOTING',
    roles: ['client'],
    reason: (i) => i.reason,
    effect: ({ order }) => ({
      patch: { selectedQuoteId: undefined, providerId: undefined, approvedAmount: undefined },
      details: { quoteId: order.selectedQuoteId },
    }),
  },
  assign: {
    from: ['TRIAGED'],
    to: 'CONTRACTING',
    roles: STAFF,
    effect: (c) =>
      contractRequested(
        { ...c.order, providerId: c.input.providerId },
        c.now,
        c.by,
        { providerId: c.input.providerId, amount: c.input.amount },
        { providerId: c.input.providerId, approvedAmount: c.input.amount },
      ),
  },
  'contract-signed': {
    from: ['CONTRACTING'],
    to: 'SCHEDULED',
    roles: ['system'],
    effect: ({ order, now, input }) => ({
      patch: {
        contract: {
          ...(order.contract ?? { requestedAt: now }),
          signedAt: now,
          ...(input.envelopeId ? { envelopeId: input.envelopeId } : {}),
        },
      },
    }),
  },
  'contract-declined': {
    from: ['CONTRACTING'],
    to: 'QUOTING',
    roles: ['system'],
    reason: (i) => i.reason,
    effect: () => ({
      patch: { selectedQuoteId: undefined, providerId: undefined, approvedAmount: undefined, contract: undefined },
    }),
  },
  schedule: {
    from: ['SCHEDULED'],
    to: 'same',
    roles: ['provider'],
    guard: (c) =>
      assignedOnly(c) ??
      (!later(c.input.visitAt, c.now)
        ? guard('the visit must be in the future', {}, [{ field: 'visitAt', message: 'must be in the future' }])
        : undefined),
    effect: ({ input }) => ({ patch: { visitAt: input.visitAt }, details: { visitAt: input.visitAt } }),
  },
  'check-in': {
    from: ['SCHEDULED'],
    to: 'IN_PROGRESS',
    roles: ['provider'],
    guard: (c) => assignedOnly(c) ?? (!c.order.visitAt ? guard('schedule the visit first', { visitAt: null }) : undefined),
  },
  hold: {
    from: ['IN_PROGRESS'],
    to: 'ON_HOLD',
    roles: ['provider', ...STAFF],
    guard: assignedOnly,
    reason: (i) => i.reason,
    effect: ({ input, now }) => ({ patch: { hold: { reason: input.reason, since: now } } }),
  },
  resume: {
    from: ['ON_HOLD'],
    to: 'IN_PROGRESS',
    roles: ['provider', ...STAFF],
    guard: assignedOnly,
    reason: (i) => i.reason,
    effect: () => ({ patch: { hold: undefined } }),
  },
  complete: {
    from: ['IN_PROGRESS'],
    to: 'WORK_COMPLETED',
    roles: ['provider'],
    guard: (c) =>
      assignedOnly(c) ??
      (c.input.attachmentIds.length === 0
        ? guard('evidence is required', {}, [{ field: 'attachmentIds', message: 'at least one photo' }])
        : undefined),
    effect: ({ order, input, now }) => ({
      patch: { completion: { report: input.report, attachmentIds: input.attachmentIds, at: now } },
      events: [
        {
          type: 'order.work-completed',
          subject: order.id,
          dataVersion: 1,
          // `decide` fills in onSiteOnTime and resolvedOnTime from the stopped clocks.
          data: { orderId: order.id, clientId: order.clientId, providerId: order.providerId ?? '' },
        },
      ],
    }),
  },
  verify: { from: ['WORK_COMPLETED'], to: 'VERIFIED', roles: ['client', ...STAFF] },
  'request-rework': {
    from: ['WORK_COMPLETED'],
    to: 'SCHEDULED',
    roles: ['client'],
    reason: (i) => i.reason,
    effect: ({ order }) => ({
      patch: { reworkCount: (order.reworkCount ?? 0) + 1, visitAt: undefined, completion: undefined },
      events: [
        {
          type: 'order.rework-requested',
          subject: order.id,
          dataVersion: 1,
          data: { orderId: order.id, clientId: order.clientId, providerId: order.providerId ?? '' },
        },
      ],
    }),
  },
  rate: {
    from: ['VERIFIED'],
    to: 'same',
    roles: ['client'],
    guard: ({ order }) => (order.rating ? guard('the order was already rated', { rating: order.rating.score }) : undefined),
    effect: ({ order, input, now }) => ({
      patch: { rating: { score: input.score, ...(input.comment ? { comment: input.comment } : {}), at: now } },
      details: { score: input.score },
      events: [
        {
          type: 'order.rated',
          subject: order.id,
          dataVersion: 1,
          data: { orderId: order.id, clientId: order.clientId, providerId: order.providerId ?? '', score: input.score },
        },
      ],
    }),
  },
  invoice: {
    from: ['VERIFIED'],
    to: 'INVOICED',
    roles: ['provider'],
    guard: (c) =>
      assignedOnly(c) ??
      (!c.order.approvedAmount || !covers(c.order.approvedAmount, c.input.amount)
        ? guard('the invoice exceeds the approved amount', { approvedAmount: c.order.approvedAmount ?? null }, [
            { field: 'amount', message: 'at most the approved amount (NTE)' },
          ])
        : undefined),
    effect: ({ input, now }) => ({
      patch: {
        invoice: {
          invoiceNumber: input.invoiceNumber,
          amount: input.amount,
          ...(input.attachmentId ? { attachmentId: input.attachmentId } : {}),
          at: now,
        },
      },
      details: { invoiceNumber: input.invoiceNumber, amount: input.amount },
    }),
  },
  close: { from: ['INVOICED'], to: 'CLOSED', roles: STAFF },
  cancel: {
    from: BEFORE_WORK_COMPLETED,
    to: 'CANCELLED',
    roles: ['client', ...STAFF],
    guard: ({ order, by }) =>
      by.role === 'client' && !['SUBMITTED', 'TRIAGED', 'QUOTING', 'AWAITING_APPROVAL'].includes(order.status)
        ? new OrderRuleError('illegal', `a client cannot cancel an order that is ${order.status}; an operator can`, {
            currentState: order.status,
            allowedActions: allowedOrderActions(order, by),
          })
        : undefined,
    reason: (i) => i.reason,
    effect: ({ input }) => ({ patch: { closedReason: input.reason } }),
  },
};

function contractRequested(
  order: LifecycleOrder,
  now: string,
  by: Actor,
  details: Record<string, unknown>,
  patch: Partial<LifecycleOrder> = {},
): ReturnType<Effect<'approve'>> {
  const amount = patch.approvedAmount ?? order.approvedAmount;
  return {
    // Who approved (or assigned) signs for the client when it is a client user; else the requester.
    patch: { ...patch, contract: { requestedAt: now, requestedBy: by.userId } },
    details,
    events: [
      {
        type: 'order.contract-requested',
        subject: order.id,
        dataVersion: 1,
        data: { orderId: order.id, clientId: order.clientId, providerId: order.providerId ?? '', amount },
      },
    ],
  };
}

/**
 * Whether the role may ever take the action, in any state: the table's `roles`, asked before
 * anything about the order's state (403 before 409) — by `decide`, and by the application before it
 * gathers an action's input.
 */
export function roleRefusal(action: OrderAction, by: Pick<Actor, 'role'>): OrderRuleError | undefined {
  const roles = ORDER_RULES[action].roles as readonly ActorRole[];
  return roles.includes(by.role) ? undefined : new OrderRuleError('forbidden', `role ${by.role} may not ${action} orders`);
}

/** The API actions this caller could take on this order now (what a 409 lists). */
export function allowedOrderActions(order: LifecycleOrder, by: Actor): ApiAction[] {
  return API_ACTIONS.filter((a) => {
    const r = ORDER_RULES[a] as Rule<OrderAction>;
    if (roleRefusal(a, by) || !r.from.includes(order.status)) return false;
    if (a === 'cancel' && by.role === 'client')
      return ['SUBMITTED', 'TRIAGED', 'QUOTING', 'AWAITING_APPROVAL'].includes(order.status);
    if (by.role === 'provider' && ['schedule', 'check-in', 'hold', 'resume', 'complete', 'invoice'].includes(a))
      return isAssigned({ order, by });
    return true;
  });
}

export interface LifecycleDecision {
  readonly order: LifecycleOrder;
  readonly history: readonly OrderHistoryEntry[];
  readonly events: readonly EventDraft[];
}

/** Applies a patch; keys set to undefined are removed (they mean "clear this field"). */
export function applyPatch(order: LifecycleOrder, patch: Partial<LifecycleOrder>): LifecycleOrder {
  const next: Record<string, unknown> = { ...order, ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete next[k];
  return next as unknown as LifecycleOrder;
}

/** Decides one action: refused with an OrderRuleError, or the new order, its history entry and events. */
export function decide<A extends OrderAction>(
  order: LifecycleOrder,
  action: A,
  by: Actor,
  input: ActionInputs[A],
  now: string,
  slaContext?: SlaContext,
): LifecycleDecision {
  const rule = ORDER_RULES[action] as Rule<A>;
  // The role first: an action the caller's role may never take is refused whatever the state.
  const forbidden = roleRefusal(action, by);
  if (forbidden) throw forbidden;
  if (!rule.from.includes(order.status)) {
    throw new OrderRuleError('illegal', `cannot ${action} an order that is ${order.status}`, {
      currentState: order.status,
      allowedActions: allowedOrderActions(order, by),
    });
  }
  const ctx: Ctx<A> = { order, by, now, input };
  const refused = rule.guard?.(ctx);
  if (refused) throw refused;
  const reason = rule.reason?.(input);
  if (rule.reason && !reason)
    throw new OrderRuleError('guard', `${action} needs a reason`, {}, [{ field: 'reason', message: 'required' }]);
  const effect = rule.effect?.(ctx) ?? { patch: {} };
  const to = rule.to === 'same' ? order.status : rule.to;
  const version = order.version + 1;
  let next = applyPatch(order, { ...effect.patch, status: to, updatedAt: now, version });
  let effectEvents = effect.events ?? [];
  if (next.sla) {
    // The clocks move with the order (DESIGN 2.1): stopped, paused, resumed, rescheduled, settled.
    const moved = moveClocks(next.sla, action, order, next, now, slaContext);
    const settled = settleSla({ ...next, sla: moved }, now);
    next = applyPatch(next, settled.patch);
    effectEvents = [...effectEvents, ...settled.events];
  }
  const onTime = punctuality(next.sla, now);
  effectEvents = effectEvents.map((e) =>
    e.type === 'order.work-completed' ? { ...e, data: { ...(e.data as object), ...onTime } } : e,
  );
  const entry: OrderHistoryEntry = {
    orderId: order.id,
    seq: version,
    at: now,
    by: { userId: by.userId, role: by.role },
    action,
    from: order.status,
    to,
    ...(reason ? { reason } : {}),
    ...(effect.details ? { details: effect.details } : {}),
  };
  const transitionEvent: EventDraft = {
    type: 'order.status-changed',
    subject: order.id,
    dataVersion: 1,
    data: {
      orderId: order.id,
      clientId: order.clientId,
      action,
      from: order.status,
      to,
      version,
      ...(reason ? { reason } : {}),
      ...(next.providerId ? { providerId: next.providerId } : {}),
    },
  };
  return { order: next, history: [entry], events: [transitionEvent, ...effectEvents] };
}
