import type { DomainEvent } from '../domain/shared/events';

/**
 * The bus as the application sees it: events go out to the `domain-events` topic, each workflow
 * receives the types its subscription filters in. Azure: Service Bus. Locally: a durable transport
 * with the same delivery semantics (local/bus).
 */
export interface OutgoingMessage {
  /** = event id: the bus drops a second message with the same id (duplicate detection). */
  readonly messageId: string;
  readonly body: DomainEvent;
  /** `type`, `subject`, `correlationId`: what subscription filters and operators see. */
  readonly applicationProperties: Readonly<Record<string, string | number | boolean>>;
  readonly correlationId?: string;
  /** Deliver no earlier than this (deadlines, reminders). */
  readonly scheduledEnqueueTime?: Date;
}

export interface MessagePublisher {
  publish(messages: readonly OutgoingMessage[]): Promise<void>;
}

/** The message as a consumer's handler gets it (both transports). */
export interface ReceivedMessage {
  readonly messageId: string;
  readonly body: unknown;
  readonly applicationProperties: Readonly<Record<string, unknown>>;
  /** 1 on the first delivery. */
  readonly deliveryCount: number;
  readonly enqueuedTimeUtc?: Date;
}

/** Builds the message for an event: the one place that says how an event travels. */
export function messageFor(
  event: DomainEvent,
  scheduledEnqueueTime: Date | undefined = event.deliverAt ? new Date(event.deliverAt) : undefined,
): OutgoingMessage {
  return {
    messageId: event.id,
    body: event,
    applicationProperties: { type: event.type, subject: event.subject, correlationId: event.correlationId },
    correlationId: event.correlationId,
    ...(scheduledEnqueueTime ? { scheduledEnqueueTime } : {}),
  };
}
