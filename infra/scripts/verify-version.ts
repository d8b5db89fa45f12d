/**
 * After the rollout: every region (at its checkUrl: its gateway, with the X-Azure-FDID the gateway
 * requires, when it has one; else its app) and the Front Door endpoint answer `GET /api/health` with the
 * version and commit of the package this run deployed (issue 23, item 2). The expected pair is read
 * from the package itself (`dist/build-info.json`, written by `npm run build` from the pipeline's
 * Build.BuildNumber and Build.SourceVersion), or given:
 *
 *   node --experimental-strip-types infra/scripts/verify-version.ts --outputs <outputs.json> \
 *     (--package <algesta-functions.zip> | --expect-version <v> --expect-commit <sha>) \
 *     [--attempts 6] [--interval-seconds 20]
 *
 * A URL that answers another version is asked again a few times (an instance started before the
 * publish may still answer for a moment), then the check fails with
 * `##vso[task.logissue type=error]` naming the URL and both versions. Needs no credentials.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { checkHeaders, planFromOutputs } from './deployment-outputs.ts';
import { runAsScript } from './run-script.ts';

export interface BuildInfo {
  readonly version: string;
  readonly commit: string;
}

export interface VersionCheck {
  readonly url: string;
  readonly ok: boolean;
  /** What the URL last answered, e.g. `version 20261207.3 commit abc…`, or why it did not. */
  readonly answered: string;
  readonly attempts: number;
}

type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/** `dist/build-info.json` as the build wrote it; throws when a field is missing. */
export function parseBuildInfo(text: string, where: string): BuildInfo {
  let info: Partial<BuildInfo>;
  try {
    info = JSON.parse(text) as Partial<BuildInfo>;
  } catch {
    throw new Error(`${where} is not JSON`);
  }
  if (typeof info.version !== 'string' || !info.version || typeof info.commit !== 'string' || !info.commit)
    throw new Error(`${where} has no version and commit: ${text.slice(0, 200)}`);
  return { version: info.version, commit: info.commit };
}

/**
 * One file of the deployed zip as text (unzip is on Microsoft-hosted Ubuntu agents). The one zip
 * reader of the pipeline's scripts: the stamp here, the OpenAPI document the rollout imports into each
 * gateway (rollout.ts).
 */
export function fileFromPackage(zip: string, path: string): string {
  // 64 MiB: the OpenAPI document is ~2.6 MB, beyond spawnSync's default 1 MiB of output.
  const run = spawnSync('unzip', ['-p', zip, path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`unzip -p ${zip} ${path} failed: ${(run.stderr || run.error?.message || '').trim()}`);
  return run.stdout;
}

/** The stamp inside the deployed zip. */
export function buildInfoFromPackage(zip: string): BuildInfo {
  return parseBuildInfo(fileFromPackage(zip, 'dist/build-info.json'), `${zip}:dist/build-info.json`);
}

/** A URL the version is checked at, with the headers it needs (X-Azure-FDID for a region's gateway). */
export interface CheckTarget {
  readonly url: string;
  readonly headers: Record<string, string>;
}

/**
 * Where the new version must answer: each region where the pipeline checks it (its gateway when it
 * has one, with the X-Azure-FDID the gateway requires; else its app), then the Front Door endpoint.
 */
export function targetsFromOutputs(outputs: Parameters<typeof planFromOutputs>[0]): CheckTarget[] {
  const plan = planFromOutputs(outputs);
  return [
    ...plan.apps.map((a) => ({ url: a.checkUrl, headers: checkHeaders(plan, a) })),
    ...(plan.frontDoor?.url ? [{ url: plan.frontDoor.url, headers: {} }] : []),
  ];
}

/** The URLs of targetsFromOutputs. */
export function urlsFromOutputs(outputs: Parameters<typeof planFromOutputs>[0]): string[] {
  return targetsFromOutputs(outputs).map((t) => t.url);
}

export async function checkVersions(
  targets: readonly (string | CheckTarget)[],
  expected: BuildInfo,
  {
    attempts = 6,
    intervalMs = 20_000,
    fetchImpl = fetch as Fetch,
    sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
    log = console.log as (line: string) => void,
  } = {},
): Promise<VersionCheck[]> {
  const results: VersionCheck[] = [];
  for (const target of targets) {
    const { url, headers } = typeof target === 'string' ? { url: target, headers: {} } : target;
    let answered = '';
    let ok = false;
    let attempt = 0;
    while (!ok && attempt < attempts) {
      if (attempt > 0) await sleep(intervalMs);
      attempt++;
      try {
        const res = await fetchImpl(`${url}/api/health`, { headers, signal: AbortSignal.timeout(15_000) });
        const text = await res.text();
        let body: { version?: unknown; commit?: unknown } = {};
        try {
          body = JSON.parse(text) as typeof body;
        } catch {
          // not JSON: reported below as what it answered
        }
        answered =
          res.status === 200 && body.version !== undefined
            ? `version ${String(body.version)} commit ${String(body.commit)}`
            : `${res.status} ${text.slice(0, 120)}`;
        ok = res.status === 200 && body.version === expected.version && body.commit === expected.commit;
      } catch (err) {
        answered = `no answer (${String(err)})`;
      }
      log(`${ok ? 'ok  ' : 'wait'} ${url}/api/health attempt ${attempt}: ${answered}`);
    }
    results.push({ url, ok, answered, attempts: attempt });
  }
  return results;
}

function option(argv: readonly string[], name: string): string | undefined {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? argv[at + 1] : undefined;
}

export async function main(argv: readonly string[], log = console.log, fetchImpl = fetch as Fetch): Promise<number> {
  const outputs = option(argv, 'outputs');
  const pkg = option(argv, 'package');
  const version = option(argv, 'expect-version');
  const commit = option(argv, 'expect-commit');
  const attempts = Number(option(argv, 'attempts') ?? 6);
  const intervalSeconds = Number(option(argv, 'interval-seconds') ?? 20);
  if (!outputs || (!pkg && !(version && commit)) || !(attempts >= 1) || !(intervalSeconds >= 0)) {
    log(
      'usage: verify-version.ts --outputs <outputs.json> (--package <zip> | --expect-version <v> --expect-commit <sha>) [--attempts 6] [--interval-seconds 20]',
    );
    return 2;
  }
  let expected: BuildInfo;
  let targets: CheckTarget[];
  try {
    expected = pkg ? buildInfoFromPackage(pkg) : { version: version!, commit: commit! };
    targets = targetsFromOutputs(JSON.parse(readFileSync(outputs, 'utf8')));
  } catch (err) {
    log(`##vso[task.logissue type=error]version check: ${(err as Error).message}`);
    return 1;
  }
  log(`expecting version ${expected.version} commit ${expected.commit} at ${targets.map((t) => t.url).join(', ')}`);
  const results = await checkVersions(targets, expected, { attempts, intervalMs: intervalSeconds * 1000, fetchImpl, log });
  for (const r of results.filter((r) => !r.ok))
    log(
      `##vso[task.logissue type=error]version check ${r.url}: answers ${r.answered} after ${r.attempts} attempt(s), expected version ${expected.version} commit ${expected.commit}`,
    );
  return results.every((r) => r.ok) ? 0 : 1;
}

runAsScript(import.meta.url, main);
