/**
 * Publishes the function package to the Flex Consumption app, retrying for a bounded time. The
 * deployment that runs just before assigns the app's identity its roles (rbac.bicep), and the
 * platform writes a published package into the deployment container with that identity
 * (functionapp.bicep, functionAppConfig.deployment.storage). A new role assignment "can take up to 10
 * minutes" to take effect (learn.microsoft.com/azure/role-based-access-control/troubleshooting,
 * "Role assignment changes are not being detected"), so the first publish of an environment can be
 * refused (403) although nothing is wrong. Each failure is logged with what happens next.
 *
 * The pipeline runs it with Node 22's type stripping (no npm install on the agent), logged in to Azure:
 *
 *   node --experimental-strip-types infra/scripts/publish-package.ts --resource-group <rg> --name <app> --src <zip>
 *
 * `az functionapp deployment source config-zip` publishes to a Flex app through its one-deploy
 * endpoint (Azure CLI, appservice `enable_zip_deploy_flex`), with Entra ID credentials.
 */
import { pathToFileURL } from 'node:url';
import { az, tail, type Az } from './az.ts';

export interface Attempt {
  readonly ok: boolean;
  /** What went wrong, for the log (the tail of the command's output). */
  readonly detail: string;
}

export interface RetryOptions {
  /** No attempt starts later than this after the first one. */
  readonly budgetMs: number;
  /** The first wait; each next one doubles, up to maxDelayMs. */
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  /** Why a failure is worth retrying, said in the log after each failed attempt. */
  readonly reason: string;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

/** The wait after the `attempt`-th failure: doubling, capped. */
export function backoffMs(attempt: number, firstDelayMs: number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, firstDelayMs * 2 ** (attempt - 1));
}

const seconds = (ms: number): string => (ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

/** Runs `attempt` until it succeeds or the budget is spent; resolves with the number of attempts. */
export async function retry(what: string, attempt: () => Attempt | Promise<Attempt>, options: RetryOptions): Promise<number> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const log = options.log ?? console.log;
  const start = now();
  for (let n = 1; ; n++) {
    log(`${what}: attempt ${n}`);
    const result = await attempt();
    const elapsed = now() - start;
    if (result.ok) {
      log(`${what}: succeeded on attempt ${n}, ${seconds(elapsed)} after the first`);
      return n;
    }
    const delay = backoffMs(n, options.firstDelayMs, options.maxDelayMs);
    if (elapsed + delay > options.budgetMs)
      throw new Error(
        `${what}: gave up after ${n} attempt(s) in ${seconds(elapsed)} (the bound is ${seconds(options.budgetMs)}); last error: ${result.detail}`,
      );
    log(`${what}: attempt ${n} failed: ${result.detail}`);
    log(`${what}: ${options.reason}; retrying in ${seconds(delay)} (giving up ${seconds(options.budgetMs - elapsed)} from now)`);
    await sleep(delay);
  }
}

/** The `az` call that publishes `zip` to the app, as an attempt (its output goes to the log as it is). */
export function publishAttempt(resourceGroup: string, app: string, zip: string, run: Az = az): () => Attempt {
  return () => {
    const args = ['functionapp', 'deployment', 'source', 'config-zip', '--resource-group', resourceGroup];
    const result = run([...args, '--name', app, '--src', zip]);
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    return { ok: result.status === 0, detail: tail(result) };
  };
}

/** 15 minutes: past the 10 that role assignments can take, short of hiding a real failure for long. */
export const PUBLISH_RETRY = {
  budgetMs: 15 * 60_000,
  firstDelayMs: 20_000,
  maxDelayMs: 2 * 60_000,
  reason:
    "the roles this deployment gave the app's identity can take up to 10 minutes to take effect, and the platform " +
    'stores the package with that identity (a 403 now is usually that)',
} as const;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string): string => {
    const i = process.argv.indexOf(`--${name}`);
    const value = i > 0 ? process.argv[i + 1] : undefined;
    if (!value) {
      console.error('usage: publish-package.ts --resource-group <rg> --name <app> --src <zip>');
      process.exit(2);
    }
    return value;
  };
  const [resourceGroup, app, zip] = [arg('resource-group'), arg('name'), arg('src')];
  retry(`publish ${zip} to ${app}`, publishAttempt(resourceGroup, app, zip), PUBLISH_RETRY).catch((err: Error) => {
    console.error(`##vso[task.logissue type=error]${err.message}`);
    process.exit(1);
  });
}
