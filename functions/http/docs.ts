import { z } from 'zod';
import { NotFoundError } from '../../shared/application/errors';
import { API_REFERENCE_ASSETS } from '../../shared/platform/http/api-reference-assets';
import type { ApiReference } from '../../shared/platform/http/api-reference';
import { defineEndpoint, type EndpointResult } from '../../shared/platform/http/endpoint';
import { openApiPath } from '../../shared/platform/http/openapi';
import { getRoot } from '../composition-root';
import { registerEndpoint } from './register';

/**
 * The API reference page (`/api/docs`) and the renderer's files (`/api/docs/{asset}`): anonymous,
 * in every environment unless `API_DOCS_ENABLED=false` (then both answer 404). The renderer is
 * loaded on the first request (`import()`), so the entry's cold start does not carry it.
 */
let reference: Promise<ApiReference> | undefined;

function apiReference(): Promise<ApiReference> {
  if (!getRoot().settings.API_DOCS_ENABLED)
    throw new NotFoundError('the API reference page is turned off in this environment (API_DOCS_ENABLED=false)');
  reference ??= import('../../shared/platform/http/api-reference').then(
    (m) => new m.ApiReference({ basePath: openApiPath('docs'), openApiUrl: openApiPath('v1/openapi.json') }),
  );
  return reference;
}

const answer = (a: { status: 200 | 304; headers: Record<string, string>; content?: Uint8Array | string }): EndpointResult => ({
  status: a.status,
  headers: a.headers,
  ...(a.content !== undefined ? { content: a.content } : {}),
});

registerEndpoint(
  defineEndpoint({
    name: 'docs',
    method: 'GET',
    route: 'docs',
    summary: 'The API reference page (Swagger UI over this document; “Authorize” takes a bearer token)',
    tags: ['meta'],
    auth: 'anonymous',
    errors: [404],
    problems: { 404: 'The page is turned off in this environment (API_DOCS_ENABLED=false)' },
    responses: {
      200: {
        description: 'The page: HTML that loads only /api/docs/* and this document',
        mediaTypes: { 'text/html': '<!doctype html>\n<html lang="en">\n  <head>\n    <title>Algesta API reference</title>…' },
      },
    },
    handler: async () => answer(await (await apiReference()).page()),
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'docs-asset',
    method: 'GET',
    route: 'docs/{asset}',
    summary: 'A file of the API reference page: the renderer’s script, stylesheet and icons, and its configuration',
    tags: ['meta'],
    auth: 'anonymous',
    params: z.object({ asset: z.enum(API_REFERENCE_ASSETS) }),
    query: z.object({
      v: z.string().max(64).optional().describe('the version the page names: with it, the answer may be cached for a year'),
    }),
    errors: [404],
    problems: { 404: 'The page is turned off in this environment (API_DOCS_ENABLED=false)' },
    responses: {
      200: {
        description: 'The file (ETag; cached for a year when asked for with the page’s version)',
        mediaTypes: {
          'text/javascript': 'window.ui = SwaggerUIBundle({"url":"/api/v1/openapi.json","dom_id":"#swagger-ui"});',
          'text/css': '.swagger-ui{color:#3b4151;font-family:sans-serif}',
          'image/png': undefined,
        },
      },
      304: { description: 'Not modified: the If-None-Match ETag is the file’s' },
    },
    handler: async (ctx) => answer(await (await apiReference()).serve(ctx.params.asset, ctx.query.v, ctx.ifNoneMatch ?? null)),
  }),
);
