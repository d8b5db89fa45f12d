import { z } from 'zod';
import { NotFoundError } from '../../shared/application/errors';
import { API_ACTIONS, ORDER_RULES, type ApiAction } from '../../shared/domain/orders/lifecycle';
import { created, defineEndpoint } from '../../shared/platform/http/endpoint';
import { orders } from '../wiring';
import {
  attachmentExample,
  attachmentUploadExample,
  createOrderExample,
  historyPageExample,
  ORDER_ACTION_EXAMPLES,
  orderExample,
  orderPageExample,
  priceGuidanceExample,
  quoteExample,
  quoteListExample,
  requestAttachmentExample,
  submitQuoteExample,
} from './examples';
import { registerEndpoint } from './register';
import {
  attachmentParams,
  attachmentSchema,
  attachmentUploadSchema,
  createOrderBody,
  requestAttachmentBody,
  historyEntrySchema,
  historyQuery,
  listOrdersQuery,
  ORDER_ACTION_BODIES,
  orderActionParams,
  orderIdParams,
  orderSchema,
  priceGuidanceSchema,
  quoteListSchema,
  quoteSchema,
  submitQuoteBody,
  pageOf,
  pageRequest,
} from './schemas';

registerEndpoint(
  defineEndpoint({
    name: 'orders-create',
    method: 'POST',
    route: 'v1/orders',
    summary: 'Submit a maintenance order (status SUBMITTED)',
    tags: ['orders'],
    auth: 'bearer',
    body: createOrderBody,
    requestExample: createOrderExample,
    idempotent: true,
    errors: [422],
    responses: { 201: { description: 'Created', schema: orderSchema, example: orderExample } },
    handler: async (ctx) => {
      const order = await orders.create(ctx, ctx.body);
      return created(order, order.value, `/api/v1/orders/${order.value.id}`);
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'orders-list',
    method: 'GET',
    route: 'v1/orders',
    summary: 'List orders visible to the caller, newest first',
    tags: ['orders'],
    auth: 'bearer',
    query: listOrdersQuery,
    responses: { 200: { description: 'A page of orders', schema: pageOf(orderSchema), example: orderPageExample } },
    handler: async (ctx) => {
      const { limit, continuationToken, ...filters } = ctx.query;
      const page = await orders.list(ctx, filters, pageRequest({ limit, continuationToken }));
      return { status: 200, body: page };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'orders-get',
    method: 'GET',
    route: 'v1/orders/{orderId}',
    summary: 'Get an order',
    tags: ['orders'],
    auth: 'bearer',
    params: orderIdParams,
    responses: { 200: { description: 'The order', schema: orderSchema, example: orderExample } },
    handler: async (ctx) => {
      const order = await orders.get(ctx, ctx.params.orderId);
      return { status: 200, body: order.value, etag: order.etag };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'orders-history',
    method: 'GET',
    route: 'v1/orders/{orderId}/history',
    summary: 'The order’s history, oldest first',
    tags: ['orders'],
    auth: 'bearer',
    params: orderIdParams,
    query: historyQuery,
    responses: {
      200: { description: 'A page of history entries', schema: pageOf(historyEntrySchema), example: historyPageExample },
    },
    handler: async (ctx) => {
      const page = await orders.history(ctx, ctx.params.orderId, pageRequest(ctx.query));
      return { status: 200, body: page };
    },
  }),
);

const APPROVER_ACTIONS: readonly string[] = ['approve', 'reject-quote', 'approve-nte-increase', 'reject-nte-increase'];

/** One documented operation per action (docs/api.md): its body, and its row of the state table. */
const actionOperations = Object.fromEntries(
  API_ACTIONS.map((a) => {
    const r = ORDER_RULES[a];
    const name = (to: string) => (to === 'same' ? 'the same state' : to);
    // An approval chain's alternatives (a partial approval stays, a chained assignment waits).
    const to = [r.to, ...(r.alsoTo ?? [])].map(name).join(' or ');
    return [
      a,
      {
        body: ORDER_ACTION_BODIES[a],
        summary: `${a}: ${r.from.join(' | ')} → ${to} (${r.roles.join(', ')})`,
        example: ORDER_ACTION_EXAMPLES[a],
        // A client user's approval above its approval limit, or outside its tier of the chain (docs/api.md).
        ...(APPROVER_ACTIONS.includes(a) ? { problemTypes: ['approval-limit-exceeded' as const] } : {}),
        // An invoice a hard rule refuses, with every failed rule (docs/orders.md, Invoice rules).
        ...(a === 'invoice' ? { problemTypes: ['invoice-rules-failed' as const] } : {}),
      },
    ];
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'orders-action',
    method: 'POST',
    route: 'v1/orders/{orderId}/actions/{action}',
    summary: `Move an order: ${API_ACTIONS.join(', ')} (DESIGN 2.1; each action has its own body)`,
    tags: ['orders'],
    auth: 'bearer',
    params: orderActionParams,
    body: z.union(Object.values(ORDER_ACTION_BODIES)),
    // An unknown action takes any body: the handler answers 404 before reading it.
    bodyFor: (params: { action: string }) => (isApiAction(params.action) ? ORDER_ACTION_BODIES[params.action] : z.any()),
    // One function, one route; the OpenAPI document lists `…/actions/triage`, `…/actions/approve`… each with its own body.
    operationsPer: { param: 'action', values: actionOperations },
    conditional: true,
    errors: [403, 409, 412, 422],
    responses: {
      200: {
        description: 'The order after the action',
        schema: orderSchema,
        example: { ...orderExample, status: 'TRIAGED', version: 2 },
      },
    },
    handler: async (ctx) => {
      const { orderId, action } = ctx.params;
      if (!isApiAction(action)) throw new NotFoundError(`unknown action "${action}"; one of ${API_ACTIONS.join(', ')}`);
      const order = await orders.act(ctx, orderId, action, ctx.body, ctx.ifMatch);
      return { status: 200, body: order.value, etag: order.etag };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'quotes-submit',
    method: 'POST',
    route: 'v1/orders/{orderId}/quotes',
    summary: 'Submit (or replace, until the deadline) the caller’s quote — invited providers',
    tags: ['orders'],
    auth: 'bearer',
    params: orderIdParams,
    body: submitQuoteBody,
    requestExample: submitQuoteExample,
    errors: [403, 409, 422],
    responses: { 201: { description: 'The quote', schema: quoteSchema, example: quoteExample } },
    handler: async (ctx) => {
      const quote = await orders.submitQuote(ctx, ctx.params.orderId, ctx.body);
      return { status: 201, body: quote };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'quotes-list',
    method: 'GET',
    route: 'v1/orders/{orderId}/quotes',
    summary: 'The order’s quotes: a provider its own, staff all, the client all once the round is closed',
    tags: ['orders'],
    auth: 'bearer',
    params: orderIdParams,
    responses: {
      200: {
        description: 'The quotes; for staff and the client each with its price guidance, and the round and history used',
        schema: quoteListSchema,
        example: quoteListExample,
      },
    },
    handler: async (ctx) => ({ status: 200, body: await orders.listQuotes(ctx, ctx.params.orderId) }),
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'orders-price-guidance',
    method: 'GET',
    route: 'v1/orders/{orderId}/price-guidance',
    summary: 'What comparable closed work cost this client (quartiles) and the NTE it suggests — staff; guidance, never a rule',
    tags: ['orders'],
    auth: 'bearer',
    params: orderIdParams,
    errors: [403],
    responses: { 200: { description: 'The price guidance', schema: priceGuidanceSchema, example: priceGuidanceExample } },
    handler: async (ctx) => ({ status: 200, body: await orders.priceGuidance(ctx, ctx.params.orderId) }),
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'attachments-request',
    method: 'POST',
    route: 'v1/orders/{orderId}/attachments',
    summary: 'Announce an attachment (photo, evidence, invoice) and get a create-only upload URL (15 minutes)',
    tags: ['orders'],
    auth: 'bearer',
    params: orderIdParams,
    body: requestAttachmentBody,
    requestExample: requestAttachmentExample,
    errors: [422],
    responses: {
      201: {
        description: 'The attachment, awaiting its upload',
        schema: attachmentUploadSchema,
        example: attachmentUploadExample,
      },
    },
    handler: async (ctx) => {
      const r = await orders.requestAttachmentUpload(ctx, ctx.params.orderId, ctx.body);
      return { status: 201, body: r, location: `/api/v1/orders/${ctx.params.orderId}/attachments/${r.attachment.id}` };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'attachments-list',
    method: 'GET',
    route: 'v1/orders/{orderId}/attachments',
    summary: 'The order’s attachments, stored ones with read-only download URLs (10 minutes)',
    tags: ['orders'],
    auth: 'bearer',
    params: orderIdParams,
    responses: {
      200: {
        description: 'The attachments',
        schema: z.object({ items: z.array(attachmentSchema) }),
        example: { items: [attachmentExample] },
      },
    },
    handler: async (ctx) => ({
      status: 200,
      body: { items: await orders.listAttachments(ctx, ctx.params.orderId) },
    }),
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'attachments-confirm',
    method: 'POST',
    route: 'v1/orders/{orderId}/attachments/{attachmentId}/confirm',
    summary: 'Confirm an upload: the stored file’s real type and size must match what was announced',
    tags: ['orders'],
    auth: 'bearer',
    params: attachmentParams,
    errors: [409, 422],
    responses: { 200: { description: 'The stored attachment', schema: attachmentSchema, example: attachmentExample } },
    handler: async (ctx) => ({
      status: 200,
      body: await orders.confirmAttachment(ctx, ctx.params.orderId, ctx.params.attachmentId),
    }),
  }),
);

function isApiAction(action: string): action is ApiAction {
  return (API_ACTIONS as readonly string[]).includes(action);
}
