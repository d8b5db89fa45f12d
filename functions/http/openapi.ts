import { z } from 'zod';
import { defineEndpoint } from '../../shared/platform/http/endpoint';
import { buildOpenApiDocument } from '../../shared/platform/http/openapi';
import { PATH_EXAMPLES } from './examples';
import { registerEndpoint, registeredEndpoints } from './register';

let document: unknown;

/**
 * The served document, from every registered endpoint. Built once, on first use: every endpoint is
 * registered by then (the entry imports all). `npm run client:generate` reads it the same way, so the
 * typed client is generated from exactly what this function answers.
 */
export function openApiDocument(): unknown {
  document ??= buildOpenApiDocument(registeredEndpoints(), {
    title: 'Algesta API',
    version: '1.0.0',
    pathExamples: PATH_EXAMPLES,
  });
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
    responses: {
      200: {
        description: 'The OpenAPI document',
        schema: z.looseObject({
          openapi: z.literal('3.1.0'),
          info: z.looseObject({ title: z.string(), version: z.string() }),
          paths: z.record(z.string(), z.record(z.string(), z.unknown())),
          components: z.looseObject({}),
        }),
        example: {
          openapi: '3.1.0',
          info: { title: 'Algesta API', version: '1.0.0' },
          paths: { '/api/health': { get: { operationId: 'health', summary: 'Liveness: the process answers' } } },
          components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
        },
      },
    },
    handler: async () => {
      return { status: 200, body: openApiDocument(), headers: { 'cache-control': 'public, max-age=300' } };
    },
  }),
);
