/**
 * Stages the Function App package: what `npm run build` produced (package.json `main`,
 * dist/functions/index.js, its chunks and dist/build-info.json), host.json, package.json and the lockfile, and the
 * production dependencies only. azd (azure.yaml, `prepackage`) and the pipeline both deploy this
 * folder, so a developer's `azd deploy` ships what production ships.
 *
 *   npx tsx infra/scripts/stage-package.ts <folder>      (after npm run build)
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The files of the package, relative to the repository; fails when the build output is missing. */
export function packageFiles(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main?: string };
  if (!pkg.main) throw new Error('package.json has no "main": the Functions host would find no entry');
  if (!existsSync(join(root, pkg.main))) throw new Error(`${pkg.main} does not exist: run npm run build first`);
  const entryFolder = pkg.main.split('/')[0]!;
  // The build's stamp (scripts/build.ts): `GET /api/health` answers with it and the pipeline reads it
  // from the package; a build older than the stamp must not ship as a package without a version.
  if (!existsSync(join(root, entryFolder, 'build-info.json')))
    throw new Error(`${entryFolder}/build-info.json does not exist: run npm run build first`);
  return [entryFolder, 'host.json', 'package.json', 'package-lock.json'];
}

export function stagePackage(root: string, out: string): void {
  const files = packageFiles(root);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  for (const f of files) cpSync(join(root, f), join(out, f), { recursive: true });
  // Production dependencies exactly as locked; none of them needs an install script.
  const npm = spawnSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: out,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (npm.status !== 0) throw new Error(`npm ci --omit=dev failed in ${out}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: stage-package.ts <folder>');
    process.exit(2);
  }
  stagePackage(process.cwd(), resolve(out));
  console.log(`staged ${packageFiles(process.cwd()).join(', ')} and production node_modules in ${out}`);
}
