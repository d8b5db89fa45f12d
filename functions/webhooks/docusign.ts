import { z } from 'zod';
import { InvalidInputError } from '../../shared/application/errors';
import { applyContractEvent } from '../../shared/application/orders/partner-sync';
import {
  InvalidConnectEventError,
  parseConnectEvent,
  parseHmacKeyList,
  verifyConnectSignature,
} from '../../shared/adapters/partners/docusign-connect';
import { PARTNER_SECRETS } from '../../shared/adapters/partners/secret-names';
import { defineEndpoint } from '../../shared/platform/http/endpoint';
import { getRoot } from '../composition-root';
import { lifecycleDeps } from '../http/deps';
import { registerEndpoint } from '../http/register';

/**
 * DocuSign Connect: `X-DocuSign-Signature-1..N` (HMAC-SHA256 of the raw body, base64; any configured
 * key may match) is verified before anything else. A completed envelope signs the order's contract,
 * a declined or voided one declines it; duplicates and late deliveries change nothing (the order's
 * state decides). The signed PDF is fetched by the orders workflow, not here.
 */
registerEndpoint(
  defineEndpoint({
    name: 'webhooks-docusign',
    method: 'POST',
    route: 'webhooks/docusign',
    summary: 'DocuSign Connect (HMAC-signed): envelope completed, declined or voided',
    tags: ['webhooks'],
    auth: 'signature',
    verifySignature: async (raw, headers) => {
      const keys = parseHmacKeyList(await (await getRoot().secrets()).get(PARTNER_SECRETS.docusignConnectHmacKeys));
      return verifyConnectSignature(raw, Object.fromEntries(headers.entries()), keys);
    },
    errors: [422],
    responses: {
      200: { description: 'Applied or ignored', schema: z.object({ outcome: z.enum(['signed', 'declined', 'ignored']) }) },
    },
    handler: async (ctx) => {
      let event;
      try {
        event = parseConnectEvent(ctx.rawBody ?? new Uint8Array());
      } catch (err) {
        if (err instanceof InvalidConnectEventError)
          throw new InvalidInputError(err.message, [{ field: 'body', message: err.message }]);
        throw err;
      }
      const call = { correlationId: ctx.correlationId, ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}) };
      const outcome = await applyContractEvent(await lifecycleDeps(), call, event);
      ctx.logger.info('docusign connect event', { eventId: event.eventId, envelopeId: event.envelopeId, outcome });
      return { status: 200, body: { outcome } };
    },
  }),
);
