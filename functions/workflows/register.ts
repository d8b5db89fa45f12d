import { app, type InvocationContext } from '@azure/functions';
import { consume, type EventHandlers } from '../../shared/application/events/consumer';
import { DOMAIN_EVENTS_TOPIC, TOPOLOGY } from '../../shared/adapters/servicebus/topology';
import { getRoot } from '../composition-root';

/**
 * Registers a workflow: a Service Bus topic trigger on its subscription that runs each message
 * through the consumer framework (parse against the registry, skip what was already handled,
 * dispatch by type). Idempotency is given here once, to every handler.
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
        { deliveryCount: Number(meta.deliveryCount ?? 1), messageId: String(meta.messageId ?? '') },
        {
          processed: await root.processedEvents(),
          logger: root.logger.child({ invocationId: context.invocationId }),
          now: () => root.clock.now(),
          // Unset in Azure and under `npm start`: the consumer's own timer (at most MAX_HOLD_MS).
          ...(root.holdFailedMessage ? { sleep: root.holdFailedMessage } : {}),
        },
        await handlers(),
      );
    },
  });
}
