import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import type { OutgoingMessage } from '../../application/messaging';

/**
 * The application property where the Azure SDK's tracing puts a message's trace context
 * (`@azure/service-bus`, `instrumentMessage`: `TRACEPARENT_PROPERTY`), and where the Functions
 * Service Bus extension reads the invocation's parent from.
 */
export const DIAGNOSTIC_ID = 'Diagnostic-Id';

/**
 * Runs `send` in the trace of the event the message carries: its `traceparent` is the span of the
 * request (or handler) that recorded the event, which the outbox kept because the relay publishes
 * later, in another invocation. Sending in that context makes the SDK's "message" span, and the
 * `Diagnostic-Id` it stamps, a child of that span, so the consumer continues the same trace.
 */
export function inEventTrace<T>(message: OutgoingMessage, send: () => T): T {
  const traceparent = message.body.traceparent;
  if (!traceparent) return send();
  return context.with(propagation.extract(ROOT_CONTEXT, { traceparent }), send);
}

/**
 * What `@azure/service-bus` does to each message it sends when tracing is on, for a transport
 * without the SDK (the local bus): a producer span named "message", ended at once, whose context
 * becomes the message's `Diagnostic-Id` — unless the message already has one. With telemetry off
 * the span does not record and the message goes unchanged, as with the SDK.
 */
export function instrumentMessage(message: OutgoingMessage, entityPath: string): OutgoingMessage {
  if (message.applicationProperties[DIAGNOSTIC_ID]) return message;
  return inEventTrace(message, () => {
    const span = trace.getTracer('algesta.servicebus').startSpan('message', {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'servicebus',
        'messaging.destination.name': entityPath,
        'messaging.message.id': message.messageId,
      },
    });
    try {
      if (!span.isRecording()) return message;
      const carrier: Record<string, string> = {};
      propagation.inject(trace.setSpan(context.active(), span), carrier);
      return carrier.traceparent
        ? { ...message, applicationProperties: { ...message.applicationProperties, [DIAGNOSTIC_ID]: carrier.traceparent } }
        : message;
    } finally {
      span.end();
    }
  });
}
