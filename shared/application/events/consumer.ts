import { UnavailableError } from '../errors';
import type { AppLogger } from '../ports';
import { parseEvent, type EventType, type TypedEvent } from './registry';

/** Which events a consumer has already handled: one record per (consumer, event id), with a TTL. */
export interface ProcessedEvents {
  has(consumer: string, eventId: string): Promise<boolean>;
  record(consumer: string, eventId: string, at: Date): Promise<void>;
}

export interface ConsumerContext {
  readonly logger: AppLogger;
  /** 1 on the first delivery of this message. */
  readonly deliveryCount: number;
}

export type EventHandlers = {
  [T in EventType]?: (event: TypedEvent<T>, ctx: ConsumerContext) => Promise<void>;
};

export interface DeliveryMeta {
  readonly deliveryCount: number;
  readonly messageId?: string;
}

/** The longest a failed message is held before it goes back to the bus (the lock is 60 s). */
export const MAX_HOLD_MS = 20_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long the failure asked us to wait: `UnavailableError.retryAfterSeconds`, or a partner's `retryAfterMs`. */
function retryDelayOf(err: unknown): number {
  if (err instanceof UnavailableError) return err.retryAfterSeconds * 1000;
  const ms = (err as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/**
 * Runs one delivered message through a consumer's handlers, once in effect: a message whose event
 * this consumer already handled is acknowledged without running anything. Handlers are written so
 * that a crash between their effect and the processed record does no harm on redelivery
 * (deterministic ids, conditional writes). An invalid or unknown event throws: the bus retries it
 * and dead-letters it after the maximum delivery count, with the error as the reason — never
 * dropped silently.
 */
export async function consume(
  consumer: string,
  body: unknown,
  meta: DeliveryMeta,
  deps: { processed: ProcessedEvents; logger: AppLogger; now: () => Date; sleep?: (ms: number) => Promise<void> },
  handlers: EventHandlers,
): Promise<'handled' | 'duplicate' | 'ignored'> {
  const event = parseEvent(body);
  const logger = deps.logger.child({
    consumer,
    eventId: event.id,
    eventType: event.type,
    correlationId: event.correlationId,
    ...(event.traceparent ? { traceparent: event.traceparent } : {}),
    deliveryCount: meta.deliveryCount,
  });
  const handler = handlers[event.type] as ((e: TypedEvent<EventType>, c: ConsumerContext) => Promise<void>) | undefined;
  if (!handler) {
    // The subscription filter delivered a type this consumer has no handler for: acknowledge it.
    logger.warn('no handler for event type; acknowledged without effect');
    return 'ignored';
  }
  if (await deps.processed.has(consumer, event.id)) {
    logger.info('event already handled; duplicate delivery acknowledged');
    return 'duplicate';
  }
  try {
    await handler(event, { logger, deliveryCount: meta.deliveryCount });
  } catch (err) {
    const holdMs = Math.min(retryDelayOf(err), MAX_HOLD_MS);
    logger.error('event handler failed; the bus will retry', { error: err, ...(holdMs ? { holdMs } : {}) });
    // A partner (or Cosmos) that said "not now" is given that time before the bus redelivers: the
    // bus itself redelivers at once, and ten quick failures would dead-letter a message that only
    // needed a minute. The hold stays well inside the message lock.
    if (holdMs > 0) await (deps.sleep ?? sleep)(holdMs);
    throw err;
  }
  await deps.processed.record(consumer, event.id, deps.now());
  logger.info('event handled');
  return 'handled';
}
