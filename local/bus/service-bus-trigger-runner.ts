import { DIAGNOSTIC_ID } from '../../shared/adapters/servicebus/message-trace';
import { TOPOLOGY } from '../../shared/adapters/servicebus/topology';
import type { Logger } from '../../shared/platform/logger';
import { currentFunctionsCore, type FunctionsCoreShim, type Registration } from '../functions-core';
import { invocationRequest, invokeAsWorker, withHostSpan } from '../worker/invoke';
import { logToLogger } from '../worker/log';
import { serviceBusInvocation } from '../worker/trigger-data';
import type { LocalBus } from './local-bus';

/**
 * Binds every `serviceBusTrigger` registration on the domain-events topic to its subscription on
 * the local bus and invokes it as the worker does for cardinality "one" (local/worker/invoke.ts):
 * the body as the text Service Bus delivers, the delivery facts as the extension's binding data. A
 * failed invocation abandons the message.
 */
export function bindServiceBusTriggers(
  bus: LocalBus,
  registrations: readonly Registration[],
  logger: Logger,
  core: FunctionsCoreShim | undefined = currentFunctionsCore(),
): string[] {
  const bound: string[] = [];
  for (const r of registrations) {
    if (r.trigger.type !== 'serviceBusTrigger') continue;
    if (r.trigger.topicName !== TOPOLOGY.topic) throw new Error(`${r.name}: the local bus has only the topic ${TOPOLOGY.topic}`);
    if (!core) throw new Error('No @azure/functions-core shim is installed: nothing can invoke the functions.');
    const subscription = String(r.trigger.subscriptionName);
    bus.consume(subscription, async (m) => {
      const type = m.applicationProperties.type;
      const correlationId = m.applicationProperties.correlationId;
      // The message's trace context where the Azure SDK's tracing puts it (`Diagnostic-Id`, which
      // the Service Bus extension reads as the invocation's parent; `traceparent` as a fallback).
      const diagnosticId = m.applicationProperties[DIAGNOSTIC_ID] ?? m.applicationProperties.traceparent;
      const hostSpan = {
        name: r.name,
        kind: 'serviceBus' as const,
        ...(typeof diagnosticId === 'string' ? { traceparent: diagnosticId } : {}),
        attributes: {
          'messaging.system': 'servicebus',
          'messaging.destination.name': `${TOPOLOGY.topic}/${subscription}`,
          'messaging.message.id': m.messageId,
        },
      };
      await withHostSpan(hostSpan, async (traceContext) => {
        const request = invocationRequest(r, {
          ...serviceBusInvocation({
            ...m,
            // What the Service Bus publisher sets on every message (shared/adapters/servicebus).
            contentType: 'application/json',
            ...(typeof type === 'string' && type ? { subject: type } : {}),
            ...(typeof correlationId === 'string' && correlationId ? { correlationId } : {}),
          }),
          traceContext,
        });
        await invokeAsWorker(r, request, { core, log: logToLogger(logger, r.name, request.invocationId) });
      });
    });
    bound.push(r.name);
  }
  return bound;
}
