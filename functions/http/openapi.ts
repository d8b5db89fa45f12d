import { defineEndpoint } from '../../shared/platform/http/endpoint';
import { buildOpenApiDocument } from '../../shared/platform/http/openapi';
import { registerEndpoint, registeredEndpoints } from './register';

let document: unknown;

/**
 * The served document. Built once, on first use: every endpoint is registered by then (the entry
 * imports all). `npm run client:generate` reads it the same way, so the typed client is generated from
 * exactly what this function answers.
 */
export function openApiDocument(): unknown {
  document ??= buildOpenApiDocument(registeredEndpoints(), { title: 'Algesta API', version: '1.0.0' });
  return document;
}

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
      return { status: 200, body: openApiDocument(), headers: { 'cache-control': 'public, max-age=300' } };
    },
  }),
);
