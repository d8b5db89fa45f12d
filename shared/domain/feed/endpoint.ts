import { classifyAddress, isIpLiteral } from './address';

/**
 * A client's webhook endpoint (the client event feed, docs/webhooks.md): where the client's order
 * events are posted, which types it wants, and the secrets that sign them. Pure rules: URL checks,
 * secret rotation with an overlap, and the health rule that disables an endpoint failing for 24 h.
 */
export const ENDPOINT_STATUSES = ['active', 'disabled'] as const;
export type EndpointStatus = (typeof ENDPOINT_STATUSES)[number];

export interface EndpointSecret {
  readonly id: string;
  readonly value: string;
  readonly createdAt: string;
  /** After this instant the secret no longer signs (set on rotation: the overlap's end). */
  readonly notAfter?: string;
}

export interface WebhookEndpoint {
  readonly id: string;
  readonly clientId: string;
  readonly url: string;
  readonly description?: string;
  /** The order event types it receives; `all` = every order event, present and future. */
  readonly eventTypes: 'all' | readonly string[];
  readonly status: EndpointStatus;
  /** Why it is disabled: by a user, or by the platform after failing for 24 h. */
  readonly disabledReason?: 'manual' | 'failing';
  /** The first failed attempt of the current run of failures; cleared by a success. */
  readonly failingSince?: string;
  readonly secrets: readonly EndpointSecret[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** An endpoint failing continuously this long is disabled and the client's admins are told. */
export const DISABLE_AFTER_FAILING_MS = 24 * 3_600_000;
/** The default and longest overlap of a rotated secret. */
export const DEFAULT_ROTATION_OVERLAP_HOURS = 24;
export const MAX_ROTATION_OVERLAP_HOURS = 7 * 24;
export const MAX_URL_LENGTH = 2048;

export interface UrlRules {
  /** The embedded stack's own tests only (WEBHOOK_ALLOW_PRIVATE_TARGETS): plain http and private addresses. */
  readonly allowPrivateTargets: boolean;
}

/**
 * What is wrong with an endpoint URL, or undefined. HTTPS only, no credentials in it (they would be
 * logged and shown), no fragment, and an IP literal must be public. A name is resolved and checked
 * at every attempt by the adapter (a name may point anywhere later: DNS rebinding).
 */
export function urlProblem(text: string, rules: UrlRules): string | undefined {
  if (text.length > MAX_URL_LENGTH) return `at most ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not an absolute URL';
  }
  const schemes = rules.allowPrivateTargets ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) return 'must be an https URL';
  if (url.username || url.password) return 'must not contain credentials';
  if (url.hash) return 'must not contain a fragment';
  if (!url.hostname) return 'must name a host';
  if (isIpLiteral(url.hostname)) {
    const cls = classifyAddress(url.hostname);
    if (cls !== 'public' && !rules.allowPrivateTargets) return `must be a public address (${url.hostname} is ${cls})`;
  } else if (!url.hostname.includes('.') && !rules.allowPrivateTargets) {
    // `localhost`, `metadata`, a bare intranet name: never a public internet host.
    return 'must be a public host name (with a domain)';
  }
  return undefined;
}

/** Whether the endpoint takes events of this type. */
export function wants(endpoint: Pick<WebhookEndpoint, 'eventTypes' | 'status'>, eventType: string): boolean {
  return endpoint.status === 'active' && (endpoint.eventTypes === 'all' || endpoint.eventTypes.includes(eventType));
}

/** The secrets that sign at `now`: every one without an end, or whose end is still ahead. */
export function signingSecrets(endpoint: Pick<WebhookEndpoint, 'secrets'>, now: Date): EndpointSecret[] {
  return endpoint.secrets.filter((s) => s.notAfter === undefined || Date.parse(s.notAfter) > now.getTime());
}

/**
 * A rotation: the new secret signs from now on; every secret that signed so far keeps signing until
 * `now + overlapHours` (a receiver that has not switched yet still verifies), expired ones are dropped.
 */
export function rotateSecret(
  endpoint: WebhookEndpoint,
  secret: Omit<EndpointSecret, 'notAfter' | 'createdAt'>,
  now: Date,
  overlapHours: number,
): WebhookEndpoint {
  const end = new Date(now.getTime() + overlapHours * 3_600_000).toISOString();
  const kept = signingSecrets(endpoint, now).map((s) =>
    s.notAfter === undefined || Date.parse(s.notAfter) > Date.parse(end) ? { ...s, notAfter: end } : s,
  );
  return {
    ...endpoint,
    secrets: [...kept, { ...secret, createdAt: now.toISOString() }],
    updatedAt: now.toISOString(),
  };
}

/** What an attempt's outcome does to the endpoint's health. */
export interface HealthChange {
  readonly endpoint: WebhookEndpoint;
  /** True when this outcome disabled it (failing for `DISABLE_AFTER_FAILING_MS`): tell the client's admins. */
  readonly disabledNow: boolean;
}

export function recordHealth(endpoint: WebhookEndpoint, succeeded: boolean, now: Date): HealthChange {
  if (succeeded) {
    if (endpoint.failingSince === undefined) return { endpoint, disabledNow: false };
    const { failingSince: _cleared, ...rest } = endpoint;
    return { endpoint: { ...rest, updatedAt: now.toISOString() }, disabledNow: false };
  }
  const failingSince = endpoint.failingSince ?? now.toISOString();
  const disable = endpoint.status === 'active' && now.getTime() - Date.parse(failingSince) >= DISABLE_AFTER_FAILING_MS;
  return {
    endpoint: {
      ...endpoint,
      failingSince,
      ...(disable ? { status: 'disabled' as const, disabledReason: 'failing' as const } : {}),
      updatedAt: now.toISOString(),
    },
    disabledNow: disable,
  };
}

/** Enabling or disabling by a user. Enabling forgets the failures (a fresh 24 h). */
export function setStatus(endpoint: WebhookEndpoint, status: EndpointStatus, now: Date): WebhookEndpoint {
  const { failingSince: _f, disabledReason: _r, ...rest } = endpoint;
  return status === 'active'
    ? { ...rest, status, updatedAt: now.toISOString() }
    : { ...rest, status, disabledReason: 'manual', updatedAt: now.toISOString() };
}
