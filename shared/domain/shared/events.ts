import type { EventPayloads, EventType } from '../events/catalogue';

/**
 * A domain event as it travels through the outbox and the bus (CloudEvents-like envelope).
 * What each type carries is declared once, in the event catalogue (events/catalogue.ts).
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

/**
 * What the domain decides; the application adds id, time and correlation when it records the event.
 * A union over the catalogue, discriminated by `type`: a draft's `data` must be its type's payload.
 */
export type EventDraft<T extends EventType = EventType> = {
  readonly [K in T]: {
    readonly type: K;
    readonly subject: string;
    readonly dataVersion: number;
    readonly data: EventPayloads[K];
    /** Deliver no earlier than this instant (ISO-8601): deadlines and reminders. */
    readonly deliverAt?: string;
  };
}[T];
