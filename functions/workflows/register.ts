import { app, type InvocationContext } from '@azure/functions';
import { consume, type EventHandlers } from '../../shared/application/events/consumer';
import { DOMAIN_EVENTS_TOPIC, TOPOLOGY } from '../../shared/adapters/servicebus/topology';
import { getRoot } from '../composition-root';

/**
 * Registers a workflow: a Service Bus topic trigger on its subscription that runs each message
 * through the consumer framework (parse against the registry, skip what was already handled,
 * dispatch by type, re-send a "not now" failure as a scheduled message). Idempotency and retries are
 * given here once, to every handler.
 */
export function registerWorkflow(subscription: string, handlers: () => Promise<EventHandlers>): void {
  if (!TOPOLOGY.subscriptions.some((s) => s.name === subscription)) throw new Error(`unknown subscription ${subscription}`);
  app.serviceBusTopic(`${subscription}-consumer`, {
    connection: 'SERVICEBUS',
    topicName: DOMAIN_EVENTS_TOPIC,
    subscriptionName: subscription,
    handler: async (message: unknown, context: InvocationContext) => {
      const root = getRoot();
      const meta = context.triggerMetadata ?? {};
      await consume(
        subscription,
        message,
        {
          deliveryCount: Number(meta.deliveryCount ?? 1),
          messageId: String(meta.messageId ?? ''),
          applicationProperties: propertiesOf(meta.applicationProperties ?? meta.userProperties),
        },
        {
          processed: await root.processedEvents(),
          logger: root.logger.child({ invocationId: context.invocationId }),
          now: () => root.clock.now(),
          retry: {
            // The publisher is created on the first retry only.
            publisher: { publish: async (messages) => (await root.publisher()).publish(messages) },
            // Unset in Azure and under `npm start`: the consumer's RETRY_SCHEDULE.
            ...(root.retrySchedule ? { schedule: root.retrySchedule() } : {}),
          },
        },
        await handlers(),
      );
    },
  });
}

/** The trigger's application properties: an object, or its JSON text. */
function propertiesOf(value: unknown): Record<string, unknown> {
  if (typeof value === 'string') {
    try {
      return propertiesOf(JSON.parse(value));
    } catch {
      return {};
    }
  }
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
