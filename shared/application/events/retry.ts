import { randomUUID } from 'node:crypto';
import type { DomainEvent } from '../../domain/shared/events';
import { UnavailableError } from '../errors';
import { messageFor, type OutgoingMessage } from '../messaging';

/**
 * Retrying a workflow message that failed with "not now" (a partner's `Retry-After`, an open
 * circuit, `UnavailableError`) without waiting inside the function: the consumer completes the
 * message and sends a copy to the topic as a scheduled message, addressed to its own subscription
 * only (`target`), with the attempt counted in an application property. Service Bus cannot delay a
 * redelivery (an abandoned message comes back at once) and the Functions runtime's retry policies do
 * not cover the Service Bus trigger; see docs/events.md, Retries.
 */
export interface RetrySchedule {
  /** Attempts in all, the first delivery included; after the last one the bus dead-letters the message. */
  readonly maxAttempts: number;
  /** The wait before the second attempt; each further attempt waits twice the previous one… */
  readonly firstDelayMs: number;
  /** …up to this. */
  readonly maxDelayMs: number;
  /** A partner's `Retry-After` (or a circuit's time to half-open) longer than the backoff is waited instead, up to this. */
  readonly maxRetryAfterMs: number;
  /** Up to this share of the wait is added at random, so messages that failed together do not all return together. */
  readonly jitter: number;
}

/** 10 attempts, 5 s × 2ⁿ capped at 10 min (5, 10, 20, 40, 80, 160, 320, 600, 600 s: about 31 min in all). */
export const RETRY_SCHEDULE: RetrySchedule = {
  maxAttempts: 10,
  firstDelayMs: 5_000,
  maxDelayMs: 10 * 60_000,
  maxRetryAfterMs: 60 * 60_000,
  jitter: 0.1,
};

/** The application properties of a re-sent copy. */
export const RETRY_PROPERTIES = {
  /** The subscription the copy is for; every subscription's rule lets it through only when it names itself. */
  target: 'target',
  /** Which attempt the copy is (2 for the first re-send); absent on the original message = 1. */
  attempt: 'attempt',
  /** One id per chain of re-sends, so a later chain (after a replay) never meets duplicate detection. */
  chain: 'retryChain',
  /** The failure that made the consumer send this copy (shown with a dead-lettered copy). */
  reason: 'retryReason',
} as const;

/**
 * A new chain id: `c` and 7 hex digits. It starts with a letter because the Node.js worker tries
 * JSON on every string of the trigger metadata: an id of digits alone would arrive as a number.
 */
export function newRetryChain(): string {
  return `c${randomUUID().replace(/-/g, '').slice(0, 7)}`;
}

/** How long the failure asked to wait: `UnavailableError.retryAfterSeconds` or a partner's `retryAfterMs`; 0 = not a "not now". */
export function requestedDelayMs(err: unknown): number {
  if (err instanceof UnavailableError) return err.retryAfterSeconds * 1000;
  const ms = (err as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/** The attempt a delivered message is: its `attempt` property, 1 when absent or unreadable. */
export function attemptOf(applicationProperties: Readonly<Record<string, unknown>> | undefined): number {
  const n = Number(applicationProperties?.[RETRY_PROPERTIES.attempt]);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/**
 * The wait before the attempt after `failedAttempt` (1-based): the backoff, or the time the failure
 * asked for when that is longer (up to `maxRetryAfterMs`), plus jitter. `random` is in [0, 1).
 */
export function retryDelayMs(
  failedAttempt: number,
  requestedMs: number,
  schedule: RetrySchedule = RETRY_SCHEDULE,
  random: () => number = Math.random,
): number {
  const backoff = Math.min(schedule.maxDelayMs, schedule.firstDelayMs * 2 ** Math.max(0, failedAttempt - 1));
  const wait = Math.max(backoff, Math.min(requestedMs, schedule.maxRetryAfterMs));
  return Math.round(wait + wait * schedule.jitter * random());
}

/**
 * The copy of `event` for `subscription`'s attempt `attempt`, due at `at`. Its messageId differs from
 * the event id (the topic's duplicate detection would drop it) and from every other copy:
 * `<event id>:retry:<subscription>:<attempt>:<chain>`; the event id inside stays the same, so the
 * consumer's processed-event record treats every copy as the same event.
 */
export function retryMessage(
  event: DomainEvent,
  subscription: string,
  attempt: number,
  chain: string,
  at: Date,
  reason: string,
): OutgoingMessage {
  const base = messageFor(event, at);
  return {
    ...base,
    messageId: `${event.id}:retry:${subscription}:${attempt}:${chain}`,
    applicationProperties: {
      ...base.applicationProperties,
      [RETRY_PROPERTIES.target]: subscription,
      [RETRY_PROPERTIES.attempt]: attempt,
      [RETRY_PROPERTIES.chain]: chain,
      [RETRY_PROPERTIES.reason]: reason.slice(0, 300),
    },
    scheduledEnqueueTime: at,
  };
}
