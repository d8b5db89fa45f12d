import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_ENTRY, OPENAPI_FILE, buildBundle } from '../../scripts/build';
import { loadBuildInfo } from '../../shared/platform/build-info';

/**
 * What `npm run build` puts in `dist/`: the Functions entry and what it imports, and nothing of the
 * local tooling — the console (local/console/), the partners' sandboxes, the local host, the tests.
 * The bundle is built as `npm run build` builds it, into a folder of this test's own, with the
 * pipeline's stamp variables set as the pipeline sets them.
 */
const outdir = join('node_modules', '.cache', `bundle-contents-test-${process.pid}`);
const STAMP = { ALGESTA_BUILD_VERSION: '20261207.4', ALGESTA_BUILD_COMMIT: '0123456789abcdef0123456789abcdef01234567' };
let metafile: Metafile;

beforeAll(async () => {
  metafile = await buildBundle({ outdir, quiet: true, env: STAMP });
}, 120_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('the deployed bundle', () => {
  it('is built from functions/ and shared/ only: no console, sandbox, local host or test file is an input', () => {
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.some((i) => i.startsWith('functions/'))).toBe(true);
    const ours = inputs.filter((i) => !i.includes('node_modules/'));
    expect(ours.filter((i) => !i.startsWith('functions/') && !i.startsWith('shared/'))).toEqual([]);
    expect(inputs.filter((i) => /(^|\/)(local|test)\/|console|sandboxes?\//.test(i))).toEqual([]);
  });

  it("carries none of the console's pages, style sheet or script", () => {
    const written = files(outdir);
    expect(written.filter((f) => /console\.(css|js)$|\.html$/.test(f))).toEqual([]);
    for (const file of written.filter((f) => f.endsWith('.js'))) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toContain('Algesta local console');
      expect(text, file).not.toContain('/console/');
    }
  });

  it('carries the stamp it was given in build-info.json, where the bundled code looks for it', () => {
    const expected = { version: STAMP.ALGESTA_BUILD_VERSION, commit: STAMP.ALGESTA_BUILD_COMMIT };
    expect(JSON.parse(readFileSync(join(outdir, 'build-info.json'), 'utf8'))).toEqual(expected);
    // The entry (and every chunk) is one folder below the output's root: the stamp is found from both.
    for (const module of [BUNDLE_ENTRY, 'chunks/any.js'])
      expect(loadBuildInfo(pathToFileURL(resolve(outdir, module)).href), module).toEqual(expected);
  });

  it('carries the committed OpenAPI document, byte for byte: what the pipeline imports into each gateway', () => {
    // infra/scripts/rollout.ts reads dist/openapi.json from the package; the served document equals
    // client/openapi.json (test/e2e/remote/health-contract.test.ts), so the gateway routes what the app serves.
    expect(OPENAPI_FILE).toBe('openapi.json');
    expect(readFileSync(join(outdir, OPENAPI_FILE), 'utf8')).toBe(readFileSync('client/openapi.json', 'utf8'));
  });
});
