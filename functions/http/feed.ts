import { created, defineEndpoint } from '../../shared/platform/http/endpoint';
import { feed } from '../wiring';
import {
  registerWebhookExample,
  rotateWebhookSecretExample,
  updateWebhookExample,
  webhookDeliveryExample,
  webhookEndpointExample,
  webhookEndpointWithSecretExample,
} from './examples';
import { registerEndpoint } from './register';
import {
  clientIdParams,
  listWebhookDeliveriesQuery,
  pageOf,
  pageRequest,
  registerWebhookBody,
  rotateWebhookSecretBody,
  updateWebhookBody,
  webhookDeliveryParams,
  webhookDeliverySchema,
  webhookEndpointParams,
  webhookEndpointSchema,
  webhookEndpointWithSecretSchema,
} from './schemas';

/**
 * The client event feed's management (docs/webhooks.md): a client's users for their own client,
 * staff for any. The secret is in the answer that made it (register, rotate) and never again.
 */
const tags = ['client-feed'];
const base = 'v1/clients/{clientId}/webhooks';
const location = (clientId: string, endpointId: string) => `/api/v1/clients/${clientId}/webhooks/${endpointId}`;

registerEndpoint(
  defineEndpoint({
    name: 'client-webhooks-create',
    method: 'POST',
    route: base,
    summary: 'Register a webhook endpoint (the signing secret is shown once)',
    tags,
    auth: 'bearer',
    params: clientIdParams,
    body: registerWebhookBody,
    requestExample: registerWebhookExample,
    idempotent: true,
    errors: [422],
    responses: {
      201: {
        description: 'Created, with its secret',
        schema: webhookEndpointWithSecretSchema,
        example: webhookEndpointWithSecretExample,
      },
    },
    handler: async (ctx) => {
      const { endpoint, secret } = await feed.register(ctx, ctx.params.clientId, ctx.body);
      return created(endpoint, { ...endpoint.value, secret }, location(endpoint.value.clientId, endpoint.value.id));
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'client-webhooks-list',
    method: 'GET',
    route: base,
    summary: 'List a client’s webhook endpoints',
    tags,
    auth: 'bearer',
    params: clientIdParams,
    responses: {
      200: { description: 'The endpoints', schema: pageOf(webhookEndpointSchema), example: { items: [webhookEndpointExample] } },
    },
    handler: async (ctx) => ({ status: 200, body: { items: await feed.list(ctx, ctx.params.clientId) } }),
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'client-webhooks-get',
    method: 'GET',
    route: `${base}/{endpointId}`,
    summary: 'Get a webhook endpoint',
    tags,
    auth: 'bearer',
    params: webhookEndpointParams,
    responses: { 200: { description: 'The endpoint', schema: webhookEndpointSchema, example: webhookEndpointExample } },
    handler: async (ctx) => {
      const e = await feed.get(ctx, ctx.params.clientId, ctx.params.endpointId);
      return { status: 200, body: e.value, etag: e.etag };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'client-webhooks-update',
    method: 'PATCH',
    route: `${base}/{endpointId}`,
    summary: 'Change a webhook endpoint: URL, event types, description, enable or disable',
    tags,
    auth: 'bearer',
    params: webhookEndpointParams,
    body: updateWebhookBody,
    requestExample: updateWebhookExample,
    conditional: true,
    errors: [412, 422],
    responses: {
      200: { description: 'The endpoint after the change', schema: webhookEndpointSchema, example: webhookEndpointExample },
    },
    handler: async (ctx) => {
      const e = await feed.update(ctx, ctx.params.clientId, ctx.params.endpointId, ctx.body, ctx.ifMatch);
      return { status: 200, body: e.value, etag: e.etag };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'client-webhooks-rotate-secret',
    method: 'POST',
    route: `${base}/{endpointId}/rotate-secret`,
    summary: 'Rotate the signing secret (the new one is shown once; the old ones sign until the overlap ends)',
    tags,
    auth: 'bearer',
    params: webhookEndpointParams,
    body: rotateWebhookSecretBody,
    requestExample: rotateWebhookSecretExample,
    errors: [412, 422],
    responses: {
      200: {
        description: 'The endpoint, with its new secret',
        schema: webhookEndpointWithSecretSchema,
        example: webhookEndpointWithSecretExample,
      },
    },
    handler: async (ctx) => {
      const { endpoint, secret } = await feed.rotateSecret(ctx, ctx.params.clientId, ctx.params.endpointId, ctx.body);
      return { status: 200, body: { ...endpoint.value, secret }, etag: endpoint.etag };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'client-webhooks-delete',
    method: 'DELETE',
    route: `${base}/{endpointId}`,
    summary: 'Delete a webhook endpoint (its pending deliveries are abandoned)',
    tags,
    auth: 'bearer',
    params: webhookEndpointParams,
    responses: { 204: { description: 'Deleted' } },
    handler: async (ctx) => {
      await feed.delete(ctx, ctx.params.clientId, ctx.params.endpointId);
      return { status: 204 };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'client-webhooks-deliveries',
    method: 'GET',
    route: `${base}/{endpointId}/deliveries`,
    summary: 'The delivery log of an endpoint, newest first: each event with its attempts',
    tags,
    auth: 'bearer',
    params: webhookEndpointParams,
    query: listWebhookDeliveriesQuery,
    responses: {
      200: {
        description: 'A page of deliveries',
        schema: pageOf(webhookDeliverySchema),
        example: { items: [webhookDeliveryExample] },
      },
    },
    handler: async (ctx) => ({
      status: 200,
      body: await feed.deliveries(ctx, ctx.params.clientId, ctx.params.endpointId, pageRequest(ctx.query)),
    }),
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'client-webhooks-replay',
    method: 'POST',
    route: `${base}/{endpointId}/deliveries/{eventId}/replay`,
    summary: 'Send a delivered or failed delivery again (same event id)',
    tags,
    auth: 'bearer',
    params: webhookDeliveryParams,
    errors: [409],
    responses: {
      202: {
        description: 'Queued again',
        schema: webhookDeliverySchema,
        example: { ...webhookDeliveryExample, status: 'pending' },
      },
    },
    handler: async (ctx) => ({
      status: 202,
      body: await feed.replay(ctx, ctx.params.clientId, ctx.params.endpointId, ctx.params.eventId),
    }),
  }),
);
