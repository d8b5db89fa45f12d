import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLIENT_DIR, generateClientFiles, servedOpenApiDocument } from '../../scripts/client';

/**
 * Issue 19, item 2: the typed client (client/) is generated from the document the API serves. This
 * runs the generator in memory, as `npm run client:generate` does, and compares with the checked-in
 * files: an endpoint changed without regenerating fails here (and so in CI), and the end-to-end tests,
 * which call the API through the client, are never typechecked against a stale contract.
 */
describe('the typed client in client/', () => {
  it('is generated from the current OpenAPI document (else: run npm run client:generate)', async () => {
    const generated = await generateClientFiles(await servedOpenApiDocument());
    expect(Object.keys(generated).sort()).toEqual(['openapi.json', 'schema.d.ts']);
    for (const [name, text] of Object.entries(generated)) {
      const checkedIn = await readFile(join(CLIENT_DIR, name), 'utf8').catch(() => '');
      // Not toBe(): a 400 KB string diff helps nobody; the message says what to do.
      if (checkedIn !== text) expect.fail(`client/${name} is out of date with the API: run npm run client:generate`);
    }
    // The document is the served one, not a copy: the operations the dashboard needs are in it.
    const doc = JSON.parse(generated['openapi.json']!) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/orders', '/api/v1/orders/{orderId}/actions/approve', '/api/v1/me']),
    );
  });
});
