import { RETRY_PROPERTIES } from '../../application/events/retry';
import { FEED_WORKFLOW } from '../../application/workflows/feed';
import { NOTIFICATIONS_WORKFLOW } from '../../application/workflows/notifications';
import { ORDERS_WORKFLOW } from '../../application/workflows/orders';
import { PROVIDERS_WORKFLOW } from '../../application/workflows/providers';
import { eventTypesOf } from '../../application/workflows/workflow';

/**
 * The Service Bus topology in one definition: the topic every domain event goes to, and one
 * subscription per workflow with a SQL filter on the `type` application property — the event types
 * of the workflow's handler map (shared/application/workflows), never listed again here — and on `target`,
 * which only a workflow's re-sent copy of a failed message carries (docs/events.md, Retries): a copy
 * reaches the subscription it names and no other. The local transport uses it as it is; `infra/` is
 * checked against it.
 */
export const DOMAIN_EVENTS_TOPIC = 'domain-events';

export interface SubscriptionDefinition {
  readonly name: string;
  /** Event types delivered to this subscription (the SQL filter is derived from it). */
  readonly eventTypes: readonly string[];
  readonly maxDeliveryCount: number;
  readonly lockDurationSeconds: number;
  readonly deadLetteringOnMessageExpiration: true;
  /** Messages not consumed within this time expire (and are dead-lettered). */
  readonly defaultMessageTimeToLiveSeconds: number;
}

export interface TopologyDefinition {
  readonly topic: string;
  readonly duplicateDetectionWindowSeconds: number;
  readonly subscriptions: readonly SubscriptionDefinition[];
}

const common = {
  maxDeliveryCount: 10,
  lockDurationSeconds: 60,
  deadLetteringOnMessageExpiration: true,
  defaultMessageTimeToLiveSeconds: 14 * 24 * 3600,
} as const;

/** The workflows, each consuming its own subscription (notifications and the WhatsApp conversations are one bounded context, DESIGN 2.3–2.4). */
const WORKFLOWS = [ORDERS_WORKFLOW, PROVIDERS_WORKFLOW, NOTIFICATIONS_WORKFLOW, FEED_WORKFLOW] as const;

export const TOPOLOGY: TopologyDefinition = {
  topic: DOMAIN_EVENTS_TOPIC,
  duplicateDetectionWindowSeconds: 10 * 60,
  subscriptions: WORKFLOWS.map((w) => ({ name: w.subscription, eventTypes: eventTypesOf(w), ...common })),
};

/** The application property naming the one subscription a re-sent copy is for. */
const TARGET_PROPERTY = RETRY_PROPERTIES.target;

const quoted = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * The subscription's rule as Service Bus SQL (what infra/ provisions): its event types, and a
 * `target` that is absent (`IS NULL` is true for a property the message does not have) or names it.
 */
export function sqlFilter(sub: SubscriptionDefinition): string {
  if (sub.eventTypes.length === 0) return '1=0';
  return (
    `type IN (${sub.eventTypes.map(quoted).join(', ')}) AND ` +
    `(${TARGET_PROPERTY} IS NULL OR ${TARGET_PROPERTY} = ${quoted(sub.name)})`
  );
}

/** The subscriptions an event of this type goes to. */
export function subscriptionsFor(eventType: string, topology: TopologyDefinition = TOPOLOGY): SubscriptionDefinition[] {
  return topology.subscriptions.filter((s) => s.eventTypes.includes(eventType));
}

/** The subscriptions whose rule (`sqlFilter`) takes a message with these application properties: the local transport's routing. */
export function subscriptionsForMessage(
  applicationProperties: Readonly<Record<string, unknown>>,
  topology: TopologyDefinition = TOPOLOGY,
): SubscriptionDefinition[] {
  const target = applicationProperties[TARGET_PROPERTY];
  return subscriptionsFor(String(applicationProperties.type ?? ''), topology).filter(
    (s) => target === undefined || target === null || target === s.name,
  );
}
