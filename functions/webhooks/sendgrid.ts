import { z } from 'zod';
import { recordDeliveryReport } from '../../shared/application/notifications/notifications';
import { deliveryReportsOf, sendGridEvents, verifySendGridSignature } from '../../shared/adapters/email/sendgrid-webhook';
import { defineEndpoint } from '../../shared/platform/http/endpoint';
import { getRoot } from '../composition-root';
import { registerEndpoint } from '../http/register';

const tags = ['webhooks'];

/** SendGrid Event Webhook: delivered / bounce / dropped update the notification records. */
registerEndpoint(
  defineEndpoint({
    name: 'webhooks-sendgrid',
    method: 'POST',
    route: 'webhooks/sendgrid',
    summary: 'SendGrid Event Webhook (ECDSA-signed): delivery, bounce and drop reports',
    tags,
    auth: 'signature',
    verifySignature: (raw, headers) => {
      const root = getRoot();
      const key = root.settings.SENDGRID_WEBHOOK_PUBLIC_KEY;
      return key !== undefined && verifySendGridSignature(raw, headers, key, root.clock.now().getTime());
    },
    body: sendGridEvents,
    responses: {
      200: { description: 'Reports applied', schema: z.object({ received: z.number().int(), applied: z.number().int() }) },
    },
    handler: async (ctx) => {
      const notifications = await getRoot().notifications();
      let applied = 0;
      for (const report of deliveryReportsOf(ctx.body)) if (await recordDeliveryReport({ notifications }, report)) applied++;
      return { status: 200, body: { received: ctx.body.length, applied } };
    },
  }),
);
