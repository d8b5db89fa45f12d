import { z } from 'zod';
import { WEBHOOK_WINDOWS } from '../../shared/application/webhook-events';
import {
  connectMessage,
  InvalidConnectEventError,
  parseConnectEvent,
  parseHmacKeyList,
  verifyConnectSignature,
} from '../../shared/adapters/partners/docusign-connect';
import { PARTNER_SECRETS } from '../../shared/adapters/partners/secret-names';
import { defineEndpoint } from '../../shared/platform/http/endpoint';
import { getRoot } from '../composition-root';
import { registerEndpoint } from '../http/register';
import { connectEventExample } from '../http/examples';
import { webhooks } from '../wiring';
import { refusedEvent } from './refusal';

/**
 * A JSON SIM message carries the envelope summary (recipients, custom fields), not the documents
 * (our Connect configuration does not include them): a few KB. 1 MiB leaves room for long recipient
 * lists and document fields.
 */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * DocuSign Connect: `X-DocuSign-Signature-1..N` (HMAC-SHA256 of the raw body, base64; any configured
 * key may match) is verified before anything else. The HMAC covers no header time, so the
 * message's `generatedDateTime` (signed, in the body) must be within Connect's retry span (15
 * days); an event that already moved the order is a `duplicate` (receipts kept 30 days). A
 * completed envelope signs the order's contract, a declined or voided one declines it; late
 * deliveries change nothing (the order's state decides). The signed PDF is fetched by the orders
 * workflow, not here.
 */
registerEndpoint(
  defineEndpoint({
    name: 'webhooks-docusign',
    method: 'POST',
    route: 'webhooks/docusign',
    summary: 'DocuSign Connect (HMAC-signed): envelope completed, declined or voided',
    tags: ['webhooks'],
    auth: 'signature',
    maxBodyBytes: MAX_BODY_BYTES,
    verifySignature: async (raw, headers) => {
      const keys = parseHmacKeyList(await (await getRoot().secrets()).get(PARTNER_SECRETS.docusignConnectHmacKeys));
      return verifyConnectSignature(raw, Object.fromEntries(headers.entries()), keys);
    },
    // Connect sends one header per active HMAC key (up to 100): -1 always, -2… while keys rotate.
    signatureHeaders: [1, 2].map((n) => ({
      name: `X-DocuSign-Signature-${n}`,
      required: n === 1,
      description:
        n === 1
          ? 'base64 of the HMAC-SHA256 of the raw body under one of the account’s Connect keys; the request is taken when any X-DocuSign-Signature-N matches any configured key'
          : 'the same under the account’s next key (sent while keys rotate; -3 and on likewise, up to 100)',
      pattern: '^[A-Za-z0-9+/]{43}=$',
      example: n === 1 ? 'f0ZTSGBYhSr1Ys+BxUPYc7cFM5lOfT5GihDJTqHMjnI=' : 'cuqkVb3oZpU8rD7O3vXx2sW6y1L5nQ9hJ4kT0aE8mBw=',
    })),
    replayWindow: `the message's \`generatedDateTime\` (signed, in the body) must be at most ${WEBHOOK_WINDOWS.docusign.maxAgeSeconds / 86_400} days old (Connect's retries) and at most ${WEBHOOK_WINDOWS.docusign.maxAheadSeconds / 60} minutes ahead of our clock; an event that already moved the order is a \`duplicate\` for ${WEBHOOK_WINDOWS.docusign.rememberSeconds / 86_400} days.`,
    documentedBody: connectMessage,
    requestExample: connectEventExample,
    errors: [400, 503],
    problems: {
      400: 'Signed, but not a Connect JSON SIM message, or generated more than 15 days ago',
      401: 'No X-DocuSign-Signature-N header is the HMAC-SHA256 of the body under a configured Connect key',
      413: 'Body larger than 1 MiB (Connect is configured without documents)',
      503: 'The event could not be recorded now (the store is unavailable); Connect delivers it again',
    },
    responses: {
      200: {
        description: 'Applied, a duplicate of an event already applied, or ignored (another envelope, a late delivery)',
        schema: z.object({ outcome: z.enum(['signed', 'declined', 'ignored', 'duplicate']) }),
        example: { outcome: 'signed' },
      },
    },
    handler: async (ctx) => {
      let event;
      try {
        event = parseConnectEvent(ctx.rawBody ?? new Uint8Array());
      } catch (err) {
        if (err instanceof InvalidConnectEventError) return refusedEvent(err.message, '/body', ctx.correlationId);
        throw err;
      }
      const call = { correlationId: ctx.correlationId, ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}) };
      const received = await webhooks.receiveConnectEvent(call, event);
      if (received.kind === 'stale') return refusedEvent(received.detail, '/body/generatedDateTime', ctx.correlationId);
      const outcome = received.kind === 'duplicate' ? 'duplicate' : received.result;
      ctx.logger.info('docusign connect event', { eventId: event.eventId, envelopeId: event.envelopeId, outcome });
      return { status: 200, body: { outcome } };
    },
  }),
);
