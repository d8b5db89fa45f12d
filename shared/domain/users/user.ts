import type { Role } from '../access/principal';
import type { Money } from '../shared/money';

export const CHANNELS = ['email', 'whatsapp'] as const;
export type Channel = (typeof CHANNELS)[number];
export const LOCALES = ['es-CO', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

export interface Preferences {
  readonly channels: readonly Channel[];
  readonly locale: Locale;
}

export const DEFAULT_PREFERENCES: Preferences = { channels: ['email'], locale: 'es-CO' };

/**
 * The platform's record of a user. Tokens authorize HTTP calls; the profile carries what tokens do
 * not: contact data, the client approval limit and notification preferences, and the role and scope
 * used where no token exists (WhatsApp, notification recipients).
 */
export interface UserProfile {
  readonly userId: string;
  readonly role: Role;
  readonly clientId?: string;
  readonly providerId?: string;
  readonly name?: string;
  readonly email?: string;
  /** E.164, used to recognise the user on WhatsApp. */
  readonly phone?: string;
  /** Clients only: the highest quote amount this user may approve. */
  readonly approvalLimit?: Money;
  /** Clients only: the tier of the client's approval chain this user approves for (issue 17). */
  readonly approvalTier?: string;
  readonly preferences: Preferences;
  readonly updatedAt: string;
}

/** Role and scope must agree: a client user has a client, a provider user a provider, staff neither. */
export function scopeProblem(
  p: Pick<UserProfile, 'role' | 'clientId' | 'providerId' | 'approvalLimit' | 'approvalTier'>,
): string | undefined {
  if (p.role === 'client' && !p.clientId) return 'a client user needs clientId';
  if (p.role !== 'client' && p.clientId) return 'only client users have a clientId';
  if (p.role === 'provider' && !p.providerId) return 'a provider user needs providerId';
  if (p.role !== 'provider' && p.providerId) return 'only provider users have a providerId';
  if (p.role !== 'client' && p.approvalLimit) return 'only client users have an approval limit';
  if (p.role !== 'client' && p.approvalTier) return 'only client users have an approval tier';
  return undefined;
}
