import type { Principal, Role } from '../access/principal';

/**
 * Who acts on an order and how the order's rules refuse them. A leaf module, so the state table
 * (lifecycle.ts) and the rules it delegates to (approval.ts) share it without importing each other.
 */
export type Actor = Pick<Principal, 'userId' | 'role' | 'clientId' | 'providerId'> | { userId: 'system'; role: 'system' };
export type ActorRole = Role | 'system';

export class OrderRuleError extends Error {
  constructor(
    readonly kind: 'illegal' | 'guard' | 'forbidden' | 'approval-limit' | 'invoice-rules',
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly fieldErrors: readonly { field: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'OrderRuleError';
  }
}

/** A guard's refusal: with field errors it is the caller's input (422), without it the order's state (409). */
export const guardRefusal = (
  message: string,
  details: Record<string, unknown> = {},
  fields: { field: string; message: string }[] = [],
): OrderRuleError => new OrderRuleError('guard', message, details, fields);
