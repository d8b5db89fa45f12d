import type { AppLogger } from '../ports';
import type { MessagePublisher } from '../messaging';
import { parseEvent, type EventType, type TypedEvent } from './registry';
import {
  attemptOf,
  newRetryChain,
  RETRY_PROPERTIES,
  RETRY_SCHEDULE,
  requestedDelayMs,
  retryDelayMs,
  retryMessage,
  type RetrySchedule,
} from './retry';

/** Which events a consumer has already handled: one record per (consumer, event id), with a TTL. */
export interface ProcessedEvents {
  has(consumer: string, eventId: string): Promise<boolean>;
  /** `ttlSeconds`: this record's own lifetime instead of the container's (webhook receipts). */
  record(consumer: string, eventId: string, at: Date, ttlSeconds?: number): Promise<void>;
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
  /** The message's application properties: a re-sent copy carries its `attempt` and `retryChain` there. */
  readonly applicationProperties?: Readonly<Record<string, unknown>>;
  /**
   * The W3C trace context of this delivery's invocation (a child of the span that sent the
   * message). The events a handler records carry it, so they continue this trace as children of
   * the delivery rather than of the request that recorded the delivered event.
   */
  readonly traceparent?: string;
  /** The subscription's maximum delivery count: a failure on that delivery dead-letters the message. */
  readonly maxDeliveryCount?: number;
  /** When the bus accepted the message (the trigger's `EnqueuedTimeUtc`); the delivery lag is measured from it. */
  readonly enqueuedTimeUtc?: Date;
}

/** What the consumer counts (docs/operations.md, "Metrics"). */
export interface ConsumerMetrics {
  /** This delivery failed and was the last: the bus dead-letters the message. */
  deadLettered(attributes: { readonly consumer: string; readonly eventType: string }): void;
  /** A first delivery came `lagSeconds` after the message was due (`deliveryLagSeconds`). */
  messageDelivered?(attributes: { readonly consumer: string; readonly lagSeconds: number }): void;
}

/**
 * How late a first delivery is: from when the message was due — enqueued, or the event's
 * `deliverAt` for a scheduled wake-up (an SLA check, a deadline), whichever is later — to `now`.
 * Service Bus has no metric for the age of a subscription's oldest message
 * (learn.microsoft.com/azure/service-bus-messaging/monitor-service-bus-reference lists counts
 * only), so this is how message age is seen: a subscription whose consumer falls behind delivers
 * late. Undefined when the transport gave no enqueued time.
 */
export function deliveryLagSeconds(
  enqueuedTimeUtc: Date | undefined,
  deliverAt: string | undefined,
  now: Date,
): number | undefined {
  if (!enqueuedTimeUtc || Number.isNaN(enqueuedTimeUtc.getTime())) return undefined;
  const scheduled = deliverAt ? Date.parse(deliverAt) : Number.NaN;
  const due = Number.isNaN(scheduled) ? enqueuedTimeUtc.getTime() : Math.max(enqueuedTimeUtc.getTime(), scheduled);
  return Math.max(0, (now.getTime() - due) / 1000);
}

/** How a "not now" failure goes back to the bus: a scheduled copy through the publisher, on this schedule. */
export interface RetryDeps {
  readonly publisher: MessagePublisher;
  readonly schedule?: RetrySchedule;
  /** In [0, 1), for the jitter (Math.random unless a test fixes it). */
  readonly random?: () => number;
}

/**
 * Runs one delivered message through a consumer's handlers, once in effect: a message whose event
 * this consumer already handled is acknowledged without running anything. Handlers are written so
 * that a crash between their effect and the processed record does no harm on redelivery
 * (deterministic ids, conditional writes).
 *
 * A handler that fails with "not now" (a partner's `Retry-After`, an open circuit,
 * `UnavailableError`) is retried without waiting here: a copy of the event is sent to the topic as a
 * scheduled message for this subscription only (`retryMessage`), after the schedule's backoff or
 * the time the failure asked for when longer, and the delivered message is completed
 * ('rescheduled'). On the schedule's last attempt the failure is thrown instead, so the bus
 * dead-letters the copy after its deliveries. Any other failure, and an invalid or unknown event,
 * throws: the bus redelivers the message and dead-letters it after the maximum delivery count, with
 * the error as the reason — never dropped silently.
 */
export async function consume(
  consumer: string,
  body: unknown,
  meta: DeliveryMeta,
  deps: { processed: ProcessedEvents; logger: AppLogger; now: () => Date; retry: RetryDeps; metrics?: ConsumerMetrics },
  handlers: EventHandlers,
): Promise<'handled' | 'duplicate' | 'ignored' | 'rescheduled'> {
  const parsed = parseEvent(body);
  const event = meta.traceparent ? { ...parsed, traceparent: meta.traceparent } : parsed;
  const attempt = attemptOf(meta.applicationProperties);
  // Only the first delivery of the original message: a redelivery's or a re-sent copy's wait is the
  // retry schedule's, not the subscription falling behind.
  if (meta.deliveryCount === 1 && attempt === 1) {
    const lagSeconds = deliveryLagSeconds(meta.enqueuedTimeUtc, event.deliverAt, deps.now());
    if (lagSeconds !== undefined) deps.metrics?.messageDelivered?.({ consumer, lagSeconds });
  }
  const logger = deps.logger.child({
    consumer,
    eventId: event.id,
    eventType: event.type,
    correlationId: event.correlationId,
    deliveryCount: meta.deliveryCount,
    ...(attempt > 1 ? { attempt } : {}),
  });
  const handler = handlers[event.type] as ((e: TypedEvent<EventType>, c: ConsumerContext) => Promise<void>) | undefined;
  if (!handler) {
    // The subscription filter delivered a type this consumer has no handler for: acknowledge it.
    logger.warn('no handler for event type; acknowledged without effect');
    return 'ignored';
  }
  // Every copy of an event (redelivery, re-sent attempt, replay) has the same event id.
  if (await deps.processed.has(consumer, event.id)) {
    logger.info('event already handled; duplicate delivery acknowledged');
    return 'duplicate';
  }
  try {
    await handler(event, { logger, deliveryCount: meta.deliveryCount });
  } catch (err) {
    const requested = requestedDelayMs(err);
    const schedule = deps.retry.schedule ?? RETRY_SCHEDULE;
    const lastDelivery = meta.maxDeliveryCount !== undefined && meta.deliveryCount >= meta.maxDeliveryCount;
    if (requested <= 0) {
      logger.error('event handler failed; the bus will redeliver it', { error: err });
      if (lastDelivery) deps.metrics?.deadLettered({ consumer, eventType: event.type });
      throw err;
    }
    if (attempt >= schedule.maxAttempts) {
      logger.error('event handler failed on the last attempt; the bus dead-letters the message after its deliveries', {
        error: err,
        maxAttempts: schedule.maxAttempts,
      });
      if (lastDelivery) deps.metrics?.deadLettered({ consumer, eventType: event.type });
      throw err;
    }
    const delayMs = retryDelayMs(attempt, requested, schedule, deps.retry.random);
    const at = new Date(deps.now().getTime() + delayMs);
    const chainProperty = meta.applicationProperties?.[RETRY_PROPERTIES.chain];
    const chain = typeof chainProperty === 'string' && chainProperty ? chainProperty : newRetryChain();
    const reason = err instanceof Error ? err.message : String(err);
    try {
      await deps.retry.publisher.publish([retryMessage(event, consumer, attempt + 1, chain, at, reason)]);
    } catch (sendError) {
      // The copy could not be sent: the bus redelivers this message instead, at once.
      logger.error('event handler failed and its retry could not be scheduled; the bus will redeliver it', {
        error: err,
        sendError,
      });
      throw err;
    }
    logger.warn('event handler failed with "not now"; retry scheduled', {
      error: err,
      nextAttempt: attempt + 1,
      delayMs,
      retryAt: at.toISOString(),
    });
    return 'rescheduled';
  }
  await deps.processed.record(consumer, event.id, deps.now());
  logger.info('event handled');
  return 'handled';
}
