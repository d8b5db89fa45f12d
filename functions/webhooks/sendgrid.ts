import { z } from 'zod';
import {
  deliveryReportsOf,
  MAX_SKEW_SECONDS,
  sendGridEvents,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifySendGridSignature,
} from '../../shared/adapters/email/sendgrid-webhook';
import { defineEndpoint } from '../../shared/platform/http/endpoint';
import { getRoot } from '../composition-root';
import { registerEndpoint } from '../http/register';
import { sendGridEventsExample } from '../http/examples';
import { notifications } from '../wiring';

/** SendGrid posts a batch every 30 seconds or at 768 KB, whichever comes first: 1 MiB holds one. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * SendGrid Event Webhook: delivered / bounce / dropped update the notification records. The ECDSA
 * signature covers `X-Twilio-Email-Event-Webhook-Timestamp`, which must be within 15 minutes of our
 * clock (a captured request cannot be replayed later); a report is applied once — the record keeps
 * the report ids it applied and never leaves a final status — and `applied` counts only the reports
 * that changed a record.
 */
registerEndpoint(
  defineEndpoint({
    name: 'webhooks-sendgrid',
    method: 'POST',
    route: 'webhooks/sendgrid',
    summary: 'SendGrid Event Webhook (ECDSA-signed): delivery, bounce and drop reports',
    tags: ['webhooks'],
    auth: 'signature',
    maxBodyBytes: MAX_BODY_BYTES,
    verifySignature: (raw, headers) => {
      const root = getRoot();
      const key = root.settings.SENDGRID_WEBHOOK_PUBLIC_KEY;
      return key !== undefined && verifySendGridSignature(raw, headers, key, root.clock.now().getTime());
    },
    signatureHeaders: [
      {
        name: headerName(SIGNATURE_HEADER),
        required: true,
        description:
          'base64 of the ECDSA (P-256, SHA-256, DER) signature over the timestamp header’s value followed by the raw body, with the Event Webhook’s verification key',
        pattern: '^[A-Za-z0-9+/]+={0,2}$',
        example: 'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=',
      },
      {
        name: headerName(TIMESTAMP_HEADER),
        required: true,
        description: `Unix time in seconds when SendGrid signed the request; refused more than ${MAX_SKEW_SECONDS / 60} minutes from our clock`,
        pattern: '^\\d{1,12}$',
        example: '1796220314',
      },
    ],
    replayWindow: `the signed timestamp must be within ${MAX_SKEW_SECONDS / 60} minutes of our clock, either way; a report already applied changes nothing (the notification keeps the report ids it applied).`,
    body: sendGridEvents,
    requestExample: sendGridEventsExample,
    errors: [503],
    problems: {
      400: 'Signed, but not an array of SendGrid events (at most 5000)',
      401: `The ECDSA signature over X-Twilio-Email-Event-Webhook-Timestamp and the body is missing or wrong, or the timestamp is more than ${MAX_SKEW_SECONDS / 60} minutes from our clock`,
      413: 'Body larger than 1 MiB (SendGrid posts batches of at most 768 KB)',
      503: 'A notification kept changing while its report was applied; SendGrid retries the batch',
    },
    responses: {
      200: {
        description:
          '`applied`: the reports that changed a notification (replays, reports for final or unknown notifications and other event kinds change nothing)',
        schema: z.object({ received: z.number().int(), applied: z.number().int() }),
        example: { received: 1, applied: 1 },
      },
    },
    handler: async (ctx) => {
      let applied = 0;
      for (const report of deliveryReportsOf(ctx.body))
        if ((await notifications.recordDeliveryReport(report)) === 'applied') applied++;
      return { status: 200, body: { received: ctx.body.length, applied } };
    },
  }),
);

/** `x-twilio-email-event-webhook-signature` as SendGrid writes it. */
function headerName(lower: string): string {
  return lower.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase());
}
