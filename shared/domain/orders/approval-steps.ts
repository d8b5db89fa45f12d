import type { EventDraft } from '../shared/events';
import type { Money } from '../shared/money';
import {
  recordApproval,
  startApproval,
  type ApprovalStart,
  type ApprovalSubject,
  type ApprovalTerms,
  type Approver,
  type OrderApproval,
} from './approval-chain';
import { approvalDetails, approvalRecordedEvent, approvalRequestedEvents } from './approval-events';
import { DEFAULT_CALENDAR } from './business-calendar';
import type { Order } from './order';
import type { Actor } from './refusals';

/**
 * The approval chain's moves as the lifecycle table uses them (lifecycle.ts): what an action that
 * starts an approval or records a step patches on the order, writes in its history entry and emits.
 */

/** What the application reads of an approver (its profile) and of the client (its chain and calendar). */
export interface ApproverFacts {
  readonly approvalLimit?: Money;
  readonly approvalTier?: string;
  readonly terms?: ApprovalTerms;
}

export interface ApprovalMove {
  readonly patch: Partial<Order>;
  readonly details: Record<string, unknown>;
  readonly events: EventDraft[];
}

const NONE: ApprovalMove = { patch: {}, details: {}, events: [] };

/** The caller as an approver: its tier or limit, and (staff) the reason it gave. */
export function approverOf(by: Actor, input: ApproverFacts & { readonly reason?: string }): Approver {
  return {
    userId: by.userId,
    role: by.role,
    ...(input.approvalTier ? { tierId: input.approvalTier } : {}),
    ...(input.approvalLimit ? { approvalLimit: input.approvalLimit } : {}),
    ...(input.reason ? { reason: input.reason } : {}),
  };
}

/** Starts an approval of the order (any mode), asking the first tier (or the client's approvers). */
export function approvalStarted(
  order: Order,
  start: Omit<ApprovalStart, 'category'>,
  terms: ApprovalTerms,
  now: string,
): ApprovalMove {
  const approval = startApproval({ ...start, category: order.category }, terms, now);
  return { patch: { approval }, details: approvalDetails(approval), events: approvalRequestedEvents(order, approval) };
}

/** Starts the chain when the client has one (quotes and assignments); nothing changes without one. */
export function chainStart(
  c: { readonly order: Order; readonly now: string; readonly input: { readonly terms?: ApprovalTerms } },
  subject: ApprovalSubject,
  amount: Money,
): ApprovalMove {
  const terms = c.input.terms;
  return terms?.chain ? approvalStarted(c.order, { subject, amount }, terms, c.now) : NONE;
}

/** Records the caller's approval: complete, or the next tier asked. */
export function chainStep(
  c: {
    readonly order: Order;
    readonly by: Actor;
    readonly now: string;
    readonly input: ApproverFacts & { readonly reason?: string };
  },
  pending: OrderApproval,
): ApprovalMove & { readonly complete: boolean; readonly approval: OrderApproval } {
  // The application always reads the client's terms; the default calendar only stands in for tests.
  const terms = c.input.terms ?? { calendar: DEFAULT_CALENDAR };
  const { approval, complete } = recordApproval(pending, approverOf(c.by, c.input), terms, c.now);
  const step = approval.approvals.at(-1);
  const recorded = step ? [approvalRecordedEvent(c.order, approval, step)] : [];
  return {
    complete,
    approval,
    patch: { approval },
    details: approvalDetails(approval),
    events: complete ? recorded : [...recorded, ...approvalRequestedEvents(c.order, approval)],
  };
}
