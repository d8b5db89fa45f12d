import { app, type InvocationContext } from '@azure/functions';
import { DOMAIN_EVENTS_TOPIC, TOPOLOGY } from '../../shared/adapters/servicebus/topology';
import { handlersOf, type Workflow } from '../../shared/application/workflows/workflow';
import { activeTraceparent } from '../../shared/platform/telemetry';
import { consumeMessage } from '../wiring';

/**
 * Registers a workflow: a Service Bus topic trigger on its subscription that runs each message
 * through the consumer framework (parse against the registry, skip what was already handled,
 * dispatch by type, re-send a "not now" failure as a scheduled message). Idempotency and retries are
 * given here once, to every handler; the handlers are the workflow's map, bound to its ports.
 */
export function registerWorkflow<P>(workflow: Workflow<P>, ports: P): void {
  const { subscription } = workflow;
  const definition = TOPOLOGY.subscriptions.find((s) => s.name === subscription);
  if (!definition) throw new Error(`unknown subscription ${subscription}`);
  const handlers = handlersOf(workflow, ports);
  app.serviceBusTopic(`${subscription}-consumer`, {
    connection: 'SERVICEBUS',
    topicName: DOMAIN_EVENTS_TOPIC,
    subscriptionName: subscription,
    handler: async (message: unknown, context: InvocationContext) => {
      const meta = context.triggerMetadata ?? {};
      await consumeMessage(
        subscription,
        message,
        {
          deliveryCount: Number(meta.deliveryCount ?? 1),
          messageId: String(meta.messageId ?? ''),
          applicationProperties: propertiesOf(meta.applicationProperties ?? meta.userProperties),
          maxDeliveryCount: definition.maxDeliveryCount,
          ...enqueuedOf(meta.enqueuedTimeUtc),
          // The invocation's span: the host's, a child of the message's `Diagnostic-Id`.
          ...traceOf(context),
        },
        context.invocationId,
        handlers,
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

/** The trigger's `EnqueuedTimeUtc` (an ISO string in the metadata), when it is a valid time. */
function enqueuedOf(value: unknown): { enqueuedTimeUtc?: Date } {
  const at = typeof value === 'string' || value instanceof Date ? new Date(value) : undefined;
  return at && !Number.isNaN(at.getTime()) ? { enqueuedTimeUtc: at } : {};
}

/** The active span's trace context (telemetry on), else the one the host gave the invocation. */
function traceOf(context: InvocationContext): { traceparent?: string } {
  const traceparent = activeTraceparent() ?? context.traceContext?.traceParent;
  return traceparent ? { traceparent } : {};
}
