import { TOPOLOGY } from '../../shared/adapters/servicebus/topology';
import type { Logger } from '../../shared/platform/logger';
import type { Registration } from '../functions-core';
import { invocationContext } from '../triggers/invocation';
import type { LocalBus } from './local-bus';

/**
 * Binds every `serviceBusTrigger` registration on the domain-events topic to its subscription on
 * the local bus and calls it as the host does for cardinality "one": the message body first, the
 * delivery facts in `context.triggerMetadata`. A handler that throws abandons the message.
 */
export function bindServiceBusTriggers(bus: LocalBus, registrations: readonly Registration[], logger: Logger): string[] {
  const bound: string[] = [];
  for (const r of registrations) {
    if (r.trigger.type !== 'serviceBusTrigger') continue;
    if (r.trigger.topicName !== TOPOLOGY.topic) throw new Error(`${r.name}: the local bus has only the topic ${TOPOLOGY.topic}`);
    const subscription = String(r.trigger.subscriptionName);
    bus.consume(subscription, async (m) => {
      const context = invocationContext(r, logger, {
        messageId: m.messageId,
        deliveryCount: m.deliveryCount,
        enqueuedTimeUtc: m.enqueuedTimeUtc?.toISOString(),
        applicationProperties: m.applicationProperties,
        correlationId: m.applicationProperties.correlationId,
      });
      await r.handler(m.body, context);
    });
    bound.push(r.name);
  }
  return bound;
}
