import { covers, type Money } from '../shared/money';
import { OrderRuleError, type Actor } from './refusals';

/**
 * The approval rules of an order (DESIGN 2.1): the approved amount is a not-to-exceed (NTE). A
 * client user approves only within its approval limit (staff approve any amount; an operator can
 * approve what a client may not). The invoice's bound is the `amount-within-nte` rule (invoice-rules.ts).
 */

/** Whether the actor's approval is bounded by an approval limit (the application reads it only then). */
export function approvalLimitApplies(by: Pick<Actor, 'role'>): boolean {
  return by.role === 'client';
}

/** Refuses an approval above the approver's limit; a client without a limit approves nothing. */
export function approvalRefusal(
  approvedAmount: Money | undefined,
  by: Pick<Actor, 'role'>,
  approvalLimit: Money | undefined,
): OrderRuleError | undefined {
  if (!approvalLimitApplies(by)) return undefined;
  if (approvalLimit && approvedAmount && covers(approvalLimit, approvedAmount)) return undefined;
  return new OrderRuleError('approval-limit', 'the amount exceeds your approval limit; an operator can approve it', {
    amount: approvedAmount,
    approvalLimit: approvalLimit ?? null,
  });
}
