/**
 * `npm run build`: bundles the Functions entry for deployment (package.json `main` points at the
 * result). Our code is bundled and split: adapters that the composition root imports lazily land in
 * their own chunks, so a cold start parses only what the invoked function needs. npm packages stay
 * external and are deployed as production node_modules.
 *
 * Tests build the same bundle into a folder of their own through `buildBundle`.
 */
import { build, type Metafile } from 'esbuild';
import { rm } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

/** The bundle's entry, relative to the output folder: package.json `main` is `dist/` + this. */
export const BUNDLE_ENTRY = 'functions/index.js';

export async function buildBundle(opts: { outdir: string; quiet?: boolean }): Promise<Metafile> {
  await rm(opts.outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { 'functions/index': 'functions/index.ts' },
    outdir: opts.outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    metafile: true,
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: opts.quiet ? 'warning' : 'info',
  });
  return result.metafile;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const metafile = await buildBundle({ outdir: 'dist' });
  const outputs = Object.entries(metafile.outputs).filter(([f]) => f.endsWith('.js'));
  for (const [file, meta] of outputs) console.log(`${file}  ${(meta.bytes / 1024).toFixed(1)} KiB`);
}
