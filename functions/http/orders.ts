import { createOrder, getOrder, getOrderHistory, listOrders } from '../../shared/application/orders/orders';
import { defineEndpoint } from '../../shared/platform/http/endpoint';
import { orderDeps } from './deps';
import { registerEndpoint } from './register';
import {
  createOrderBody,
  historyEntrySchema,
  historyQuery,
  listOrdersQuery,
  orderIdParams,
  orderSchema,
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
    idempotent: true,
    errors: [422],
    responses: { 201: { description: 'Created', schema: orderSchema } },
    handler: async (ctx) => {
      const order = await createOrder(await orderDeps(), ctx, ctx.body);
      return { status: 201, body: order.value, etag: order.etag, location: `/api/v1/orders/${order.value.id}` };
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
    responses: { 200: { description: 'A page of orders', schema: pageOf(orderSchema) } },
    handler: async (ctx) => {
      const { limit, continuationToken, ...filters } = ctx.query;
      const page = await listOrders(await orderDeps(), ctx, filters, pageRequest({ limit, continuationToken }));
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
    responses: { 200: { description: 'The order', schema: orderSchema } },
    handler: async (ctx) => {
      const order = await getOrder(await orderDeps(), ctx, ctx.params.orderId);
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
    responses: { 200: { description: 'A page of history entries', schema: pageOf(historyEntrySchema) } },
    handler: async (ctx) => {
      const page = await getOrderHistory(await orderDeps(), ctx, ctx.params.orderId, pageRequest(ctx.query));
      return { status: 200, body: page };
    },
  }),
);
