import { created, defineEndpoint } from '../../shared/platform/http/endpoint';
import { plans } from '../wiring';
import { createPlanExample, occurrencesExample, planExample } from './examples';
import { registerEndpoint } from './register';
import {
  clientIdParams,
  listPlansQuery,
  occurrenceSchema,
  pageOf,
  pageRequest,
  planActionParams,
  planBody,
  planParams,
  planSchema,
  upcomingQuery,
} from './schemas';
import { z } from 'zod';

/**
 * Maintenance plans (docs/plans.md): admin and operators for any client, a client's users for their
 * own; providers none. Under the client's route, so a plan is one point read in its partition.
 */
registerEndpoint(
  defineEndpoint({
    name: 'plans-create',
    method: 'POST',
    route: 'v1/clients/{clientId}/plans',
    summary: 'Create a maintenance plan (admin, operator, the client’s users)',
    tags: ['plans'],
    auth: 'bearer',
    params: clientIdParams,
    body: planBody,
    requestExample: createPlanExample,
    idempotent: true,
    errors: [403, 422],
    responses: { 201: { description: 'Created', schema: planSchema, example: planExample } },
    handler: async (ctx) => {
      const plan = await plans.create(ctx, { ...ctx.body, clientId: ctx.params.clientId });
      return created(plan, plan.value, `/api/v1/clients/${plan.value.clientId}/plans/${plan.value.id}`);
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'plans-list',
    method: 'GET',
    route: 'v1/clients/{clientId}/plans',
    summary: 'List a client’s maintenance plans',
    tags: ['plans'],
    auth: 'bearer',
    params: clientIdParams,
    query: listPlansQuery,
    errors: [403],
    responses: { 200: { description: 'A page of plans', schema: pageOf(planSchema), example: { items: [planExample] } } },
    handler: async (ctx) => {
      const page = await plans.list(ctx, ctx.params.clientId, pageRequest(ctx.query));
      return { status: 200, body: page };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'plans-get',
    method: 'GET',
    route: 'v1/clients/{clientId}/plans/{planId}',
    summary: 'Get a maintenance plan',
    tags: ['plans'],
    auth: 'bearer',
    params: planParams,
    errors: [403],
    responses: { 200: { description: 'The plan', schema: planSchema, example: planExample } },
    handler: async (ctx) => {
      const plan = await plans.get(ctx, ctx.params.clientId, ctx.params.planId);
      return { status: 200, body: plan.value, etag: plan.etag };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'plans-update',
    method: 'PUT',
    route: 'v1/clients/{clientId}/plans/{planId}',
    summary: 'Edit a plan: the new definition governs the occurrences not opened yet',
    tags: ['plans'],
    auth: 'bearer',
    params: planParams,
    body: planBody,
    requestExample: createPlanExample,
    conditional: true,
    errors: [403, 409, 412, 422],
    responses: { 200: { description: 'The plan after the edit', schema: planSchema, example: { ...planExample, version: 2 } } },
    handler: async (ctx) => {
      const plan = await plans.update(ctx, ctx.params.clientId, ctx.params.planId, ctx.body, ctx.ifMatch);
      return { status: 200, body: plan.value, etag: plan.etag };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'plans-action',
    method: 'POST',
    route: 'v1/clients/{clientId}/plans/{planId}/actions/{action}',
    summary: 'Pause, resume or end a plan (a resumed plan does not open what fell due while paused)',
    tags: ['plans'],
    auth: 'bearer',
    params: planActionParams,
    conditional: true,
    errors: [403, 409, 412],
    responses: {
      200: {
        description: 'The plan after the action',
        schema: planSchema,
        example: { ...planExample, status: 'paused', version: 2 },
      },
    },
    handler: async (ctx) => {
      const plan = await plans.move(ctx, ctx.params.clientId, ctx.params.planId, ctx.params.action, ctx.ifMatch);
      return { status: 200, body: plan.value, etag: plan.etag };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'plans-occurrences',
    method: 'GET',
    route: 'v1/clients/{clientId}/plans/{planId}/occurrences',
    summary: 'The plan’s next occurrences not opened yet (dates after the business-day rule)',
    tags: ['plans'],
    auth: 'bearer',
    params: planParams,
    query: upcomingQuery,
    errors: [403],
    responses: {
      200: {
        description: 'Upcoming occurrences, soonest first',
        schema: z.object({ items: z.array(occurrenceSchema) }),
        example: { items: occurrencesExample },
      },
    },
    handler: async (ctx) => {
      const { count, from, to } = ctx.query;
      const window = from && to ? { from, to } : undefined;
      const items = await plans.upcoming(ctx, ctx.params.clientId, ctx.params.planId, count, window);
      return { status: 200, body: { items } };
    },
  }),
);
