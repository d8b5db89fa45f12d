import { presentProvider } from '../../shared/application/providers/providers';
import { created, defineEndpoint } from '../../shared/platform/http/endpoint';
import { providers } from '../wiring';
import {
  invitationPageExample,
  providerActionExample,
  providerDocumentExample,
  providerExample,
  registerProviderExample,
  requestDocumentExample,
  reviewDocumentExample,
  scorecardExample,
  uploadInstructionsExample,
} from './examples';
import { registerEndpoint } from './register';
import {
  invitationSchema,
  listProvidersQuery,
  pageOf,
  pageQuery,
  pageRequest,
  providerActionBody,
  providerActionParams,
  providerDocumentParams,
  providerDocumentSchema,
  providerIdParams,
  providerSchema,
  registerProviderBody,
  requestDocumentBody,
  reviewDocumentBody,
  scorecardSchema,
  uploadInstructionsSchema,
} from './schemas';
import { z } from 'zod';

const tags = ['providers'];

registerEndpoint(
  defineEndpoint({
    name: 'providers-create',
    method: 'POST',
    route: 'v1/providers',
    summary: 'Register a provider (staff; or a provider user for its own company)',
    tags,
    auth: 'bearer',
    body: registerProviderBody,
    requestExample: registerProviderExample,
    idempotent: true,
    errors: [409, 422],
    responses: {
      201: {
        description: 'Registered, status PENDING_DOCUMENTS',
        schema: providerSchema,
        example: { ...providerExample, status: 'PENDING_DOCUMENTS', documents: [], allowedActions: [], version: 1 },
      },
    },
    handler: async (ctx) => {
      const p = await providers.register(ctx, ctx.body);
      return created(p, presentProvider(p.value), `/api/v1/providers/${p.value.id}`);
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'providers-list',
    method: 'GET',
    route: 'v1/providers',
    summary: 'List providers (staff: all, filtered; a provider user: its own)',
    tags,
    auth: 'bearer',
    query: listProvidersQuery,
    responses: {
      200: {
        description: 'A page of providers, by legal name',
        schema: pageOf(providerSchema),
        example: { items: [providerExample] },
      },
    },
    handler: async (ctx) => {
      const { limit, continuationToken, ...filters } = ctx.query;
      const page = await providers.list(ctx, filters, pageRequest({ limit, continuationToken }));
      return { status: 200, body: { ...page, items: page.items.map(presentProvider) } };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'providers-get',
    method: 'GET',
    route: 'v1/providers/{providerId}',
    summary: 'Get a provider',
    tags,
    auth: 'bearer',
    params: providerIdParams,
    responses: { 200: { description: 'The provider', schema: providerSchema, example: providerExample } },
    handler: async (ctx) => {
      const p = await providers.get(ctx, ctx.params.providerId);
      return { status: 200, body: presentProvider(p.value), etag: p.etag };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'provider-documents-request',
    method: 'POST',
    route: 'v1/providers/{providerId}/documents',
    summary: 'Announce a document and get a write-only upload URL (15 minutes) for its file',
    tags,
    auth: 'bearer',
    params: providerIdParams,
    body: requestDocumentBody,
    requestExample: requestDocumentExample,
    errors: [409, 422],
    responses: {
      201: {
        description: 'Upload with a PUT to the URL, then confirm',
        schema: uploadInstructionsSchema,
        example: uploadInstructionsExample,
      },
    },
    handler: async (ctx) => {
      const r = await providers.requestDocumentUpload(ctx, ctx.params.providerId, ctx.body);
      return { status: 201, body: { document: r.document, upload: r.upload }, etag: r.provider.etag };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'provider-documents-list',
    method: 'GET',
    route: 'v1/providers/{providerId}/documents',
    summary: 'The provider’s documents, with read-only download URLs (10 minutes)',
    tags,
    auth: 'bearer',
    params: providerIdParams,
    responses: {
      200: {
        description: 'The documents',
        schema: z.object({ items: z.array(providerDocumentSchema) }),
        example: { items: [providerDocumentExample] },
      },
    },
    handler: async (ctx) => ({
      status: 200,
      body: { items: await providers.listDocuments(ctx, ctx.params.providerId) },
    }),
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'provider-documents-confirm',
    method: 'POST',
    route: 'v1/providers/{providerId}/documents/{documentId}/confirm',
    summary: 'Confirm an upload: the stored file’s real type and size are checked',
    tags,
    auth: 'bearer',
    params: providerDocumentParams,
    errors: [409, 422],
    responses: {
      200: {
        description: 'The provider, the document pending review',
        schema: providerSchema,
        example: {
          ...providerExample,
          status: 'UNDER_REVIEW',
          documents: [providerDocumentExample],
          allowedActions: ['approve', 'reject'],
        },
      },
    },
    handler: async (ctx) => {
      const p = await providers.confirmUpload(ctx, ctx.params.providerId, ctx.params.documentId);
      return { status: 200, body: presentProvider(p.value), etag: p.etag };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'provider-documents-review',
    method: 'POST',
    route: 'v1/providers/{providerId}/documents/{documentId}/review',
    summary: 'Approve or reject a document (staff)',
    tags,
    auth: 'bearer',
    params: providerDocumentParams,
    body: reviewDocumentBody,
    requestExample: reviewDocumentExample,
    conditional: true,
    errors: [409, 412, 422],
    responses: { 200: { description: 'The provider after the review', schema: providerSchema, example: providerExample } },
    handler: async (ctx) => {
      const p = await providers.reviewDocument(ctx, ctx.params.providerId, ctx.params.documentId, ctx.body, ctx.ifMatch);
      return { status: 200, body: presentProvider(p.value), etag: p.etag };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'providers-action',
    method: 'POST',
    route: 'v1/providers/{providerId}/actions/{action}',
    summary: 'approve, reject, suspend or reinstate a provider (staff)',
    tags,
    auth: 'bearer',
    params: providerActionParams,
    body: providerActionBody,
    requestExample: providerActionExample,
    conditional: true,
    errors: [409, 412, 422],
    responses: { 200: { description: 'The provider after the action', schema: providerSchema, example: providerExample } },
    handler: async (ctx) => {
      const { providerId, action } = ctx.params;
      const p = await providers.act(ctx, providerId, action, ctx.body.reason, ctx.ifMatch);
      return { status: 200, body: presentProvider(p.value), etag: p.etag };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'providers-scorecard',
    method: 'GET',
    route: 'v1/providers/{providerId}/scorecard',
    summary: 'The provider’s scorecard',
    tags,
    auth: 'bearer',
    params: providerIdParams,
    responses: { 200: { description: 'The scorecard', schema: scorecardSchema, example: scorecardExample } },
    handler: async (ctx) => ({ status: 200, body: await providers.scorecard(ctx, ctx.params.providerId) }),
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'providers-invitations',
    method: 'GET',
    route: 'v1/providers/{providerId}/invitations',
    summary: 'The provider’s open invitations to quote, soonest deadline first',
    tags,
    auth: 'bearer',
    params: providerIdParams,
    query: z.object(pageQuery),
    responses: {
      200: { description: 'A page of invitations', schema: pageOf(invitationSchema), example: invitationPageExample },
    },
    handler: async (ctx) => {
      const page = await providers.invitations(ctx, ctx.params.providerId, pageRequest(ctx.query));
      return { status: 200, body: page };
    },
  }),
);
