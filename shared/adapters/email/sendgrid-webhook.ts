import { z } from 'zod';
import type { DeliveryReport } from '../../application/notifications/notifications';

/**
 * SendGrid's Event Webhook: the signature check (ECDSA P-256 over timestamp + raw body, with the
 * account's verification key, through `@sendgrid/eventwebhook`) and the mapping of its events to
 * delivery reports. Only `delivered`, `bounce` and `dropped` change a notification.
 */
export const SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';
/** A signed request older (or newer) than this is refused: a captured request cannot be replayed later. */
export const MAX_SKEW_SECONDS = 15 * 60;

/**
 * The package (and its ECDSA library) is loaded by the first signed request, not when the app is
 * imported: no other function needs it, and it is ≈ a seventh of the entry's import time
 * (docs/performance.md, cold start).
 */
let eventWebhookModule: Promise<typeof import('@sendgrid/eventwebhook')> | undefined;

export async function verifySendGridSignature(
  rawBody: Uint8Array,
  headers: { get(name: string): string | null },
  publicKey: string,
  nowMs: number,
): Promise<boolean> {
  const signature = headers.get(SIGNATURE_HEADER);
  const timestamp = headers.get(TIMESTAMP_HEADER);
  if (!signature || !timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > MAX_SKEW_SECONDS) return false;
  const { EventWebhook } = await (eventWebhookModule ??= import('@sendgrid/eventwebhook'));
  try {
    const webhook = new EventWebhook();
    const key = webhook.convertPublicKeyToECDSA(publicKey);
    return webhook.verifySignature(key, Buffer.from(rawBody).toString('utf8'), signature, timestamp);
  } catch {
    // A malformed key or signature is a failed check, not a server error.
    return false;
  }
}

const sendGridEvent = z
  .object({
    event: z.string(),
    sg_event_id: z.string().min(1),
    timestamp: z.number(),
    notificationId: z.string().optional(),
    recipientUserId: z.string().optional(),
    reason: z.string().optional(),
    response: z.string().optional(),
  })
  .loose();

export const sendGridEvents = z.array(sendGridEvent).max(5000);

const STATUS: Record<string, DeliveryReport['status']> = { delivered: 'delivered', bounce: 'bounced', dropped: 'failed' };

/** The reports in a batch; events without our ids (sent by another system) or of other kinds are skipped. */
export function deliveryReportsOf(events: z.infer<typeof sendGridEvents>): DeliveryReport[] {
  return events.flatMap((e) => {
    const status = STATUS[e.event];
    if (!status || !e.notificationId || !e.recipientUserId) return [];
    const detail = e.reason ?? e.response;
    return [
      {
        notificationId: e.notificationId,
        recipientUserId: e.recipientUserId,
        status,
        at: new Date(e.timestamp * 1000).toISOString(),
        reportId: `sendgrid:${e.sg_event_id}`,
        ...(detail ? { detail } : {}),
      },
    ];
  });
}
