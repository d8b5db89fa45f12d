import { DOMAIN_EVENTS_TOPIC } from './topology';

/**
 * Readiness of a Service Bus namespace: opening a sender link to the domain-events topic proves
 * that the namespace resolves, the identity authenticates and holds the Sender role.
 */
export async function pingServiceBus(fullyQualifiedNamespace: string, timeoutMs = 3000): Promise<void> {
  const [{ ServiceBusClient }, { DefaultAzureCredential }] = await Promise.all([
    import('@azure/service-bus'),
    import('@azure/identity'),
  ]);
  const client = new ServiceBusClient(fullyQualifiedNamespace, new DefaultAzureCredential());
  try {
    const sender = client.createSender(DOMAIN_EVENTS_TOPIC);
    await sender.createMessageBatch({ abortSignal: AbortSignal.timeout(timeoutMs) });
    await sender.close();
  } finally {
    await client.close();
  }
}
