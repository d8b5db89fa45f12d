import { isStaff, type Principal, type Role } from '../domain/access/principal';
import { scopeProblem, type UserProfile } from '../domain/users/user';
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

/** What of a stored profile disagrees with the identity it would serve. */
export interface ProfileMismatch {
  /** `role`, `clientId`, `providerId`: differ from the token's; `userId`: another user's profile; `scope`: the profile's own role and scope disagree. */
  readonly fields: readonly ('userId' | 'role' | 'clientId' | 'providerId' | 'scope')[];
}

/** A stored profile the call may use, or why the one stored was set aside. Neither: none is stored. */
export type ProfileTrust =
  | { readonly profile: UserProfile; readonly mismatch?: undefined }
  | { readonly profile?: undefined; readonly mismatch?: ProfileMismatch };

/**
 * The one rule for trusting a stored profile: it is used for a decision (approval limit, channels,
 * phone, locale) only where it agrees with who is acting. With a verified token, its user, role and
 * tenant (`clientId`, `providerId`) must equal the token's; a profile of another tenant or role is
 * set aside and the caller treated as having none — the token decides what it may do, the profile
 * never widens it. Without a token (WhatsApp: the phone number names the profile), the profile's own
 * role and scope must agree. Both channels call this.
 */
export function trustProfile(stored: UserProfile | undefined, token?: Principal): ProfileTrust {
  if (!stored) return {};
  if (scopeProblem(stored)) return { mismatch: { fields: ['scope'] } };
  if (!token) return { profile: stored };
  const fields: ProfileMismatch['fields'][number][] = [];
  if (stored.userId !== token.userId) fields.push('userId');
  if (stored.role !== token.role) fields.push('role');
  if ((stored.clientId ?? null) !== (token.clientId ?? null)) fields.push('clientId');
  if ((stored.providerId ?? null) !== (token.providerId ?? null)) fields.push('providerId');
  return fields.length ? { mismatch: { fields } } : { profile: stored };
}

/**
 * The same rule where no token is at hand but the tenant is known — the people of an order, whose
 * contact details the workflows use (notifications, the contract's signer). The profile must agree
 * with itself (`trustProfile`) and belong to the order's client: a client user of that client, or
 * staff, who act for every client. A profile moved to another tenant since is set aside.
 */
export function trustProfileOfClient(stored: UserProfile | undefined, clientId: string): UserProfile | undefined {
  const { profile } = trustProfile(stored);
  if (!profile) return undefined;
  if (profile.role === 'client') return profile.clientId === clientId ? profile : undefined;
  return isStaff(profile) ? profile : undefined;
}
