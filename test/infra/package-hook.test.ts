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
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
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

function run(command: string, cwd: string): { status: number | null; output: string } {
  const result = spawnSync('sh', ['-c', command], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' },
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
      const result = run(hook.posix.run, root);
      expect(result.status, result.output).toBe(0);
      const staged = join(root, api.dist);
      expect(existsSync(join(staged, pkg.main))).toBe(true);
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
});
