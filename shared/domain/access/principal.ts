/** Who is calling: established by the platform (a verified token), judged by the application. */
export const ROLES = ['admin', 'operator', 'client', 'provider'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  /** Stable user id: the token's `oid` (Entra ID) or `sub`. */
  readonly userId: string;
  readonly role: Role;
  /** Set for role `client`: the only client whose data the caller may see. */
  readonly clientId?: string;
  /** Set for role `provider`: the only provider whose data the caller may see. */
  readonly providerId?: string;
  readonly name?: string;
  readonly email?: string;
}

/** Roles that act across every tenant. */
export function isStaff(p: Pick<Principal, 'role'>): boolean {
  return p.role === 'admin' || p.role === 'operator';
}
