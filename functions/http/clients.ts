import { created, defineEndpoint } from '../../shared/platform/http/endpoint';
import { clients } from '../wiring';
import {
  approvalChainExample,
  clientExample,
  clientWithChainExample,
  clientWithPolicyExample,
  createClientExample,
  createSiteExample,
  fieldPolicyExample,
  siteExample,
  siteLocationExample,
} from './examples';
import { registerEndpoint } from './register';
import {
  approvalChainBody,
  clientIdParams,
  clientSchema,
  createClientBody,
  createSiteBody,
  fieldPolicyBody,
  listSitesQuery,
  siteLocationBody,
  siteParams,
  pageOf,
  pageRequest,
  siteSchema,
} from './schemas';

registerEndpoint(
  defineEndpoint({
    name: 'clients-create',
    method: 'POST',
    route: 'v1/clients',
    summary: 'Create a client company (admin, operator)',
    tags: ['clients'],
    auth: 'bearer',
    body: createClientBody,
    requestExample: createClientExample,
    idempotent: true,
    responses: { 201: { description: 'Created', schema: clientSchema, example: clientExample } },
    handler: async (ctx) => {
      const client = await clients.create(ctx, ctx.body);
      return created(client, client.value, `/api/v1/clients/${client.value.id}`);
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'clients-get',
    method: 'GET',
    route: 'v1/clients/{clientId}',
    summary: 'Get a client',
    tags: ['clients'],
    auth: 'bearer',
    params: clientIdParams,
    responses: { 200: { description: 'The client', schema: clientSchema, example: clientExample } },
    handler: async (ctx) => {
      const client = await clients.get(ctx, ctx.params.clientId);
      return { status: 200, body: client.value, etag: client.etag };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'sites-create',
    method: 'POST',
    route: 'v1/clients/{clientId}/sites',
    summary: 'Add a site to a client (admin, operator)',
    tags: ['clients'],
    auth: 'bearer',
    params: clientIdParams,
    body: createSiteBody,
    requestExample: createSiteExample,
    idempotent: true,
    responses: { 201: { description: 'Created', schema: siteSchema, example: siteExample } },
    handler: async (ctx) => {
      const site = await clients.createSite(ctx, ctx.params.clientId, ctx.body);
      return created(site, site.value, `/api/v1/clients/${site.value.clientId}/sites/${site.value.id}`);
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'sites-list',
    method: 'GET',
    route: 'v1/clients/{clientId}/sites',
    summary: 'List a client’s sites',
    tags: ['clients'],
    auth: 'bearer',
    params: clientIdParams,
    query: listSitesQuery,
    responses: { 200: { description: 'A page of sites', schema: pageOf(siteSchema), example: { items: [siteExample] } } },
    handler: async (ctx) => {
      const page = await clients.listSites(ctx, ctx.params.clientId, pageRequest(ctx.query));
      return { status: 200, body: page };
    },
  }),
);

// ---- issue 17: field and invoice controls ---------------------------------------------------------

registerEndpoint(
  defineEndpoint({
    name: 'sites-location-put',
    method: 'PUT',
    route: 'v1/clients/{clientId}/sites/{siteId}/location',
    summary: 'Set a site’s coordinates and radius for geo-verified check-in (admin, operator)',
    tags: ['clients'],
    auth: 'bearer',
    params: siteParams,
    body: siteLocationBody,
    requestExample: siteLocationExample,
    responses: { 200: { description: 'The site', schema: siteSchema, example: siteExample } },
    handler: async (ctx) => {
      const site = await clients.setSiteLocation(ctx, ctx.params.clientId, ctx.params.siteId, ctx.body);
      return { status: 200, body: site.value, etag: site.etag };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'clients-field-policy-put',
    method: 'PUT',
    route: 'v1/clients/{clientId}/field-policy',
    summary:
      'Set a client’s geofence and invoice rules: hard rules, labour tolerance, rate card, required evidence (admin, operator)',
    tags: ['clients'],
    auth: 'bearer',
    params: clientIdParams,
    body: fieldPolicyBody,
    requestExample: fieldPolicyExample,
    responses: { 200: { description: 'The client with its policy', schema: clientSchema, example: clientWithPolicyExample } },
    handler: async (ctx) => {
      const client = await clients.setFieldPolicy(ctx, ctx.params.clientId, ctx.body);
      return { status: 200, body: client.value, etag: client.etag };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'clients-approval-chain-put',
    method: 'PUT',
    route: 'v1/clients/{clientId}/approval-chain',
    summary:
      'Set a client’s approval chain (admin, operator): tiers by amount and category, escalation after N business hours; a chain that is wrong as a whole (overlapping tiers, another currency, …) is a 400 with field errors',
    tags: ['clients'],
    auth: 'bearer',
    params: clientIdParams,
    body: approvalChainBody,
    requestExample: approvalChainExample,
    conditional: true,
    responses: { 200: { description: 'The client with its chain', schema: clientSchema, example: clientWithChainExample } },
    handler: async (ctx) => {
      const client = await clients.setApprovalChain(ctx, ctx.params.clientId, ctx.body, ctx.ifMatch);
      return { status: 200, body: client.value, etag: client.etag };
    },
  }),
);
