import type { ServiceBusClient, ServiceBusMessage, ServiceBusSender } from '@azure/service-bus';
import type { MessagePublisher, OutgoingMessage } from '../../application/messaging';
import { inEventTrace } from './message-trace';
import { DOMAIN_EVENTS_TOPIC } from './topology';

/** The wire form of an outgoing message: the one mapping from our message to Service Bus's. */
export function toServiceBusMessage(m: OutgoingMessage): ServiceBusMessage {
  return {
    messageId: m.messageId,
    body: m.body,
    contentType: 'application/json',
    subject: String(m.applicationProperties.type ?? ''),
    applicationProperties: { ...m.applicationProperties },
    ...(m.correlationId ? { correlationId: m.correlationId } : {}),
  };
}

/**
 * Publishes to the `domain-events` topic with the managed identity. The SDK retries transient
 * failures (exponential, 5 attempts); what still fails is thrown, so the relay leaves the event
 * unrelayed and the sweep publishes it later. Duplicate detection on the topic makes a second send
 * of the same event id harmless.
 */
export class ServiceBusPublisher implements MessagePublisher {
  private sender: Promise<ServiceBusSender> | undefined;

  constructor(private readonly createClient: () => Promise<ServiceBusClient>) {}

  private getSender(): Promise<ServiceBusSender> {
    this.sender ??= this.createClient()
      .then((client) => client.createSender(DOMAIN_EVENTS_TOPIC))
      .catch((err: unknown) => {
        this.sender = undefined;
        throw err;
      });
    return this.sender;
  }

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const sender = await this.getSender();
    const now = messages.filter((m) => !m.scheduledEnqueueTime);
    const later = messages.filter((m) => m.scheduledEnqueueTime);
    if (now.length) await sendInBatches(sender, now);
    // The SDK instruments each message (a "message" span, the `Diagnostic-Id` property) in the
    // active trace context: the event's own (message-trace.ts).
    for (const m of later)
      await inEventTrace(m, () => sender.scheduleMessages(toServiceBusMessage(m), m.scheduledEnqueueTime as Date));
  }
}

async function sendInBatches(sender: ServiceBusSender, messages: readonly OutgoingMessage[]): Promise<void> {
  let batch = await sender.createMessageBatch();
  for (const m of messages) {
    const message: ServiceBusMessage = toServiceBusMessage(m);
    // `tryAddMessage` is where the SDK instruments the message: in the event's trace.
    if (inEventTrace(m, () => batch.tryAddMessage(message))) continue;
    await sender.sendMessages(batch);
    batch = await sender.createMessageBatch();
    if (!inEventTrace(m, () => batch.tryAddMessage(message)))
      throw new Error(`message ${message.messageId} is larger than a batch`);
  }
  if (batch.count > 0) await sender.sendMessages(batch);
}

/** A client with the managed identity and a retry policy, created on first use. */
export async function createServiceBusClient(fullyQualifiedNamespace: string): Promise<ServiceBusClient> {
  const [{ ServiceBusClient, RetryMode }, { DefaultAzureCredential }] = await Promise.all([
    import('@azure/service-bus'),
    import('@azure/identity'),
  ]);
  return new ServiceBusClient(fullyQualifiedNamespace, new DefaultAzureCredential(), {
    retryOptions: { maxRetries: 5, retryDelayInMs: 500, maxRetryDelayInMs: 10_000, mode: RetryMode.Exponential },
  });
}
