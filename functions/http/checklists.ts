import { defineEndpoint } from '../../shared/platform/http/endpoint';
import { checklists } from '../wiring';
import { orderExample } from './examples';
import { registerEndpoint } from './register';
import { followUpParams, orderSchema } from './schemas';

/**
 * A follow-up corrective order from a failed checklist item (docs/plans.md): staff only. Asking again
 * for the same item answers the order already opened (200).
 */
const followUpExample = { ...orderExample, followUpOf: { orderId: orderExample.id, checklistItemId: 'drenaje' } };

registerEndpoint(
  defineEndpoint({
    name: 'orders-follow-up',
    method: 'POST',
    route: 'v1/orders/{orderId}/checklist/{itemId}/follow-up',
    summary: 'Open a corrective order from a failed checklist item (admin, operator)',
    tags: ['orders'],
    auth: 'bearer',
    params: followUpParams,
    errors: [403, 409],
    responses: {
      201: { description: 'The follow-up order, opened now', schema: orderSchema, example: followUpExample },
      200: { description: 'The follow-up order opened by an earlier request', schema: orderSchema, example: followUpExample },
    },
    handler: async (ctx) => {
      const { created, order } = await checklists.openFollowUp(ctx, ctx.params.orderId, ctx.params.itemId);
      return {
        status: created ? 201 : 200,
        body: order.value,
        etag: order.etag,
        ...(created ? { headers: { Location: `/api/v1/orders/${order.value.id}` } } : {}),
      };
    },
  }),
);
