import { z } from 'zod';
import { WEBHOOK_WINDOWS } from '../../shared/application/webhook-events';
import { messageEvent, parseJelouInbound, verifyJelouSignature } from '../../shared/adapters/whatsapp/jelou-webhook';
import { defineEndpoint } from '../../shared/platform/http/endpoint';
import { getRoot } from '../composition-root';
import { registerEndpoint } from '../http/register';
import { jelouEventExample } from '../http/examples';
import { webhooks } from '../wiring';
import { refusedEvent } from './refusal';

/** Inbound WhatsApp events are small (a text, or a media URL); anything bigger is not Jelou's. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Jelou's inbound webhook: verified (`X-Jelou-Signature: sha256=<hex HMAC>` over the raw body), then
 * queued on the bus for the conversation — replying and fetching media are partner calls, which
 * happen in the workflow, not here. 200 only once the message is on the bus (nothing accepted is
 * lost). The signature covers no time: the message's own `timestamp` (signed, in the body) must be
 * within 24 hours, and a message id queued before is a `duplicate` (receipts kept 7 days), so a
 * captured event can never act twice (`queueInboundWhatsApp`).
 */
registerEndpoint(
  defineEndpoint({
    name: 'webhooks-jelou',
    method: 'POST',
    route: 'webhooks/jelou',
    summary: 'Jelou inbound WhatsApp events (HMAC-signed): queued for the WhatsApp conversation',
    tags: ['webhooks'],
    auth: 'signature',
    maxBodyBytes: MAX_BODY_BYTES,
    verifySignature: (raw, headers) => {
      const secret = getRoot().settings.JELOU_WEBHOOK_SECRET;
      return secret !== undefined && verifyJelouSignature(raw, headers.get('x-jelou-signature') ?? undefined, secret);
    },
    signatureHeaders: [
      {
        name: 'X-Jelou-Signature',
        required: true,
        description:
          '`sha256=` and the hex HMAC-SHA256 of the raw body, keyed with the webhook’s signing secret (docs.jelou.ai, “Firma HMAC-SHA256”)',
        pattern: '^sha256=[0-9a-fA-F]{64}$',
        example: 'sha256=5b1f0c3e8f0d4a2b9c7e6d5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b',
      },
    ],
    replayWindow: `the message's \`timestamp\` (signed, in the body) must be at most ${WEBHOOK_WINDOWS.jelou.maxAgeSeconds / 3600} hours old and at most ${WEBHOOK_WINDOWS.jelou.maxAheadSeconds / 60} minutes ahead of our clock; a message id queued before is a \`duplicate\` for ${WEBHOOK_WINDOWS.jelou.rememberSeconds / 86_400} days.`,
    documentedBody: messageEvent,
    requestExample: jelouEventExample,
    errors: [400, 503],
    problems: {
      400: 'Signed, but not a Jelou message_event (or contact.id is not a phone number), or a message older than 24 hours',
      401: 'X-Jelou-Signature is missing or is not the HMAC-SHA256 of the body under the webhook secret',
      413: 'Body larger than 64 KiB: no Jelou event is that big',
      503: 'The message could not be queued now; a redelivery is handled',
    },
    responses: {
      200: {
        description: 'Queued for the conversation, a duplicate of a message already queued, or ignored (not a user message)',
        schema: z.object({ status: z.enum(['queued', 'duplicate', 'ignored']) }),
        example: { status: 'queued' },
      },
    },
    handler: async (ctx) => {
      const parsed = parseJelouInbound(ctx.rawBody ?? new Uint8Array());
      if (parsed.kind === 'invalid') return refusedEvent(`not a Jelou event: ${parsed.reason}`, '/body', ctx.correlationId);
      if (parsed.kind === 'ignored') return { status: 200, body: { status: 'ignored' } };
      const outcome = await webhooks.queueInboundWhatsApp(parsed.inbound, {
        correlationId: ctx.correlationId,
        ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}),
      });
      if (outcome.kind === 'stale') return refusedEvent(outcome.detail, '/body/timestamp', ctx.correlationId);
      const status = outcome.kind === 'duplicate' ? 'duplicate' : 'queued';
      ctx.logger.info('jelou inbound event', { eventId: parsed.inbound.eventId, status });
      return { status: 200, body: { status } };
    },
  }),
);
