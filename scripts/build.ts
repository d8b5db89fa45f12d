/**
 * `npm run build`: bundles the Functions entry for deployment (package.json `main` points at the
 * result). Our code is bundled and split: adapters that the composition root imports lazily land in
 * their own chunks, so a cold start parses only what the invoked function needs. npm packages stay
 * external and are deployed as production node_modules, except those in BUNDLED.
 *
 * Beside the bundle it writes `build-info.json` (`{ version, commit }`, shared/platform/build-info.ts):
 * the pipeline sets `ALGESTA_BUILD_VERSION` (its build number) and `ALGESTA_BUILD_COMMIT` (the source
 * commit); elsewhere the version is `<package.json version>-local` and the commit git's HEAD. The
 * deployed app answers `GET /api/health` with this file, and the pipeline compares the two.
 *
 * It also copies `client/openapi.json` (the committed document, generated from the endpoints by
 * `npm run client:generate`) to `openapi.json`: the pipeline imports the package's copy into each
 * region's API Management gateway (infra/scripts/rollout.ts), so the gateway routes what this package
 * serves. That the served document equals the committed one is proven against a running host by
 * test/e2e/remote/health-contract.test.ts.
 *
 * Tests build the same bundle into a folder of their own through `buildBundle`.
 */
import { build, type Metafile } from 'esbuild';
import { readFileSync } from 'node:fs';
import { copyFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BUILD_INFO_FILE, computeBuildInfo, type BuildInfo } from '../shared/platform/build-info';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The bundle's entry, relative to the output folder: package.json `main` is `dist/` + this. */
export const BUNDLE_ENTRY = 'functions/index.js';

/**
 * Packages bundled into our code instead of loaded from node_modules. zod is imported by the entry
 * itself (the endpoints' schemas), and Node's ESM loader resolving and linking its ~100 module files
 * one by one cost more than parsing them as part of one chunk: bundled, the entry imports in 190 ms
 * instead of 215–300 ms (`bench/cold-imports.ts`, 9 runs each, docs/performance.md). No other
 * package takes zod schemas from us, so there is only one zod in the bundle's world.
 */
const BUNDLED: readonly string[] = ['zod'];

/** Every other production dependency, and its subpaths, stays an import of node_modules. */
function externalPackages(): string[] {
  const { dependencies } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  return Object.keys(dependencies)
    .filter((name) => !BUNDLED.includes(name))
    .flatMap((name) => [name, `${name}/*`]);
}

/** The document the package carries for the gateways, relative to the output folder. */
export const OPENAPI_FILE = 'openapi.json';

/** Writes the stamp into the output folder (`dist/build-info.json` for `npm run build`). */
export async function writeBuildInfo(outdir: string, info: BuildInfo): Promise<void> {
  await writeFile(join(outdir, BUILD_INFO_FILE), JSON.stringify(info, null, 2) + '\n');
}

export async function buildBundle(opts: {
  outdir: string;
  quiet?: boolean;
  /** Where ALGESTA_BUILD_VERSION / ALGESTA_BUILD_COMMIT are read from; the process's by default. */
  env?: Readonly<Record<string, string | undefined>>;
}): Promise<Metafile> {
  // Before bundling: an invalid ALGESTA_BUILD_* value fails the build before any output exists.
  const info = computeBuildInfo(ROOT, opts.env ?? process.env);
  await rm(opts.outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { 'functions/index': 'functions/index.ts' },
    outdir: opts.outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: externalPackages(),
    sourcemap: true,
    metafile: true,
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: opts.quiet ? 'warning' : 'info',
  });
  // Only BUNDLED packages may be inside: anything else from node_modules (a devDependency imported
  // by production code) would otherwise be bundled silently instead of failing the package check.
  for (const input of Object.keys(result.metafile.inputs)) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
    if (name && !BUNDLED.includes(name))
      throw new Error(`${input}: ${name} would be bundled, and only ${BUNDLED.join(', ')} may be: make it a dependency`);
  }
  await writeBuildInfo(opts.outdir, info);
  await copyFile(join(ROOT, 'client', 'openapi.json'), join(opts.outdir, OPENAPI_FILE));
  return result.metafile;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const metafile = await buildBundle({ outdir: 'dist' });
  const outputs = Object.entries(metafile.outputs).filter(([f]) => f.endsWith('.js'));
  for (const [file, meta] of outputs) console.log(`${file}  ${(meta.bytes / 1024).toFixed(1)} KiB`);
  console.log(`dist/${BUILD_INFO_FILE}  ${readFileSync(join('dist', BUILD_INFO_FILE), 'utf8').replace(/\s+/g, ' ').trim()}`);
}
