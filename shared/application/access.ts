import { isStaff, type Principal, type Role } from '../domain/access/principal';
import { ForbiddenError, NotFoundError } from './errors';

/**
 * Tenant scope and role rules, applied by every use case on every read and write. Outside its
 * scope a caller gets NotFound (existence does not leak); inside its scope, a role that may not act
 * gets Forbidden.
 */
export function requireRole(p: Principal, roles: readonly Role[], action: string): void {
  if (!roles.includes(p.role)) throw new ForbiddenError(`role ${p.role} may not ${action}`);
}

export function canSeeClient(p: Principal, clientId: string): boolean {
  return isStaff(p) || (p.role === 'client' && p.clientId === clientId);
}

export function requireClientScope(p: Principal, clientId: string, what = 'client'): void {
  if (!canSeeClient(p, clientId)) throw new NotFoundError(`${what} not found`);
}

/** Orders: staff see all; a client its own; a provider those it is assigned to or invited to. */
export function canSeeOrder(
  p: Principal,
  order: { clientId: string; providerId?: string; invitedProviderIds?: readonly string[] },
): boolean {
  if (canSeeClient(p, order.clientId)) return true;
  if (p.role !== 'provider' || !p.providerId) return false;
  return order.providerId === p.providerId || (order.invitedProviderIds ?? []).includes(p.providerId);
}
