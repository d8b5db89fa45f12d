import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack } from '../support/stack';

/**
 * `API_DOCS_ENABLED=false` turns the API reference page off: the page and every file of it answer
 * the API's 404 problem, as if there were no such route; the OpenAPI document is still served
 * (clients are generated from it). Its own file: the setting is read once per process.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  stack = await startTestStack({ API_DOCS_ENABLED: 'false' });
  api = apiClient(`${stack.url}/api`);
}, 120_000);
afterAll(async () => {
  await stack?.dispose();
});

describe('API_DOCS_ENABLED=false', () => {
  it('answers the page and its files with a 404 problem, and still serves the OpenAPI document', async () => {
    for (const path of ['/docs', '/docs/swagger-ui-bundle.js', '/docs/init.js?v=x']) {
      const r = await api('GET', path);
      expect(r.status, path).toBe(404);
      expect(r.headers.get('content-type'), path).toContain('application/problem+json');
      expect(r.body.type).toBe('https://api.algesta.co/problems/not-found');
      expect(r.body.detail).toContain('API_DOCS_ENABLED=false');
      expect(r.text).not.toContain('SwaggerUIBundle');
    }
    const doc = await api('GET', '/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
  });
});
