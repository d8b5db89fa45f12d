import { z } from 'zod';
import { ORDER_CHANNELS, ORDER_STATUSES, PRIORITIES, SERVICE_CATEGORIES } from '../../domain/orders/order';
import type { EventPayloads } from '../../domain/events/catalogue';
import type { DomainEvent } from '../../domain/shared/events';
import type { SchemasFor } from '../schema-for';
import { SLA_CLOCKS } from '../../domain/orders/sla';
import { APPROVAL_SUBJECTS } from '../../domain/orders/approval-chain';
import { DOCUMENT_TYPES } from '../../domain/providers/documents';
import { PROVIDER_STATUSES, REMINDER_DAYS } from '../../domain/providers/provider';

/**
 * Every event type, its data schema and its version. The payloads are declared once, by the domain
 * (events/catalogue.ts), and producers are typed by it; consumers parse what arrives from the bus
 * against this registry, so an unknown or malformed event is refused with a reason instead of being
 * half-handled. Each schema is checked against the catalogue's payload at compile time.
 */
const orderProviderData = z.object({ orderId: z.string(), clientId: z.string(), providerId: z.string() });
const providerTransitionData = z.object({
  providerId: z.string(),
  action: z.string(),
  from: z.enum(PROVIDER_STATUSES),
  to: z.enum(PROVIDER_STATUSES),
  automatic: z.boolean(),
  reason: z.string().optional(),
});

const slaEventData = z.object({
  orderId: z.string(),
  clientId: z.string(),
  priority: z.enum(PRIORITIES),
  clock: z.enum(SLA_CLOCKS),
  dueAt: z.iso.datetime(),
  providerId: z.string().optional(),
});

const moneyData = z.object({ amount: z.number().int(), currency: z.string() });
const approvalData = z.object({
  orderId: z.string(),
  clientId: z.string(),
  subject: z.enum(APPROVAL_SUBJECTS),
  amount: moneyData,
  tierId: z.string().optional(),
  tierName: z.string().optional(),
  approvers: z.enum(['approval-limit', 'operators']).optional(),
  dueAt: z.iso.datetime().optional(),
});
const nteIncreaseData = orderProviderData.extend({
  amount: moneyData,
  previousAmount: moneyData,
  reason: z.string().optional(),
});

const registry = {
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
  'order.status-changed': {
    version: 1,
    data: z.object({
      orderId: z.string(),
      clientId: z.string(),
      action: z.string(),
      from: z.enum(ORDER_STATUSES),
      to: z.enum(ORDER_STATUSES),
      /** The order's version after the change (its history entry's `seq`); absent on events written before it was added. */
      version: z.number().int().positive().optional(),
      reason: z.string().optional(),
      providerId: z.string().optional(),
    }),
  },
  /** The contract gate: the Integrations issue turns it into a DocuSign envelope. */
  'order.contract-requested': {
    version: 1,
    data: orderProviderData.extend({ amount: z.object({ amount: z.number().int(), currency: z.string() }).optional() }),
  },
  /** Scheduled at `request-quotes` for the deadline: closes the round. */
  'order.quote-deadline-reached': {
    version: 1,
    data: z.object({ orderId: z.string(), clientId: z.string(), quoteDeadline: z.iso.datetime() }),
  },
  'order.quote-round-closed': {
    version: 1,
    data: z.object({ orderId: z.string(), clientId: z.string(), quoteCount: z.number().int().min(0) }),
  },
  /** A scheduled wake-up of the SLA watch: evaluate the order's clocks at `checkAt`. */
  'order.sla-check-due': {
    version: 1,
    data: z.object({ orderId: z.string(), clientId: z.string(), checkAt: z.iso.datetime() }),
  },
  'order.sla-at-risk': { version: 1, data: slaEventData },
  'order.sla-breached': { version: 1, data: slaEventData },
  // ---- order events the providers workflow consumes (produced by the order lifecycle) ----
  'order.quotes-requested': {
    version: 1,
    data: z.object({
      orderId: z.string(),
      clientId: z.string(),
      siteId: z.string(),
      category: z.enum(SERVICE_CATEGORIES),
      city: z.string(),
      title: z.string(),
      providerIds: z.array(z.string()).min(1),
      quoteDeadline: z.iso.datetime(),
    }),
  },
  'order.quote-submitted': { version: 1, data: orderProviderData },
  'order.quote-selected': { version: 1, data: orderProviderData },
  'order.work-completed': {
    version: 1,
    data: orderProviderData.extend({ onSiteOnTime: z.boolean(), resolvedOnTime: z.boolean() }),
  },
  'order.rated': { version: 1, data: orderProviderData.extend({ score: z.number().int().min(1).max(5) }) },
  'order.rework-requested': { version: 1, data: orderProviderData },
  // Issue 17, field and invoice controls
  'order.geofence-flagged': {
    version: 1,
    data: orderProviderData.extend({
      action: z.enum(['check-in', 'check-out']),
      distanceMeters: z.number().min(0),
      radiusMeters: z.number().positive(),
      reason: z.string(),
    }),
  },
  'order.invoice-approved': { version: 1, data: orderProviderData.extend({ automatic: z.boolean() }) },
  'order.invoice-held': { version: 1, data: orderProviderData.extend({ rules: z.array(z.string()), reason: z.string() }) },
  'order.invoice-rejected': { version: 1, data: orderProviderData.extend({ reason: z.string() }) },
  // ---- approval chains and NTE increases (issue 17) ----
  'order.approval-requested': { version: 1, data: approvalData },
  'order.approval-recorded': { version: 1, data: approvalData.extend({ userId: z.string() }) },
  'order.approval-escalated': { version: 1, data: approvalData.extend({ fromTierId: z.string() }) },
  'order.approval-escalation-due': {
    version: 1,
    data: z.object({ orderId: z.string(), clientId: z.string(), tierId: z.string(), dueAt: z.iso.datetime() }),
  },
  'order.nte-increase-requested': { version: 1, data: nteIncreaseData },
  'order.nte-increase-approved': { version: 1, data: nteIncreaseData },
  'order.nte-increase-rejected': { version: 1, data: nteIncreaseData },

  // ---- WhatsApp ----
  /** An inbound WhatsApp message, verified by the Jelou webhook and queued for the conversation. */
  'whatsapp.inbound-received': {
    version: 1,
    data: z.object({
      eventId: z.string().min(1),
      from: z.string().regex(/^\+[1-9]\d{6,14}$/),
      at: z.string(),
      kind: z.enum(['text', 'image', 'interactive', 'location', 'other']),
      location: z.object({ lat: z.number(), lon: z.number() }).optional(),
      text: z.string().optional(),
      mediaUrl: z.string().optional(),
      mediaContentType: z.string().optional(),
      buttonId: z.string().optional(),
    }),
  },

  // ---- providers ----
  'provider.registered': {
    version: 1,
    data: z.object({
      providerId: z.string(),
      legalName: z.string(),
      nit: z.string(),
      categories: z.array(z.enum(SERVICE_CATEGORIES)),
      cities: z.array(z.string()),
    }),
  },
  'provider.under-review': { version: 1, data: providerTransitionData },
  'provider.documents-incomplete': { version: 1, data: providerTransitionData },
  'provider.approved': { version: 1, data: providerTransitionData },
  'provider.rejected': { version: 1, data: providerTransitionData },
  'provider.suspended': { version: 1, data: providerTransitionData },
  'provider.reinstated': { version: 1, data: providerTransitionData },
  'provider.document-submitted': {
    version: 1,
    data: z.object({ providerId: z.string(), documentId: z.string(), documentType: z.enum(DOCUMENT_TYPES) }),
  },
  'provider.document-reviewed': {
    version: 1,
    data: z.object({
      providerId: z.string(),
      documentId: z.string(),
      documentType: z.enum(DOCUMENT_TYPES),
      decision: z.enum(['approve', 'reject']),
      reason: z.string().optional(),
    }),
  },
  'provider.document-expiring': {
    version: 1,
    data: z.object({
      providerId: z.string(),
      documentId: z.string(),
      documentType: z.enum(DOCUMENT_TYPES),
      expiresAt: z.iso.date(),
      daysLeft: z.number().int().min(0),
      reminder: z.union(REMINDER_DAYS.map((d) => z.literal(d))),
    }),
  },
  /** A scheduled wake-up of the compliance watch (reminder dates and the day after an expiry). */
  'provider.compliance-check-due': {
    version: 1,
    data: z.object({
      providerId: z.string(),
      documentId: z.string(),
      documentType: z.enum(DOCUMENT_TYPES),
      expiresAt: z.iso.date(),
    }),
  },

  // ---- client event feed ----
  'feed.lane-due': {
    version: 1,
    data: z.object({ clientId: z.string(), endpointId: z.string(), orderId: z.string() }),
  },
  'feed.endpoint-disabled': {
    version: 1,
    data: z.object({ clientId: z.string(), endpointId: z.string(), url: z.string(), failingSince: z.iso.datetime() }),
  },
  'plan.provider-ineligible': {
    version: 1,
    data: z.object({
      planId: z.string(),
      orderId: z.string(),
      clientId: z.string(),
      providerId: z.string(),
      reason: z.string(),
    }),
  },
} as const;

type DataSchemas<R> = { readonly [K in keyof R]: R[K] extends { readonly data: infer S } ? S : never };
/** The data schema of every event type parses exactly the catalogue's payload (compile time). */
export const EVENT_REGISTRY = registry satisfies {
  readonly [K in keyof EventPayloads]: {
    readonly version: number;
    readonly data: SchemasFor<EventPayloads, DataSchemas<typeof registry>>[K];
  };
};

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
  deliverAt: z.iso.datetime().optional(),
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
