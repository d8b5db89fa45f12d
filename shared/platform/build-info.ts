/**
 * What is running: the package's version and the commit it was built from (issue 23). `npm run build`
 * (scripts/build.ts) writes them to `build-info.json` beside the bundle (`dist/build-info.json`); the
 * pipeline reads that file from the package, and `GET /api/health` answers with it, so "which build
 * does production run" has one answer.
 *
 * Where there is no bundle (the local host, the tests, running from source) the stamp is computed the
 * way the build computes it, once per process: `ALGESTA_BUILD_VERSION` else `<package.json version>-local`,
 * `ALGESTA_BUILD_COMMIT` else `git rev-parse HEAD` else `unknown`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The file's name, at the root of the build's output folder. */
export const BUILD_INFO_FILE = 'build-info.json';

/** A full or abbreviated git object name, or `unknown` when the build had neither the variable nor git. */
const COMMIT = /^(?:[0-9a-f]{7,40}|unknown)$/;

export const BuildInfoSchema = z
  .object({
    version: z.string().trim().min(1, 'version must not be empty'),
    commit: z.string().regex(COMMIT, 'commit must be a hex git sha or "unknown"'),
  })
  .strict();
export type BuildInfo = z.infer<typeof BuildInfoSchema>;

/** The build's inputs: the environment (the pipeline's variables), package.json's version, git's HEAD. */
export interface BuildInputs {
  env: Readonly<Record<string, string | undefined>>;
  packageVersion: string;
  /** `git rev-parse HEAD`, or undefined without git or outside a repository. */
  gitCommit: () => string | undefined;
}

/** The stamp from its inputs (contract 1 of issue 23); throws when a given value is invalid. */
export function resolveBuildInfo({ env, packageVersion, gitCommit }: BuildInputs): BuildInfo {
  const version = env.ALGESTA_BUILD_VERSION || `${packageVersion}-local`;
  // git is asked only when the pipeline did not say: the agent's checkout may be shallow or detached.
  const commit = env.ALGESTA_BUILD_COMMIT || gitCommit() || 'unknown';
  const parsed = BuildInfoSchema.safeParse({ version, commit: commit.toLowerCase() });
  if (!parsed.success) throw new Error(`invalid build stamp: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

/** The HEAD commit of the repository at `cwd`, or undefined (no git, not a repository). */
export function gitHead(cwd: string): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** The nearest folder at or above `from` that holds a package.json (this project's root). */
export function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json at or above ${from}`);
  }
}

/** The stamp computed from this checkout (no bundle): what `npm run build` would write here. */
export function computeBuildInfo(root: string, env: BuildInputs['env'] = process.env): BuildInfo {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return resolveBuildInfo({ env, packageVersion: version, gitCommit: () => gitHead(root) });
}

/** Reads and validates a stamp file. */
export function readBuildInfoFile(path: string): BuildInfo {
  const parsed = BuildInfoSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path}: invalid build stamp: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

/**
 * The stamp of the code this module runs in. In the bundle this module sits in `dist/functions/` or
 * `dist/chunks/`, so the build's `dist/build-info.json` is one folder up; from source
 * (`shared/platform/`) there is none there, and the stamp is computed from the checkout.
 */
export function loadBuildInfo(moduleUrl: string = import.meta.url): BuildInfo {
  const here = dirname(fileURLToPath(moduleUrl));
  const stamped = join(dirname(here), BUILD_INFO_FILE);
  if (existsSync(stamped)) return readBuildInfoFile(stamped);
  return computeBuildInfo(packageRoot(here));
}
