import type { EventDraft } from '../shared/events';
import { askedTier, type ApprovalStep, type OrderApproval } from './approval-chain';
import type { Order } from './order';

/**
 * The events of the approval chain (issue 17), built from the approval state alone so that every
 * action that asks, records or escalates says the same thing: who is asked now (a tier's users, the
 * client's approvers when there is no chain, the operators once the chain ran out), and when the
 * asked tier escalates (a scheduled `order.approval-escalation-due`).
 */

type OrderIds = Pick<Order, 'id' | 'clientId'>;

function base(order: OrderIds, a: OrderApproval) {
  return { orderId: order.id, clientId: order.clientId, subject: a.subject, amount: a.amount };
}

/** Who is asked now, as the events carry it. */
function asked(a: OrderApproval) {
  const tier = askedTier(a);
  if (tier) return { tierId: tier.id, tierName: tier.name, ...(a.dueAt ? { dueAt: a.dueAt } : {}) };
  return { approvers: a.mode === 'chain' ? ('operators' as const) : ('approval-limit' as const) };
}

/** `order.approval-requested` for whoever is asked now, and the escalation scheduled for its due time. */
export function approvalRequestedEvents(order: OrderIds, a: OrderApproval): EventDraft[] {
  const tier = askedTier(a);
  const events: EventDraft[] = [
    { type: 'order.approval-requested', subject: order.id, dataVersion: 1, data: { ...base(order, a), ...asked(a) } },
  ];
  if (tier && a.dueAt)
    events.push({
      type: 'order.approval-escalation-due',
      subject: order.id,
      dataVersion: 1,
      data: { orderId: order.id, clientId: order.clientId, tierId: tier.id, dueAt: a.dueAt },
      deliverAt: a.dueAt,
    });
  return events;
}

/** `order.approval-recorded`: one step of the chain (the last one too). */
export function approvalRecordedEvent(order: OrderIds, a: OrderApproval, step: ApprovalStep): EventDraft {
  const tier = a.tiers.find((t) => t.id === step.tierId);
  return {
    type: 'order.approval-recorded',
    subject: order.id,
    dataVersion: 1,
    data: {
      ...base(order, a),
      ...(tier ? { tierId: tier.id, tierName: tier.name } : { approvers: 'operators' as const }),
      userId: step.userId,
    },
  };
}

/** `order.approval-escalated` (to the next tier or the operators), then the next escalation, if any. */
export function approvalEscalatedEvents(order: OrderIds, after: OrderApproval, fromTierId: string): EventDraft[] {
  const [, ...scheduled] = approvalRequestedEvents(order, after);
  return [
    {
      type: 'order.approval-escalated',
      subject: order.id,
      dataVersion: 1,
      data: { ...base(order, after), ...asked(after), fromTierId },
    },
    ...scheduled,
  ];
}

/** What a history entry says of the approval: its subject, amount, who was asked and who answered. */
export function approvalDetails(a: OrderApproval): Record<string, unknown> {
  return {
    approval: {
      subject: a.subject,
      amount: a.amount,
      mode: a.mode,
      ...(a.mode === 'chain' ? { tiers: a.tiers.map((t) => t.id), requiredTier: a.tiers[a.requiredTier]?.id } : {}),
      ...(a.outcome ? { outcome: a.outcome } : asked(a)),
      approvals: a.approvals,
      escalations: a.escalations,
    },
  };
}
