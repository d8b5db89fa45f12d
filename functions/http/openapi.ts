import { defineEndpoint } from '../../shared/platform/http/endpoint';
import { buildOpenApiDocument } from '../../shared/platform/http/openapi';
import { registerEndpoint, registeredEndpoints } from './register';

let document: unknown;

registerEndpoint(
  defineEndpoint({
    name: 'openapi',
    method: 'GET',
    route: 'v1/openapi.json',
    summary: 'This API’s OpenAPI 3.1 document',
    tags: ['meta'],
    auth: 'anonymous',
    responses: { 200: { description: 'The OpenAPI document' } },
    handler: async () => {
      // Built once, on first request: every endpoint is registered by then (the entry imports all).
      document ??= buildOpenApiDocument(registeredEndpoints(), { title: 'Algesta API', version: '1.0.0' });
      return { status: 200, body: document, headers: { 'cache-control': 'public, max-age=300' } };
    },
  }),
);
