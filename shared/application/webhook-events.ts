import { createHash } from 'node:crypto';
import type { Clock } from './ports';

/**
 * Partner webhooks, once each: an event is taken only while its sender could still be delivering
 * it (its own signed time inside the sender's window), and an event acted on is remembered by its
 * exact id for longer than that window, so no redelivery or replay can act twice. docs/decisions.md
 * ("Webhook windows") has the windows and where each comes from.
 */
export interface WebhookWindow {
  /** The consumer name its receipts are kept under (`processed-events`, `<receipts>:<event key>`). */
  readonly receipts: string;
  /** An event dated earlier than now − this is refused: the sender's retries are over by then. */
  readonly maxAgeSeconds: number;
  /** An event dated later than now + this is refused (clock skew between the sender and us). */
  readonly maxAheadSeconds: number;
  /**
   * How long an event acted on is remembered. Longer than `maxAgeSeconds + maxAheadSeconds`: an
   * event can be accepted at most that long after it is first seen, and it must be known all along.
   */
  readonly rememberSeconds: number;
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const WEBHOOK_WINDOWS = {
  /**
   * Jelou: the `message_event`'s `timestamp` (when the user wrote; inside the signed body). Jelou
   * documents one delivery attempt without retries (custom channel), and a WhatsApp message older
   * than 24 h is outside WhatsApp's customer-service window (no free-text reply is allowed).
   */
  jelou: { receipts: 'webhook-jelou', maxAgeSeconds: DAY, maxAheadSeconds: 5 * MINUTE, rememberSeconds: 7 * DAY },
  /**
   * DocuSign Connect: the message's `generatedDateTime` (inside the HMAC-signed body). Connect
   * retries an unacknowledged message up to ten times, at least 24 h apart: 15 days covers them.
   */
  docusign: { receipts: 'webhook-docusign', maxAgeSeconds: 15 * DAY, maxAheadSeconds: 5 * MINUTE, rememberSeconds: 30 * DAY },
} as const satisfies Record<string, WebhookWindow>;

/** Characters a Cosmos document id (and a Service Bus message id) holds without escaping. */
const SAFE_ID = /^[A-Za-z0-9._:=-]{1,100}$/;

/**
 * The sender's event id as a key that a document id can hold, without losing anything: the id
 * itself when it is short and plain (`id-<id>`), otherwise its SHA-256 (`sha256-<hex>`). Never
 * truncated or sanitised, so `wamid.X` and `wamid_X`, or two ids sharing their first 100
 * characters, are different keys; the two prefixes keep the forms from meeting.
 */
export function eventKey(eventId: string): string {
  return SAFE_ID.test(eventId) ? `id-${eventId}` : `sha256-${createHash('sha256').update(eventId, 'utf8').digest('hex')}`;
}

/** Why an event's time puts it outside the window, or undefined when it is inside. */
export function staleness(window: WebhookWindow, at: string, now: Date): string | undefined {
  const time = Date.parse(at);
  if (Number.isNaN(time)) return `the event's time ${JSON.stringify(at)} is not a date`;
  const ageSeconds = (now.getTime() - time) / 1000;
  if (ageSeconds > window.maxAgeSeconds)
    return `the event is from ${new Date(time).toISOString()}, older than the ${describe(window.maxAgeSeconds)} its sender may take to deliver it`;
  if (-ageSeconds > window.maxAheadSeconds)
    return `the event is dated ${new Date(time).toISOString()}, more than ${describe(window.maxAheadSeconds)} ahead of our clock`;
  return undefined;
}

function describe(seconds: number): string {
  if (seconds % DAY === 0) return seconds === DAY ? '24 hours' : `${seconds / DAY} days`;
  if (seconds % HOUR === 0) return `${seconds / HOUR} hours`;
  return `${seconds / MINUTE} minutes`;
}

export type WebhookOutcome<T> =
  /** Outside the sender's window: refused (400), nothing done. */
  | { readonly kind: 'stale'; readonly detail: string }
  /** Acted on before (the receipt is there): nothing done again. */
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'handled'; readonly result: T };

/**
 * Where webhook receipts are kept: the consumers' processed-events store (`CosmosProcessedEvents`),
 * one record per (receipts name, event key), each with its own time to live.
 */
export interface WebhookReceipts {
  has(consumer: string, eventKey: string): Promise<boolean>;
  record(consumer: string, eventKey: string, at: Date, ttlSeconds: number): Promise<void>;
}

export interface WebhookDeps {
  readonly receipts: WebhookReceipts;
  readonly clock: Clock;
}

/**
 * One partner event, at most once in effect: refused when stale; a duplicate when its receipt
 * exists; else `handle` runs, and when it says it acted the receipt is written — after the effect,
 * so a failure before it leaves nothing that would refuse the sender's retry (the effect itself is
 * idempotent for the race of two concurrent deliveries: the bus's message id, the order's state).
 */
export async function receiveOnce<T>(
  deps: WebhookDeps,
  window: WebhookWindow,
  event: { readonly id: string; readonly at: string },
  handle: () => Promise<{ readonly result: T; readonly acted: boolean }>,
): Promise<WebhookOutcome<T>> {
  const stale = staleness(window, event.at, deps.clock.now());
  if (stale) return { kind: 'stale', detail: stale };
  const key = eventKey(event.id);
  if (await deps.receipts.has(window.receipts, key)) return { kind: 'duplicate' };
  const { result, acted } = await handle();
  if (acted) await deps.receipts.record(window.receipts, key, deps.clock.now(), window.rememberSeconds);
  return { kind: 'handled', result };
}
