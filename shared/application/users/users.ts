import type { Principal } from '../../domain/access/principal';
import { DEFAULT_PREFERENCES, scopeProblem, type Preferences, type UserProfile } from '../../domain/users/user';
import { requireRole, trustProfile, type ProfileMismatch } from '../access';
import type { CallContext } from '../context';
import { ConflictError, ForbiddenError, InvalidInputError } from '../errors';
import type { ClientRepository, Clock, UserRepository, Versioned } from '../ports';
import type { PhoneDirectory } from '../whatsapp/ports';

export interface UserDeps {
  readonly users: UserRepository;
  readonly clients: ClientRepository;
  readonly clock: Clock;
}

/** The profile a token implies before the platform has stored one. */
function profileFromToken(p: Principal, now: string): UserProfile {
  return {
    userId: p.userId,
    role: p.role,
    ...(p.clientId ? { clientId: p.clientId } : {}),
    ...(p.providerId ? { providerId: p.providerId } : {}),
    ...(p.name ? { name: p.name } : {}),
    ...(p.email ? { email: p.email } : {}),
    preferences: DEFAULT_PREFERENCES,
    updatedAt: now,
  };
}

export interface Me {
  readonly profile: UserProfile;
  /** Empty when no trusted profile is stored (the token's claims are shown). */
  readonly etag?: string;
  /** Set when a profile is stored but disagrees with the token: it is not used, nor shown. */
  readonly mismatch?: ProfileMismatch;
}

/**
 * The caller's stored profile, only where it agrees with the token (`trustProfile`): what every
 * decision about the caller reads — the approval limit, `/me`, its preferences.
 */
export async function callerProfile(
  users: Pick<UserRepository, 'get'>,
  principal: Principal,
): Promise<{ stored?: Versioned<UserProfile>; mismatch?: ProfileMismatch }> {
  const stored = await users.get(principal.userId);
  const trust = trustProfile(stored?.value, principal);
  return trust.profile ? { stored: stored! } : trust.mismatch ? { mismatch: trust.mismatch } : {};
}

/**
 * `GET /me`: the stored profile, or what the token says when none is stored yet — or when the one
 * stored names another tenant or role (then `mismatch` says so, and nothing of it is shown).
 */
export async function getMe(deps: Pick<UserDeps, 'users' | 'clock'>, call: CallContext): Promise<Me> {
  const { stored, mismatch } = await callerProfile(deps.users, call.principal);
  if (stored) return { profile: stored.value, etag: stored.etag };
  return { profile: profileFromToken(call.principal, deps.clock.now().toISOString()), ...(mismatch ? { mismatch } : {}) };
}

/**
 * `PUT /me/preferences`: every user chooses its own channels and locale. A stored profile that
 * disagrees with the token is not written (409): the user cannot repair or overwrite what staff set,
 * and its answer would show another tenant's data.
 */
export async function updatePreferences(
  deps: Pick<UserDeps, 'users' | 'clock'>,
  call: CallContext,
  preferences: Preferences,
  ifMatch?: string,
): Promise<Versioned<UserProfile>> {
  const now = deps.clock.now().toISOString();
  const { stored, mismatch } = await callerProfile(deps.users, call.principal);
  if (mismatch)
    throw new ConflictError('your stored profile does not match your token (role or tenant); an administrator must correct it', {
      profileMismatch: mismatch,
    });
  const base = stored?.value ?? profileFromToken(call.principal, now);
  // Without If-Match the write is still conditional on what was just read, so a concurrent update
  // is never silently overwritten; with If-Match the client's version must be the current one.
  const condition = ifMatch ?? (stored ? stored.etag : null);
  return deps.users.put({ ...base, preferences, updatedAt: now }, condition);
}

/** What staff set on a profile; preferences stay the user's own. */
export type UpdateUserInput = Pick<
  UserProfile,
  'role' | 'clientId' | 'providerId' | 'name' | 'email' | 'phone' | 'approvalLimit' | 'approvalTier'
>;

/** `PUT /users/{userId}`: staff set a user's role, scope and contact data. Preferences are the user's. */
export async function updateUser(
  deps: UserDeps,
  call: CallContext,
  userId: string,
  input: UpdateUserInput,
  ifMatch?: string,
): Promise<{ profile: Versioned<UserProfile>; created: boolean }> {
  requireRole(call.principal, ['admin', 'operator'], 'manage users');
  const stored = await deps.users.get(userId);
  // Only administrators create or change administrators: an operator cannot escalate anyone.
  if (call.principal.role !== 'admin' && (input.role === 'admin' || stored?.value.role === 'admin')) {
    throw new ForbiddenError('only administrators manage administrators');
  }
  const problem = scopeProblem(input);
  if (problem) throw new InvalidInputError(problem, [{ field: input.role === 'client' ? 'clientId' : 'role', message: problem }]);
  const client = input.clientId ? await deps.clients.get(input.clientId) : undefined;
  if (input.clientId && !client) {
    throw new InvalidInputError('unknown client', [{ field: 'clientId', message: 'no such client' }]);
  }
  // A tier names one of the client's chain: a user of a tier that does not exist could never approve.
  if (input.approvalTier && !client?.value.approvalChain?.tiers.some((t) => t.id === input.approvalTier)) {
    throw new InvalidInputError('unknown approval tier', [
      { field: 'approvalTier', message: 'not a tier of the client’s approval chain' },
    ]);
  }
  // A WhatsApp number names one person: the conversation acts as that profile, in its tenant.
  if (input.phone && (await deps.users.withPhone(input.phone)).some((u) => u.userId !== userId)) {
    throw new ConflictError('this WhatsApp number belongs to another user', { field: 'phone' });
  }
  const profile: UserProfile = {
    userId,
    role: input.role,
    ...(input.clientId ? { clientId: input.clientId } : {}),
    ...(input.providerId ? { providerId: input.providerId } : {}),
    ...(input.name ? { name: input.name } : {}),
    ...(input.email ? { email: input.email } : {}),
    ...(input.phone ? { phone: input.phone } : {}),
    ...(input.approvalLimit ? { approvalLimit: input.approvalLimit } : {}),
    ...(input.approvalTier ? { approvalTier: input.approvalTier } : {}),
    preferences: stored?.value.preferences ?? DEFAULT_PREFERENCES,
    updatedAt: deps.clock.now().toISOString(),
  };
  const saved = await deps.users.put(profile, ifMatch ?? (stored ? stored.etag : null));
  return { profile: saved, created: !stored };
}

/**
 * The WhatsApp channel's view of the profiles: the one user whose profile carries the number. A
 * number found on two profiles (written before numbers were unique) names nobody — the sender is
 * treated as unknown rather than guessed into one of two tenants.
 */
export function phoneDirectory(users: Pick<UserRepository, 'withPhone'>): PhoneDirectory {
  return {
    async findByPhone(e164) {
      const holders = await users.withPhone(e164);
      return holders.length === 1 ? holders[0] : undefined;
    },
  };
}
