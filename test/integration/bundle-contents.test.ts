import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../../scripts/build';

/**
 * What `npm run build` puts in `dist/`: the Functions entry and what it imports, and nothing of the
 * local tooling — the console (local/console/), the partners' sandboxes, the local host, the tests.
 * The bundle is built as `npm run build` builds it, into a folder of this test's own.
 */
const outdir = join('node_modules', '.cache', `bundle-contents-test-${process.pid}`);
let metafile: Metafile;

beforeAll(async () => {
  metafile = await buildBundle({ outdir, quiet: true });
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
});
