/**
 * A domain event as it travels through the outbox and the bus (CloudEvents-like envelope).
 * The registry of event types and their schemas grows with the event spine; this is the envelope.
 */
export interface DomainEvent<TType extends string = string, TData = unknown> {
  readonly id: string;
  readonly type: TType;
  /** The bounded context that emitted it, e.g. `algesta/orders`. */
  readonly source: string;
  /** The aggregate id. */
  readonly subject: string;
  readonly time: string;
  readonly dataVersion: number;
  readonly data: TData;
  readonly correlationId: string;
  /** W3C trace context of the operation that emitted the event. */
  readonly traceparent?: string;
  /** Deliver no earlier than this (a deadline or reminder): the relay schedules the message. */
  readonly deliverAt?: string;
}

/** What the domain decides; the application adds id, time and correlation when it records the event. */
export interface EventDraft<TType extends string = string, TData = unknown> {
  readonly type: TType;
  readonly subject: string;
  readonly dataVersion: number;
  readonly data: TData;
  /** Deliver no earlier than this instant (ISO-8601): deadlines and reminders. */
  readonly deliverAt?: string;
}
