/**
 * azure.yaml's `prepackage` hook, run the way azd runs it (`sh -c <run>` in the project folder) on a
 * fresh copy of the repository that has never been built. azd raises `prepackage` before its package
 * step, and its Node framework service runs `npm run build` only inside that step
 * (Azure/azure-dev cli/azd/pkg/project/framework_service_node.go: `Requirements` has
 * `RequireBuild: false`, `Package` runs the `build` script; service_manager.go raises the `package`
 * event around it). A hook that only stages therefore finds no dist/ on a clean clone — `azd up`
 * failed there before deploying anything (issue 22) — or ships a stale build.
 *
 * The copy takes the working tree's files as a commit would (tracked and new, not ignored) and links
 * the installed packages instead of installing them; the hook's `npm ci --omit=dev` prefers npm's
 * cache, so no network is needed once `npm ci` has run here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadEntryAsWorker, type WorkerFunctionMetadata } from '../support/worker/load-entry';
import { RENDERER_FILES } from '../../shared/platform/http/api-reference-assets';
import { REPO } from './support/bicep';

type Yaml = Record<string, any>;
const azd = parse(readFileSync(join(REPO, 'azure.yaml'), 'utf8')) as Yaml;
const api = azd.services.api as Yaml;
const hook = api.hooks.prepackage as Yaml;
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  main: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** A copy of the repository as a fresh clone would have it: no dist/, no staged package. */
function freshCopy(): string {
  const root = mkdtempSync(join(tmpdir(), 'algesta-fresh-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO })
    .toString()
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(REPO, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(root, file)), { recursive: true });
    copyFileSync(join(REPO, file), join(root, file));
  }
  // Each installed package linked on its own, so that the hook's output (node_modules/.cache/…)
  // lands in the copy, never in this repository's node_modules.
  mkdirSync(join(root, 'node_modules'));
  for (const entry of readdirSync(join(REPO, 'node_modules')))
    if (entry !== '.cache') symlinkSync(join(REPO, 'node_modules', entry), join(root, 'node_modules', entry));
  return root;
}

function run(command: string, cwd: string, env: Record<string, string> = {}): { status: number | null; output: string } {
  const result = spawnSync('sh', ['-c', command], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', ...env },
    // ~15 s on a quiet machine, most of it `npm ci --omit=dev` from the cache; room for a busy one.
    timeout: 110_000,
  });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

describe('azure.yaml prepackage hook on a fresh clone', () => {
  let root: string;
  beforeAll(() => {
    root = freshCopy();
  });
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('is the same command on every OS, and builds before it stages', () => {
    expect(hook.posix.shell).toBe('sh');
    expect(hook.windows.shell).toBe('pwsh');
    expect(hook.windows.run).toBe(hook.posix.run);
    const steps = String(hook.posix.run)
      .split('&&')
      .map((s: string) => s.trim());
    expect(steps).toEqual(['npm run build', `npx tsx infra/scripts/stage-package.ts ${api.dist}`]);
  });

  it('staging alone fails there: nothing has been built', () => {
    expect(existsSync(join(root, 'dist'))).toBe(false);
    const stageOnly = run(`npx tsx infra/scripts/stage-package.ts ${api.dist}`, root);
    expect(stageOnly.status).not.toBe(0);
    expect(stageOnly.output).toContain(`${pkg.main} does not exist: run npm run build first`);
  });

  it(
    'succeeds, and stages the build, host.json, package.json, the lockfile and production dependencies only',
    { timeout: 120_000 },
    () => {
      // The pipeline's stamp variables (issue 23): the package must carry them, as the pipeline reads
      // them back with `unzip -p <package>.zip dist/build-info.json`.
      const stamp = { ALGESTA_BUILD_VERSION: '20261207.5', ALGESTA_BUILD_COMMIT: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678' };
      const result = run(hook.posix.run, root, stamp);
      expect(result.status, result.output).toBe(0);
      const staged = join(root, api.dist);
      expect(existsSync(join(staged, pkg.main))).toBe(true);
      expect(JSON.parse(readFileSync(join(staged, 'dist', 'build-info.json'), 'utf8'))).toEqual({
        version: stamp.ALGESTA_BUILD_VERSION,
        commit: stamp.ALGESTA_BUILD_COMMIT,
      });
      // The staged entry is the build this run made, not something older.
      expect(readFileSync(join(staged, pkg.main), 'utf8')).toBe(readFileSync(join(root, pkg.main), 'utf8'));
      for (const file of ['host.json', 'package.json', 'package-lock.json'])
        expect(readFileSync(join(staged, file), 'utf8'), file).toBe(readFileSync(join(root, file), 'utf8'));
      for (const name of Object.keys(pkg.dependencies))
        expect(existsSync(join(staged, 'node_modules', name, 'package.json')), `dependency ${name}`).toBe(true);
      for (const name of ['vitest', 'esbuild', 'typescript', 'azurite'])
        expect(existsSync(join(staged, 'node_modules', name)), `devDependency ${name}`).toBe(false);
    },
  );

  // Copies the production tree twice and imports every package the bundle names; with OpenTelemetry
  // (issue 19: @azure/monitor-opentelemetry and its SDK) that tree is larger: ≈ 45 s alone here, up to
  // 200 s with three test suites sharing the 2 cores.
  it(
    'is a package that runs alone: every function registers from it with production dependencies only, and no local, bench or test code is inside',
    { timeout: 240_000 },
    async () => {
      // The staged folder, copied where no node_modules of this repository is on the resolution path:
      // what the package needs must be inside it, as on the Flex Consumption instance.
      const unpacked = mkdtempSync(join(tmpdir(), 'algesta-package-'));
      try {
        cpSync(join(root, api.dist), unpacked, { recursive: true });
        const fromPackage = await loadEntryAsWorker(join(unpacked, pkg.main));
        const fromBuild = await loadEntryAsWorker(join(root, pkg.main));
        const summary = (functions: readonly WorkerFunctionMetadata[]) =>
          functions.map((f) => ({ name: f.name, bindings: f.bindings })).sort((a, b) => a.name.localeCompare(b.name));
        expect(fromPackage.functions.length).toBeGreaterThan(40);
        expect(summary(fromPackage.functions)).toEqual(summary(fromBuild.functions));
        expect(fromPackage.programmingModel?.name).toBe('@azure/functions');
        // The adapters load their SDKs lazily (`await import("@azure/storage-blob")` inside a chunk):
        // every package the bundle names, statically or dynamically, must import from the package
        // alone, or the first invocation that needs it would fail in Azure rather than at start-up.
        const bundleFiles = listFiles(join(unpacked, pkg.main.split('/')[0]!)).filter((f) => f.endsWith('.js'));
        const packages = bareSpecifiers(bundleFiles);
        expect(packages).toEqual(expect.arrayContaining(['@azure/functions', '@azure/cosmos', '@azure/storage-blob']));
        for (const name of packages) expect(Object.keys(pkg.dependencies), name).toContain(packageName(name));
        expect(importFrom(unpacked, packages)).toEqual({ status: 0, output: '' });
        // The API reference page reads the renderer's files at run time, resolved from the bundle's own
        // folder (shared/platform/http/api-reference.ts): the package must hold them, and find them itself.
        const rendererDir = dirname(
          createRequire(join(unpacked, pkg.main.split('/')[0]!, 'chunks', 'api-reference.js')).resolve(
            'swagger-ui-dist/package.json',
          ),
        );
        expect(rendererDir).toBe(join(unpacked, 'node_modules', 'swagger-ui-dist'));
        for (const file of Object.keys(RENDERER_FILES)) expect(existsSync(join(rendererDir, file)), file).toBe(true);
        expect(readdirSync(join(unpacked, pkg.main.split('/')[0]!, 'chunks')).some((f) => /^api-reference-.*\.js$/.test(f))).toBe(
          true,
        );

        // And the check bites: without a dependency that only an adapter uses, the entry still
        // registers every function, but that package no longer imports.
        const lacking = mkdtempSync(join(tmpdir(), 'algesta-package-lacking-'));
        try {
          cpSync(unpacked, lacking, { recursive: true });
          rmSync(join(lacking, 'node_modules', '@azure', 'storage-blob'), { recursive: true, force: true });
          await expect(loadEntryAsWorker(join(lacking, pkg.main))).resolves.toBeDefined();
          expect(importFrom(lacking, packages).output).toContain('@azure/storage-blob');
        } finally {
          rmSync(lacking, { recursive: true, force: true });
        }

        // What the bundle was made of (its source maps), and what the package holds besides node_modules.
        const entryFolder = join(unpacked, pkg.main.split('/')[0]!);
        const sources = listFiles(entryFolder)
          .filter((f) => f.endsWith('.js.map'))
          .flatMap((f) => (JSON.parse(readFileSync(f, 'utf8')) as { sources: string[] }).sources);
        expect(sources.length).toBeGreaterThan(50);
        const foreign = sources.filter((s) => /(^|\/)(local|bench|test|scripts|infra)\//.test(s.replace(/^(\.\.\/)+/, '')));
        expect(foreign).toEqual([]);
        const outside = readdirSync(unpacked).filter((f) => f !== 'node_modules');
        expect(outside.sort()).toEqual([pkg.main.split('/')[0]!, 'host.json', 'package-lock.json', 'package.json'].sort());
      } finally {
        rmSync(unpacked, { recursive: true, force: true });
      }
    },
  );
});

/**
 * Every package a bundle imports (`from "x"`, `import("x")`), node built-ins left out: bare specifiers
 * of import statements, not a string that merely follows the word (`case "from":`).
 */
function bareSpecifiers(files: readonly string[]): string[] {
  const found = new Set<string>();
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(
      /(?:(?<!["'])\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"'.\/\s][^"'\s]*)["']/g,
    )) {
      if (!m[1]!.startsWith('node:')) found.add(m[1]!);
    }
  }
  return [...found].sort();
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Imports each package in a child `node` whose module resolution starts in `dir`. */
function importFrom(dir: string, specifiers: readonly string[]): { status: number | null; output: string } {
  const script = `const failed = [];
for (const s of ${JSON.stringify(specifiers)}) await import(s).catch((e) => failed.push(s + ': ' + e.message));
if (failed.length) { console.error(failed.join('\\n')); process.exit(1); }`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)],
  );
}
