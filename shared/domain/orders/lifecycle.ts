import type { EventDraft } from '../shared/events';
import type { Money } from '../shared/money';
import { approvalRefusal } from './approval';
import {
  fieldMoveEffect,
  checkOutGuard,
  fieldRefusal,
  invoiceCheck,
  invoiceEffect,
  invoiceLinesRefusal,
  invoiceReviewEffect,
} from './field-work';
import type { FieldActionBodies, FieldActionInputs } from './field-work';
import {
  approvalStepRefusal,
  escalateApproval,
  escalationRefusal,
  isPending,
  rejectApproval,
  rejectionRefusal,
  withdrawApproval,
  type ApprovalTerms,
  type OrderApproval,
} from './approval-chain';
import { approvalDetails, approvalEscalatedEvents } from './approval-events';
import { approvalStarted, approverOf, chainStart, chainStep, type ApproverFacts } from './approval-steps';
import {
  answerProblems,
  applyAnswers,
  checklistItemsProblems,
  newChecklist,
  unansweredProblems,
  type ChecklistItemAnswer,
} from './checklist';
import type { Order, OrderHistoryEntry } from './order';
import { nteGuidance } from './price-guidance';
import { guardRefusal as guard, OrderRuleError, type Actor, type ActorRole } from './refusals';
import { moveClocks, punctuality, settleSla, type SlaContext } from './sla-lifecycle';
import type { ProviderStatus } from '../providers/vocabulary';
import type { OrderStatus, Priority, ServiceCategory } from './vocabulary';

export { OrderRuleError, type Actor, type ActorRole } from './refusals';
export type { ApproverFacts } from './approval-steps';

/**
 * The order lifecycle (DESIGN 2.1) as one pure table: from which states an action is legal, for
 * which roles (and which of them: the assigned provider, a client only early on), where it leads,
 * and the guard and effect that go with it. The application loads the order, asks `precheck`
 * before it gathers what the action needs, asks `decide`, and writes the result (order + history +
 * events) in one batch.
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
  // Issue 17, field and invoice controls (field-work.ts)
  'check-out',
  'approve-invoice',
  'reject-invoice',
  'request-nte-increase',
  'approve-nte-increase',
  'reject-nte-increase',
  'escalate-approval',
  'answer-checklist',
] as const;
export type OrderAction = (typeof ORDER_ACTIONS)[number];

/** Actions the API exposes at `/actions/{action}`; the rest come from other routes or the system. */
const NOT_API = ['submit-quote', 'close-quote-round', 'contract-signed', 'contract-declined', 'escalate-approval'] as const;
export const API_ACTIONS = ORDER_ACTIONS.filter((a) => !(NOT_API as readonly string[]).includes(a)) as Exclude<
  OrderAction,
  (typeof NOT_API)[number]
>[];
export type ApiAction = (typeof API_ACTIONS)[number];

/** An action that takes no body (the API accepts none, or `{}`). */
type NoBody = Record<never, never>;
type Reason = { reason: string };

/**
 * What each action is sent: the body of an API action (the API's schemas in functions/http/schemas.ts
 * are checked against these at compile time), the input a system action is given. One declaration
 * per action; what `precheck` reads.
 */
export interface ActionBodies extends FieldActionBodies {
  /** `checklist`: items the provider must answer (replaces the order's, e.g. a plan's). */
  triage: { category?: ServiceCategory; priority?: Priority; checklist?: readonly { id: string; label: string }[] };
  reject: Reason;
  'request-quotes': { quoteDeadline: string; visitDate?: string };
  'select-quote': { quoteId: string };
  /** `reason`: staff approving for a client with an approval chain must give one. */
  approve: { reason?: string };
  'reject-quote': Reason;
  assign: { providerId: string; amount: Money };
  schedule: { visitAt: string };
  hold: Reason;
  resume: Reason;
  complete: { report: string; attachmentIds: readonly string[] };
  verify: NoBody;
  'request-rework': Reason;
  rate: { score: number; comment?: string };
  close: NoBody;
  cancel: Reason;
  'submit-quote': { quote: Quote };
  'close-quote-round': { quoteCount: number };
  'contract-signed': { envelopeId?: string };
  'contract-declined': Reason;
  'request-nte-increase': { amount: Money; reason: string; attachmentIds: readonly string[] };
  'approve-nte-increase': { reason?: string };
  'reject-nte-increase': Reason;
  'escalate-approval': { tierId: string; dueAt: string };
  'answer-checklist': { answers: readonly ChecklistItemAnswer[] };
}

/** What `decide` takes: each action's body, with what the application gathered for it (facts only it can read). */
export interface ActionInputs extends ActionBodies {
  /** `suggestedNte`: the price guidance's suggestion when there is one (price-guidance.ts), recorded, never a rule. */
  'request-quotes': ActionBodies['request-quotes'] & { city: string; providerIds: readonly string[]; suggestedNte?: Money };
  'check-in': FieldActionInputs['check-in'];
  'check-out': FieldActionInputs['check-out'];
  invoice: FieldActionInputs['invoice'];
  /** The quote named by `quoteId`, when the client has one of that id. */
  'select-quote': ActionBodies['select-quote'] & { quote?: Quote; terms?: ApprovalTerms };
  /** The approver's limit or tier, and the client's approval terms (approval-chain.ts). */
  approve: ActionBodies['approve'] & ApproverFacts;
  'reject-quote': ActionBodies['reject-quote'] & ApproverFacts;
  /** The named provider's status; absent when there is no such provider. */
  assign: ActionBodies['assign'] & { providerStatus?: ProviderStatus; suggestedNte?: Money; terms?: ApprovalTerms };
  'request-nte-increase': ActionBodies['request-nte-increase'] & { terms: ApprovalTerms };
  'approve-nte-increase': ActionBodies['approve-nte-increase'] & ApproverFacts;
  'reject-nte-increase': ActionBodies['reject-nte-increase'] & ApproverFacts;
  'escalate-approval': ActionBodies['escalate-approval'] & { terms: ApprovalTerms };
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

export type LifecycleOrder = Order;

type Ctx<A extends OrderAction, I = ActionInputs[A]> = { order: LifecycleOrder; by: Actor; now: string; input: I };
type Effect<A extends OrderAction> = (c: Ctx<A>) => {
  patch: Partial<LifecycleOrder>;
  /** Where the order goes, when not the rule's `to`: one of its `alsoTo`. */
  to?: OrderStatus | 'same';
  events?: EventDraft[];
  details?: Record<string, unknown>;
};

interface Rule<A extends OrderAction> {
  readonly from: readonly OrderStatus[];
  readonly to: OrderStatus | 'same';
  /** Where else the effect may lead (an approval chain: a partial approval stays, a chained assignment waits). */
  readonly alsoTo?: readonly (OrderStatus | 'same')[];
  readonly roles: readonly ActorRole[];
  /** Which providers of the role may act: the order's assigned provider, or one invited to quote. */
  readonly provider?: 'assigned' | 'invited';
  /** A client may act only from these states (an operator can from any state of `from`). */
  readonly clientFrom?: readonly OrderStatus[];
  /** Why the action is refused now, from the order and the body alone (asked before gathering). */
  readonly guard?: (c: Ctx<A, ActionBodies[A]>) => OrderRuleError | undefined;
  /** Why it is refused, from what the application gathered (asked by `decide`). */
  readonly check?: (c: Ctx<A>) => OrderRuleError | undefined;
  readonly effect?: Effect<A>;
  /** Events built from the order after its clocks moved (punctuality is known only then). */
  readonly settledEvents?: (c: Ctx<A>, next: LifecycleOrder) => EventDraft[];
  readonly reason?: (i: ActionBodies[A]) => string | undefined;
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
/** A provider asks for more than the NTE while the work is open; the request's answer may come after the work. */
const NTE_REQUEST_STATES: OrderStatus[] = ['SCHEDULED', 'IN_PROGRESS', 'ON_HOLD'];
const NTE_STATES: OrderStatus[] = [...NTE_REQUEST_STATES, 'WORK_COMPLETED', 'VERIFIED'];

const later = (a: string, b: string) => Date.parse(a) > Date.parse(b);

/** The table. `to: 'same'` keeps the state (quote submissions, scheduling, rating). */
export const ORDER_RULES: { readonly [A in OrderAction]: Rule<A> } = {
  triage: {
    from: ['SUBMITTED'],
    to: 'TRIAGED',
    // The system triages a plan's order that goes straight to its pre-approved provider (docs/plans.md).
    roles: [...STAFF, 'system'],
    guard: ({ input }) => checklistGuard(checklistItemsProblems(input.checklist ?? [])),
    effect: ({ order, input }) => ({
      patch: {
        ...(input.category ? { category: input.category } : {}),
        ...(input.priority ? { priority: input.priority } : {}),
        ...(input.checklist?.length ? { checklist: newChecklist(input.checklist) } : {}),
      },
      details: { category: input.category ?? order.category, priority: input.priority ?? order.priority },
    }),
  },
  reject: {
    from: ['SUBMITTED', 'TRIAGED'],
    to: 'REJECTED',
    roles: STAFF,
    reason: (i) => i.reason,
    // A pending approval (the chain's, or an NTE increase's) is withdrawn with the order.
    effect: ({ order, input, now }) => ({
      patch: {
        closedReason: input.reason,
        ...(isPending(order.approval) ? { approval: withdrawApproval(order.approval, now) } : {}),
      },
    }),
  },
  'request-quotes': {
    from: ['TRIAGED'],
    to: 'QUOTING',
    roles: STAFF,
    guard: ({ input, now }) =>
      !later(input.quoteDeadline, now)
        ? guard('the quote deadline must be in the future', {}, [{ field: 'quoteDeadline', message: 'must be in the future' }])
        : undefined,
    check: ({ input }) =>
      input.providerIds.length === 0 ? guard('no eligible provider for this order', { eligibleProviders: 0 }) : undefined,
    effect: ({ order, input }) => ({
      patch: {
        invitedProviderIds: input.providerIds,
        quoteDeadline: input.quoteDeadline,
        ...(input.visitDate ? { visitDate: input.visitDate } : {}),
      },
      details: {
        providerIds: input.providerIds,
        quoteDeadline: input.quoteDeadline,
        ...(input.suggestedNte ? { suggestedNte: input.suggestedNte } : {}),
      },
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
    provider: 'invited',
    guard: ({ order, now }) =>
      (order.quoteDeadline && !later(order.quoteDeadline, now)) || order.quoteRoundClosedAt
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
    check: ({ order, input }) =>
      !input.quote || input.quote.orderId !== order.id
        ? guard('no such quote on this order', {}, [{ field: 'quoteId', message: 'unknown quote' }])
        : undefined,
    effect: (c) => {
      const { order, input } = c;
      const quote = input.quote as Quote; // `check` refused a missing one
      // A client with an approval chain starts it here; one without keeps its users' approval limits.
      const chained = chainStart(c, 'quote', quote.amount);
      return {
        patch: { selectedQuoteId: quote.id, providerId: quote.providerId, approvedAmount: quote.amount, ...chained.patch },
        details: { quoteId: quote.id, providerId: quote.providerId, amount: quote.amount, ...chained.details },
        events: [
          {
            type: 'order.quote-selected',
            subject: order.id,
            dataVersion: 1,
            data: { orderId: order.id, clientId: order.clientId, providerId: quote.providerId },
          },
          ...chained.events,
        ],
      };
    },
  },
  approve: {
    from: ['AWAITING_APPROVAL'],
    to: 'CONTRACTING',
    // A step of an approval chain below the tier that covers the amount keeps the order waiting.
    alsoTo: ['same'],
    roles: ['client', ...STAFF],
    check: ({ order, by, input }) =>
      isPending(order.approval)
        ? approvalStepRefusal(order.approval, approverOf(by, input))
        : approvalRefusal(order.approvedAmount, by, input.approvalLimit),
    effect: (c) => {
      const pending = isPending(c.order.approval) ? c.order.approval : undefined;
      if (!pending) return contractRequested(c.order, c.now, c.by, { amount: c.order.approvedAmount });
      const step = chainStep(c, pending);
      if (!step.complete) return { to: 'same', patch: { approval: step.approval }, details: step.details, events: step.events };
      const contract = contractRequested(c.order, c.now, c.by, { amount: c.order.approvedAmount, ...step.details });
      return {
        ...contract,
        patch: { ...contract.patch, approval: step.approval },
        events: [...step.events, ...(contract.events ?? [])],
      };
    },
  },
  'reject-quote': {
    from: ['AWAITING_APPROVAL'],
    to: 'QUOTING',
    // A chained direct assignment that is refused goes back to triage (there was no quote round).
    alsoTo: ['TRIAGED'],
    roles: ['client'],
    reason: (i) => i.reason,
    check: ({ order, by, input }) =>
      isPending(order.approval) ? rejectionRefusal(order.approval, approverOf(by, input)) : undefined,
    effect: ({ order, now }) => {
      const pending = isPending(order.approval) ? order.approval : undefined;
      const approval = pending ? rejectApproval(pending, now) : undefined;
      return {
        ...(pending?.subject === 'assignment' ? { to: 'TRIAGED' as const } : {}),
        patch: {
          selectedQuoteId: undefined,
          providerId: undefined,
          approvedAmount: undefined,
          ...(approval ? { approval } : {}),
        },
        details: { quoteId: order.selectedQuoteId, ...(approval ? approvalDetails(approval) : {}) },
      };
    },
  },
  assign: {
    from: ['TRIAGED'],
    to: 'CONTRACTING',
    // A client with an approval chain approves the amount first (subject `assignment`).
    alsoTo: ['AWAITING_APPROVAL'],
    roles: [...STAFF, 'system'],
    check: ({ input }) =>
      input.providerStatus !== 'APPROVED'
        ? guard('the provider is not approved', {}, [{ field: 'providerId', message: 'must be an APPROVED provider' }])
        : undefined,
    effect: (c) => {
      if (c.input.terms?.chain) {
        const chained = chainStart(c, 'assignment', c.input.amount);
        return {
          to: 'AWAITING_APPROVAL',
          patch: { providerId: c.input.providerId, approvedAmount: c.input.amount, ...chained.patch },
          details: { providerId: c.input.providerId, amount: c.input.amount, ...chained.details },
          events: chained.events,
        };
      }
      return contractRequested(
        { ...c.order, providerId: c.input.providerId },
        c.now,
        c.by,
        // Whether the amount followed the price guidance's suggestion: recorded, never a rule.
        {
          providerId: c.input.providerId,
          amount: c.input.amount,
          nteGuidance: nteGuidance(c.input.amount, c.input.suggestedNte),
        },
        { providerId: c.input.providerId, approvedAmount: c.input.amount },
      );
    },
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
    provider: 'assigned',
    guard: ({ input, now }) =>
      !later(input.visitAt, now)
        ? guard('the visit must be in the future', {}, [{ field: 'visitAt', message: 'must be in the future' }])
        : undefined,
    effect: ({ input }) => ({ patch: { visitAt: input.visitAt }, details: { visitAt: input.visitAt } }),
  },
  'check-in': {
    from: ['SCHEDULED'],
    to: 'IN_PROGRESS',
    roles: ['provider'],
    provider: 'assigned',
    guard: ({ order }) => (!order.visitAt ? guard('schedule the visit first', { visitAt: null }) : undefined),
    check: ({ input }) => fieldRefusal(input),
    effect: fieldMoveEffect('check-in'),
  },
  hold: {
    from: ['IN_PROGRESS'],
    to: 'ON_HOLD',
    roles: ['provider', ...STAFF],
    provider: 'assigned',
    reason: (i) => i.reason,
    effect: ({ input, now }) => ({ patch: { hold: { reason: input.reason, since: now } } }),
  },
  resume: {
    from: ['ON_HOLD'],
    to: 'IN_PROGRESS',
    roles: ['provider', ...STAFF],
    provider: 'assigned',
    reason: (i) => i.reason,
    effect: () => ({ patch: { hold: undefined } }),
  },
  complete: {
    from: ['IN_PROGRESS'],
    to: 'WORK_COMPLETED',
    roles: ['provider'],
    provider: 'assigned',
    guard: ({ order, input }) =>
      input.attachmentIds.length === 0
        ? guard('evidence is required', {}, [{ field: 'attachmentIds', message: 'at least one photo' }])
        : checklistGuard(unansweredProblems(order.checklist), 'every checklist item must be answered'),
    effect: ({ input, now }) => ({
      patch: { completion: { report: input.report, attachmentIds: input.attachmentIds, at: now } },
    }),
    settledEvents: ({ order, now }, next) => [
      {
        type: 'order.work-completed',
        subject: order.id,
        dataVersion: 1,
        data: {
          orderId: order.id,
          clientId: order.clientId,
          providerId: order.providerId ?? '',
          // Whether on-site and resolve were met, from the clocks the completion stopped.
          ...punctuality(next.sla, now),
        },
      },
    ],
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
    provider: 'assigned',
    // The lines must add up to the amount (the caller's input); the rules are asked once the facts are gathered.
    guard: ({ input }) => invoiceLinesRefusal(input),
    check: invoiceCheck,
    effect: invoiceEffect,
  },
  close: {
    from: ['INVOICED'],
    to: 'CLOSED',
    roles: STAFF,
    guard: ({ order }) =>
      order.invoice?.review?.outcome === 'held'
        ? guard('the invoice is held for review: approve or reject it first', { invoiceReview: 'held' })
        : undefined,
  },
  cancel: {
    from: BEFORE_WORK_COMPLETED,
    to: 'CANCELLED',
    roles: ['client', ...STAFF],
    clientFrom: ['SUBMITTED', 'TRIAGED', 'QUOTING', 'AWAITING_APPROVAL'],
    reason: (i) => i.reason,
    // A pending approval (the chain's, or an NTE increase's) is withdrawn with the order.
    effect: ({ order, input, now }) => ({
      patch: {
        closedReason: input.reason,
        ...(isPending(order.approval) ? { approval: withdrawApproval(order.approval, now) } : {}),
      },
    }),
  },
  // Checklists (checklist.ts, docs/plans.md): the assigned provider answers items while working.
  'answer-checklist': {
    from: ['IN_PROGRESS', 'ON_HOLD'],
    to: 'same',
    roles: ['provider'],
    provider: 'assigned',
    guard: ({ order, input }) => checklistGuard(answerProblems(order.checklist, input.answers)),
    effect: ({ order, input, now, by }) => ({
      patch: { checklist: applyAnswers(order.checklist ?? [], input.answers, now, by.userId) },
      details: { answers: input.answers.map((a) => ({ itemId: a.itemId, result: a.result })) },
    }),
  },
  'check-out': {
    from: ['IN_PROGRESS', 'ON_HOLD'],
    to: 'same',
    roles: ['provider'],
    provider: 'assigned',
    guard: ({ order }) => checkOutGuard(order),
    check: ({ input }) => fieldRefusal(input),
    effect: fieldMoveEffect('check-out'),
  },
  'approve-invoice': {
    from: ['INVOICED'],
    to: 'same',
    roles: STAFF,
    reason: (i) => i.reason,
    guard: ({ order }) =>
      order.invoice?.review?.outcome !== 'held' ? guard('only a held invoice is approved by an operator', {}) : undefined,
    effect: (c) => invoiceReviewEffect(c.order, c.by, c.now, 'approve', c.input.reason),
  },
  'reject-invoice': {
    from: ['INVOICED'],
    to: 'VERIFIED',
    roles: STAFF,
    reason: (i) => i.reason,
    effect: (c) => invoiceReviewEffect(c.order, c.by, c.now, 'reject', c.input.reason),
  },
  'request-nte-increase': {
    from: NTE_REQUEST_STATES,
    to: 'same',
    roles: ['provider'],
    provider: 'assigned',
    reason: (i) => i.reason,
    guard: ({ order, input }) => nteIncreaseRefusal(order, input),
    effect: ({ order, by, input, now }) => {
      const previousAmount = order.approvedAmount as Money; // the guard refused an order without an NTE
      const request = { reason: input.reason, attachmentIds: input.attachmentIds, by: by.userId };
      const started = approvalStarted(
        order,
        { subject: 'nte-increase', amount: input.amount, previousAmount, request },
        input.terms,
        now,
      );
      return {
        patch: started.patch,
        details: { amount: input.amount, previousAmount, attachmentIds: input.attachmentIds, ...started.details },
        events: [
          nteEvent('order.nte-increase-requested', order, started.patch.approval as OrderApproval, input.reason),
          ...started.events,
        ],
      };
    },
  },
  'approve-nte-increase': {
    from: NTE_STATES,
    to: 'same',
    roles: ['client', ...STAFF],
    guard: ({ order }) => pendingNteRefusal(order),
    check: ({ order, by, input }) => approvalStepRefusal(order.approval as OrderApproval, approverOf(by, input)),
    effect: (c) => {
      const step = chainStep(c, c.order.approval as OrderApproval);
      if (!step.complete) return step;
      // The NTE grows only now, with the whole approval.
      return {
        patch: { ...step.patch, approvedAmount: step.approval.amount },
        details: step.details,
        events: [...step.events, nteEvent('order.nte-increase-approved', c.order, step.approval)],
      };
    },
  },
  'reject-nte-increase': {
    from: NTE_STATES,
    to: 'same',
    roles: ['client', ...STAFF],
    reason: (i) => i.reason,
    guard: ({ order }) => pendingNteRefusal(order),
    check: ({ order, by, input }) => rejectionRefusal(order.approval as OrderApproval, approverOf(by, input)),
    effect: ({ order, input, now }) => {
      const approval = rejectApproval(order.approval as OrderApproval, now);
      return {
        patch: { approval },
        details: approvalDetails(approval),
        events: [nteEvent('order.nte-increase-rejected', order, approval, input.reason)],
      };
    },
  },
  'escalate-approval': {
    from: ['AWAITING_APPROVAL', ...NTE_STATES],
    to: 'same',
    roles: ['system'],
    guard: ({ order, input, now }) => {
      const stale = escalationRefusal(order.approval, input.tierId, input.dueAt, now);
      if (stale === 'stale') return guard('the approval has moved on', { dueAt: input.dueAt });
      return stale === 'early' ? guard('the escalation is not due yet', { dueAt: input.dueAt }) : undefined;
    },
    effect: ({ order, input, now }) => {
      const approval = escalateApproval(order.approval as OrderApproval, input.terms, now);
      return {
        patch: { approval },
        details: { fromTierId: input.tierId, ...approvalDetails(approval) },
        events: approvalEscalatedEvents(order, approval, input.tierId),
      };
    },
  },
};

function nteIncreaseRefusal(order: LifecycleOrder, input: ActionBodies['request-nte-increase']): OrderRuleError | undefined {
  if (isPending(order.approval)) return guard('an NTE increase is already pending', { pending: order.approval.amount });
  const nte = order.approvedAmount;
  if (!nte || input.amount.currency !== nte.currency || input.amount.amount <= nte.amount)
    return guard('the new amount must be above the NTE', { approvedAmount: nte ?? null }, [
      { field: 'amount', message: 'the new total, above the approved amount (NTE), in its currency' },
    ]);
  if (input.attachmentIds.length === 0)
    return guard('evidence is required', {}, [{ field: 'attachmentIds', message: 'at least one photo' }]);
  return undefined;
}

function pendingNteRefusal(order: LifecycleOrder): OrderRuleError | undefined {
  return isPending(order.approval) && order.approval.subject === 'nte-increase'
    ? undefined
    : guard('no NTE increase is pending', {});
}

function nteEvent(
  type: 'order.nte-increase-requested' | 'order.nte-increase-approved' | 'order.nte-increase-rejected',
  order: LifecycleOrder,
  a: OrderApproval,
  reason?: string,
): EventDraft {
  const data = {
    orderId: order.id,
    clientId: order.clientId,
    providerId: order.providerId ?? '',
    amount: a.amount,
    previousAmount: a.previousAmount ?? a.amount,
    ...(reason ? { reason } : {}),
  };
  return { type, subject: order.id, dataVersion: 1, data };
}

/** Checklist problems as the table's refusal: field errors (422). */
function checklistGuard(
  problems: readonly { field: string; message: string }[],
  message = 'invalid checklist',
): OrderRuleError | undefined {
  return problems.length ? guard(message, {}, [...problems]) : undefined;
}

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

/** Which of the table's who-and-when rules refuses the actor this action now, in the order they are asked. */
function standing(
  order: LifecycleOrder,
  action: OrderAction,
  by: Actor,
): 'role' | 'state' | 'client-from' | 'provider' | undefined {
  const rule: Pick<Rule<OrderAction>, 'from' | 'roles' | 'provider' | 'clientFrom'> = ORDER_RULES[action];
  if (!rule.roles.includes(by.role)) return 'role';
  if (!rule.from.includes(order.status)) return 'state';
  if (by.role === 'client' && rule.clientFrom && !rule.clientFrom.includes(order.status)) return 'client-from';
  if (by.role === 'provider' && rule.provider === 'assigned' && order.providerId !== by.providerId) return 'provider';
  if (by.role === 'provider' && rule.provider === 'invited' && !(order.invitedProviderIds ?? []).includes(by.providerId ?? ''))
    return 'provider';
  return undefined;
}

/** The API actions this caller could take on this order now (what a 409 lists): the table's who-and-when rules. */
export function allowedOrderActions(order: LifecycleOrder, by: Actor): ApiAction[] {
  return API_ACTIONS.filter((a) => standing(order, a, by) === undefined);
}

/**
 * Whether the table lets this caller take the action now, from what it sent: the role (403, whatever
 * the state), the state (409), who of the role (the assigned or invited provider; a client only early
 * on), the guard and the reason. The application asks it before it gathers the action's inputs (so
 * no lookup answers for a caller who may not act); `decide` asks it first too.
 */
export function precheck<A extends OrderAction>(
  order: LifecycleOrder,
  action: A,
  by: Actor,
  body: ActionBodies[A],
  now: string,
): OrderRuleError | undefined {
  const rule = ORDER_RULES[action] as Rule<A>;
  const conflict = (message: string) =>
    new OrderRuleError('illegal', message, { currentState: order.status, allowedActions: allowedOrderActions(order, by) });
  switch (standing(order, action, by)) {
    case 'role':
      return new OrderRuleError('forbidden', `role ${by.role} may not ${action} orders`);
    case 'state':
      return conflict(`cannot ${action} an order that is ${order.status}`);
    case 'client-from':
      return conflict(`a client cannot ${action} an order that is ${order.status}; an operator can`);
    case 'provider':
      return rule.provider === 'invited'
        ? new OrderRuleError('forbidden', 'only invited providers quote')
        : new OrderRuleError('forbidden', 'only the assigned provider may do this');
  }
  const refused = rule.guard?.({ order, by, now, input: body });
  if (refused) return refused;
  if (rule.reason && !rule.reason(body))
    return new OrderRuleError('guard', `${action} needs a reason`, {}, [{ field: 'reason', message: 'required' }]);
  return undefined;
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
  const refused = precheck(order, action, by, input, now) ?? rule.check?.({ order, by, now, input });
  if (refused) throw refused;
  const ctx: Ctx<A> = { order, by, now, input };
  const reason = rule.reason?.(input);
  const effect = rule.effect?.(ctx) ?? { patch: {} };
  const target = effect.to ?? rule.to;
  if (target !== rule.to && !rule.alsoTo?.includes(target)) throw new Error(`${action} may not lead to ${target}`);
  const to = target === 'same' ? order.status : target;
  const version = order.version + 1;
  let next = applyPatch(order, { ...effect.patch, status: to, updatedAt: now, version });
  let slaEvents: EventDraft[] = [];
  if (next.sla) {
    // The clocks move with the order (DESIGN 2.1): stopped, paused, resumed, rescheduled, settled.
    const moved = moveClocks(next.sla, action, order, next, now, slaContext);
    const settled = settleSla({ ...next, sla: moved }, now);
    next = applyPatch(next, settled.patch);
    slaEvents = settled.events;
  }
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
  return {
    order: next,
    history: [entry],
    events: [transitionEvent, ...(effect.events ?? []), ...(rule.settledEvents?.(ctx, next) ?? []), ...slaEvents],
  };
}
