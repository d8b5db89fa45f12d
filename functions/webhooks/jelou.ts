import { z } from 'zod';
import { messageFor } from '../../shared/application/messaging';
import { InvalidInputError } from '../../shared/application/errors';
import { parseJelouInbound, verifyJelouSignature } from '../../shared/adapters/whatsapp/jelou-webhook';
import { defineEndpoint } from '../../shared/platform/http/endpoint';
import { getRoot } from '../composition-root';
import { registerEndpoint } from '../http/register';

/** Inbound WhatsApp events are small; anything bigger is not Jelou's. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Jelou's inbound webhook: verified (`X-Jelou-Signature: sha256=<hex HMAC>` over the raw body), then
 * queued on the bus for the conversation — replying and fetching media are partner calls, which
 * happen in the workflow, not here. 200 only once the message is on the bus (nothing accepted is
 * lost); a redelivery carries the same event id, which the bus and the conversation both dedupe.
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
    errors: [422, 503],
    responses: { 200: { description: 'Queued or ignored', schema: z.object({ status: z.enum(['queued', 'ignored']) }) } },
    handler: async (ctx) => {
      const parsed = parseJelouInbound(ctx.rawBody ?? new Uint8Array());
      if (parsed.kind === 'invalid')
        throw new InvalidInputError(`not a Jelou event: ${parsed.reason}`, [{ field: 'body', message: parsed.reason }]);
      if (parsed.kind === 'ignored') return { status: 200, body: { status: 'ignored' } };
      const root = getRoot();
      const inbound = parsed.inbound;
      const event = {
        id: `wa_${inbound.eventId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100)}`,
        type: 'whatsapp.inbound-received',
        source: 'algesta/whatsapp',
        subject: inbound.from,
        time: root.clock.now().toISOString(),
        dataVersion: 1,
        data: inbound,
        correlationId: ctx.correlationId,
        ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}),
      };
      await (await root.publisher()).publish([messageFor(event)]);
      return { status: 200, body: { status: 'queued' } };
    },
  }),
);
