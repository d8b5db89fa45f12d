/**
 * `npm run build`: bundles the Functions entry for deployment (package.json `main` points at the
 * result). Our code is bundled and split: adapters that the composition root imports lazily land in
 * their own chunks, so a cold start parses only what the invoked function needs. npm packages stay
 * external and are deployed as production node_modules.
 */
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';

await rm('dist', { recursive: true, force: true });
const result = await build({
  entryPoints: { 'functions/index': 'functions/index.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  metafile: true,
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'info',
});
const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'));
for (const [file, meta] of outputs) console.log(`${file}  ${(meta.bytes / 1024).toFixed(1)} KiB`);
