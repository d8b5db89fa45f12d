import { z } from 'zod';
import { ORDER_CHANNELS, PRIORITIES, SERVICE_CATEGORIES } from '../../domain/orders/order';
import type { DomainEvent } from '../../domain/shared/events';

/**
 * Every event type, its data schema and its version, in one place. Producers are typed by the
 * domain; consumers parse what arrives from the bus against this registry, so an unknown or
 * malformed event is refused with a reason instead of being half-handled.
 */
export const EVENT_REGISTRY = {
  'order.submitted': {
    version: 1,
    data: z.object({
      orderId: z.string(),
      clientId: z.string(),
      siteId: z.string(),
      category: z.enum(SERVICE_CATEGORIES),
      priority: z.enum(PRIORITIES),
      title: z.string(),
      requesterUserId: z.string(),
      channel: z.enum(ORDER_CHANNELS),
    }),
  },
} as const;

export type EventType = keyof typeof EVENT_REGISTRY;
export type EventData<T extends EventType> = z.infer<(typeof EVENT_REGISTRY)[T]['data']>;
export type TypedEvent<T extends EventType> = DomainEvent<T, EventData<T>>;

const envelope = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  source: z.string().min(1),
  subject: z.string().min(1),
  time: z.iso.datetime(),
  dataVersion: z.number().int().positive(),
  data: z.unknown(),
  correlationId: z.string().min(1),
  traceparent: z.string().optional(),
});

/** Why a message cannot be handled: it goes to the dead-letter queue with this reason. */
export class InvalidEventError extends Error {
  constructor(
    readonly reason: 'UnknownEventType' | 'InvalidEnvelope' | 'InvalidEventData' | 'UnsupportedVersion',
    detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'InvalidEventError';
  }
}

export function isKnownEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(EVENT_REGISTRY, type);
}

/** Validates a received body as a registered event of a version this code understands. */
export function parseEvent(body: unknown): TypedEvent<EventType> {
  const e = envelope.safeParse(body);
  if (!e.success)
    throw new InvalidEventError('InvalidEnvelope', e.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const type = e.data.type;
  if (!isKnownEventType(type)) throw new InvalidEventError('UnknownEventType', type);
  const def = EVENT_REGISTRY[type];
  if (e.data.dataVersion > def.version) throw new InvalidEventError('UnsupportedVersion', `${type} v${e.data.dataVersion}`);
  const data = def.data.safeParse(e.data.data);
  if (!data.success)
    throw new InvalidEventError(
      'InvalidEventData',
      `${type} v${e.data.dataVersion}: ${data.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return { ...e.data, type, data: data.data } as TypedEvent<EventType>;
}
