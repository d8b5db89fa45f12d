import type { DomainEvent } from '../../domain/shared/events';
import { messageFor, type MessagePublisher } from '../messaging';
import { eventKey, receiveOnce, WEBHOOK_WINDOWS, type WebhookDeps, type WebhookOutcome } from '../webhook-events';
import type { InboundWhatsApp } from './ports';

export interface InboundQueueDeps extends WebhookDeps {
  readonly publisher: MessagePublisher;
}

/**
 * The bus event id of an inbound WhatsApp event: derived from Jelou's exact message id
 * (`eventKey`), so a redelivery carries the same one (the bus and the consumer drop it) and two
 * different messages never do. A Service Bus message id holds at most 128 characters: this is at
 * most 106.
 */
export function inboundEventId(eventId: string): string {
  return `wa_${eventKey(eventId)}`;
}

/**
 * What the Jelou webhook does with a verified user message: refuses it when it is older than Jelou
 * could still be delivering it (24 h, `WEBHOOK_WINDOWS.jelou`), answers `duplicate` when the same
 * message id was queued before (a receipt kept 7 days), else puts it on the bus for the
 * conversation (`whatsapp.inbound-received`) and writes the receipt. Replying and fetching media
 * happen in the workflow.
 */
export async function queueInboundWhatsApp(
  deps: InboundQueueDeps,
  inbound: InboundWhatsApp,
  trace: { readonly correlationId: string; readonly traceparent?: string },
): Promise<WebhookOutcome<'queued'>> {
  return receiveOnce(deps, WEBHOOK_WINDOWS.jelou, { id: inbound.eventId, at: inbound.at }, async () => {
    const event: DomainEvent<'whatsapp.inbound-received', InboundWhatsApp> = {
      id: inboundEventId(inbound.eventId),
      type: 'whatsapp.inbound-received',
      source: 'algesta/whatsapp',
      subject: inbound.from,
      time: deps.clock.now().toISOString(),
      dataVersion: 1,
      data: inbound,
      correlationId: trace.correlationId,
      ...(trace.traceparent ? { traceparent: trace.traceparent } : {}),
    };
    await deps.publisher.publish([messageFor(event)]);
    return { result: 'queued', acted: true };
  });
}
