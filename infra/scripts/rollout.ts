/**
 * Region-by-region rollout of the function package behind Azure Front Door, with automatic rollback
 * (docs/operations.md, "Deploying"). Flex Consumption's own zero-downtime strategy, rolling updates,
 * "is currently in preview and isn't recommended for production apps"
 * (learn.microsoft.com/azure/azure-functions/flex-consumption-site-updates), and its default strategy,
 * Recreate, restarts every instance and forcefully ends in-progress executions (same page). So each
 * region is taken out of Front Door before its package changes, in the order main.bicep gives
 * (AZURE_FUNCTION_APPS: secondary first, primary last):
 *
 *   drain (origin Disabled, wait) → record its app settings → publish → gateway routes → readiness
 *   → smoke test → origin Enabled
 *
 * "gateway routes" (issue 24, only where the region has an API Management gateway): the OpenAPI
 * document of the package just published (`dist/openapi.json` in the zip, the document the app serves)
 * is imported into that region's gateway (gateway-import.ts), while the region is still drained, so
 * the gateway routes exactly the package it forwards to before Front Door sends it traffic again. A
 * rollback imports the restored package's document the same way.
 *
 * Each region is checked at its `checkUrl` (deployment-outputs.ts): its gateway when it has one, with
 * the X-Azure-FDID header the gateway requires (the profile's id, AZURE_FRONT_DOOR_ID), else its app.
 * With private networking the app's own host answers only its gateway's subnet, so the gateway is the
 * pipeline's way in; the routes are imported before readiness because the gateway forwards only the
 * operations it has. The check through Front Door at the end sends no such header: Front Door adds it.
 *
 * and at the end readiness + smoke test through the Front Door endpoint. Any failure: the reason as
 * `##vso[task.logissue type=error]<step> <region>: <reason>`, then every region already touched gets
 * the previous app settings and package back (drained first when it is serving), its readiness is
 * checked and its origin enabled again; a summary; exit code 1.
 *
 *   node --experimental-strip-types infra/scripts/rollout.ts deploy --outputs <outputs.json> --package <zip>
 *       [--previous-package <zip>] [--previous-settings <dir>] [--record-settings <dir>]
 *   node --experimental-strip-types infra/scripts/rollout.ts rollback-only --env-name <env>
 *       [--previous-package <zip>] [--previous-settings <dir>]
 *
 * On a failure (and always in `rollback-only`), when ALGESTA_DEPLOYMENT_NOTICE_ENV names the
 * environment, deployment-notice.ts tells the on-call group after the rollback; a notice that cannot
 * be sent is a warning and changes no exit code.
 *
 * `rollback-only` is for a failed infrastructure deployment (no outputs): it finds the Function Apps by
 * the tags main.bicep gives them (azd-env-name, azd-service-name = api) across the subscription, since
 * the secondary region has a resource group of its own, and restores them the same way; each app is
 * checked through the gateway of its resource group when there is one, with the tagged Front Door
 * profile's id (rollout-commands.ts, findDeploymentByTag).
 *
 * The plan comes from deployment-outputs.ts, the Azure commands from rollout-commands.ts (all through
 * az.ts, the CLI on PATH), the publish from publish-package.ts, the HTTP checks from verify-deployment.ts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { az, type Az } from './az.ts';
import { notifyDeploymentFailure, type DeploymentNotice } from './deployment-notice.ts';
import { checkHeaders, planFromOutputs, type FrontDoor, type Plan, type RegionApp } from './deployment-outputs.ts';
import { PUBLISH_RETRY, publishAttempt, retry } from './publish-package.ts';
import { importDocument } from './gateway-import.ts';
import { findDeploymentByTag, listSettings, putSettings, setOrigin } from './rollout-commands.ts';
import { smokeTest, waitUntilReady } from './verify-deployment.ts';
import { fileFromPackage } from './verify-version.ts';
import { messageOf, runAsScript } from './run-script.ts';

/**
 * How long to wait after an origin changes state. Front Door has no connection draining of its own
 * (learn.microsoft.com/azure/frontdoor/front-door-faq: it "cannot do Connection Draining"), and a
 * configuration change "might take up to 20 minutes" to reach every edge (same FAQ, "What is the
 * estimated time for deploying an Azure Front Door?"). A request already forwarded to the origin ends
 * within the profile's origin response timeout: 60 s, the default of the AVM cdn/profile module
 * (`originResponseTimeoutSeconds`). So a drain waits 20 min + 60 s before the package changes, and a
 * re-enabled origin is given the 20 min before the next one is disabled, so that no edge ever sees
 * the origin group without an enabled origin.
 */
export const WAITS = { propagationSeconds: 20 * 60, inFlightSeconds: 60 } as const;

export interface Options {
  readonly package: string;
  /** The package of the last successful run of this branch; undefined on a first deployment. */
  readonly previousPackage?: string;
  /** Folder with `<app name>.json` ({ properties }) recorded by that run. */
  readonly previousSettings?: string;
  /** Where this run records each app's settings (published with the run when it succeeds). */
  readonly recordSettings?: string;
  readonly propagationSeconds: number;
  readonly inFlightSeconds: number;
  readonly readyTimeoutSeconds: number;
  readonly readyIntervalSeconds: number;
}

export interface Effects {
  readonly az: Az;
  readonly log: (line: string) => void;
  readonly sleep: (seconds: number) => Promise<void>;
  readonly publish: (app: RegionApp, zip: string) => Promise<void>;
  /** `headers`: X-Azure-FDID when `url` is a region's gateway (checkHeaders), none otherwise. */
  readonly ready: (url: string, headers: Record<string, string>) => Promise<void>;
  /** Resolves with the failed checks' description, '' when all passed. */
  readonly smoke: (url: string, headers: Record<string, string>) => Promise<string>;
  /**
   * Tells on-call that the deployment failed (deployment-notice.ts); absent when no environment is
   * named for notices (ALGESTA_DEPLOYMENT_NOTICE_ENV unset). Must not throw.
   */
  readonly notify?: (notice: Omit<DeploymentNotice, 'environment'>) => Promise<void>;
  /**
   * Imports the OpenAPI document inside `zip` (the package just published to `app`) into that region's
   * gateway (app.gateway is set).
   */
  readonly importRoutes: (app: RegionApp, zip: string) => Promise<void>;
}

/** Every region the rollout changed is back on the previous package (nothing left half-way). */
function rolledBack(touched: readonly Touched[]): boolean {
  return touched.every((t) => t.outcome !== 'restore failed' && t.outcome !== 'left as it is');
}

// ---- The rollout ----

type Outcome =
  'not touched' | 'not changed' | 'deployed' | 'restored' | 'restore failed' | 'left as it is' | 'origin enabled again';

interface Touched {
  readonly app: RegionApp;
  originDisabled: boolean;
  /** The package or its settings may have changed: a rollback restores both. */
  changed: boolean;
  outcome: Outcome;
  note: string;
}

// Fields declared, not constructor parameter properties: type stripping only erases, it compiles nothing.
class StepFailure extends Error {
  readonly step: string;
  readonly where: string;
  constructor(step: string, where: string, reason: string) {
    super(reason);
    this.step = step;
    this.where = where;
  }
}

async function step<T>(effects: Effects, name: string, where: string, action: () => T | Promise<T>): Promise<T> {
  effects.log(`==> ${name} ${where}`);
  try {
    return await action();
  } catch (err) {
    throw new StepFailure(name, where, err instanceof Error ? err.message : String(err));
  }
}

export async function rollout(plan: Plan, options: Options, effects: Effects): Promise<number> {
  const { frontDoor: fd } = plan;
  const touched: Touched[] = [];
  let failedAt: Touched | undefined;
  try {
    for (const [i, app] of plan.apps.entries()) {
      const t: Touched = { app, originDisabled: false, changed: false, outcome: 'deployed', note: '' };
      touched.push(t);
      failedAt = t;
      if (fd) {
        await step(effects, 'drain', app.region, async () => {
          // Counted as disabled before the call: if it fails half-way, the rollback enables it again.
          t.originDisabled = true;
          setOrigin(effects.az, fd, app.origin, 'Disabled');
          const wait = options.propagationSeconds + options.inFlightSeconds;
          effects.log(`origin ${app.origin} disabled; waiting ${wait} s for Front Door to stop sending it requests`);
          await effects.sleep(wait);
        });
      }
      await step(effects, 'record settings', app.region, () => {
        const settings = listSettings(effects.az, app);
        if (options.recordSettings) {
          mkdirSync(options.recordSettings, { recursive: true });
          writeFileSync(join(options.recordSettings, `${app.name}.json`), JSON.stringify({ properties: settings }, null, 2));
        }
        effects.log(`${Object.keys(settings).length} app settings: ${Object.keys(settings).sort().join(', ')}`);
      });
      t.changed = true;
      await step(effects, 'publish', app.region, () => effects.publish(app, options.package));
      if (app.gateway) await step(effects, 'gateway routes', app.region, () => effects.importRoutes(app, options.package));
      const headers = checkHeaders(plan, app);
      await step(effects, 'readiness', app.region, () => effects.ready(app.checkUrl, headers));
      await step(effects, 'smoke test', app.region, async () => {
        const failed = await effects.smoke(app.checkUrl, headers);
        if (failed) throw new Error(failed);
      });
      if (fd) {
        await step(effects, 'enable', app.region, async () => {
          setOrigin(effects.az, fd, app.origin, 'Enabled');
          t.originDisabled = false;
          if (i < plan.apps.length - 1) {
            effects.log(
              `origin ${app.origin} enabled; waiting ${options.propagationSeconds} s before the next region is drained`,
            );
            await effects.sleep(options.propagationSeconds);
          }
        });
      }
    }
    failedAt = undefined;
    if (fd && !fd.url)
      effects.log('##vso[task.logissue type=warning]AZURE_FRONT_DOOR_URL is empty: the check through Front Door is skipped.');
    if (fd?.url) {
      // No X-Azure-FDID: Front Door sets it itself on what it forwards to the gateways.
      await step(effects, 'readiness', 'front-door', () => effects.ready(fd.url, {}));
      await step(effects, 'smoke test', 'front-door', async () => {
        const failed = await effects.smoke(fd.url, {});
        if (failed) throw new Error(failed);
      });
    }
  } catch (err) {
    const failure = err instanceof StepFailure ? err : new StepFailure('rollout', 'all', String(err));
    effects.log(`##vso[task.logissue type=error]${failure.step} ${failure.where}: ${failure.message}`);
    // The region that failed first (it is drained), then the ones already serving the new package.
    const order = failedAt ? [failedAt, ...touched.filter((t) => t !== failedAt).reverse()] : [...touched].reverse();
    await restore(order, fd, plan.frontDoorId, options, effects);
    summary(plan.apps, touched, effects);
    // After the rollback, so the notice says whether it worked; never instead of the exit code.
    await effects.notify?.({
      step: failure.step,
      region: failure.where,
      reason: failure.message,
      rolledBack: rolledBack(touched),
    });
    return 1;
  }
  summary(plan.apps, touched, effects);
  return 0;
}

/** Puts the previous settings and package back on each app in `order`, checks it, enables its origin. */
async function restore(
  order: Touched[],
  fd: FrontDoor | undefined,
  frontDoorId: string,
  options: Options,
  effects: Effects,
): Promise<void> {
  const previous = options.previousPackage && existsSync(options.previousPackage) ? options.previousPackage : undefined;
  if (!previous)
    effects.log(
      '##vso[task.logissue type=warning]No previous package: this is the first deployment of the branch, nothing to roll back to.',
    );
  let allGood = true;
  let enabledBefore = false;
  for (const t of order) {
    const { app } = t;
    try {
      if (previous && t.changed) {
        // A serving region is drained first, unless a region restored before it is not ready: then
        // it keeps serving (with the new package, which passed its checks) rather than leave none.
        if (fd && !t.originDisabled && allGood) {
          // As in the rollout: the origin enabled just before must have reached the edges first.
          if (enabledBefore) await effects.sleep(options.propagationSeconds);
          effects.log(`==> drain ${app.region} (rollback)`);
          setOrigin(effects.az, fd, app.origin, 'Disabled');
          t.originDisabled = true;
          await effects.sleep(options.propagationSeconds + options.inFlightSeconds);
        }
        const settings = options.previousSettings ? join(options.previousSettings, `${app.name}.json`) : '';
        // Settings before the package: the previous package may not start with this run's settings.
        if (settings && existsSync(settings)) {
          effects.log(`==> restore settings ${app.region}`);
          putSettings(effects.az, app, settings);
        } else
          effects.log(
            `##vso[task.logissue type=warning]${app.region}: the previous run recorded no app settings for ${app.name}; the package is rolled back alone.`,
          );
        effects.log(`==> restore package ${app.region}`);
        await effects.publish(app, previous);
        if (app.gateway) {
          effects.log(`==> gateway routes ${app.region} (rollback)`);
          try {
            await effects.importRoutes(app, previous);
          } catch (err) {
            // Not a failed restore: the package and settings are back, and the readiness check below
            // still goes through this gateway. A package built before the build copied the document
            // (no dist/openapi.json) ends here; the gateway keeps the routes it has, said in the summary.
            t.note = `gateway routes not restored: ${err instanceof Error ? err.message : String(err)}`;
            effects.log(
              `##vso[task.logissue type=warning]gateway routes ${app.region} (rollback): ${t.note}; the gateway keeps the routes it had (import the previous package's document by hand: docs/infrastructure.md, "The routes")`,
            );
          }
        }
        effects.log(`==> readiness ${app.region} (rollback)`);
        await effects.ready(app.checkUrl, checkHeaders({ frontDoorId }, app));
        t.outcome = 'restored';
      } else t.outcome = t.changed ? 'left as it is' : t.originDisabled ? 'origin enabled again' : 'not changed';
    } catch (err) {
      allGood = false;
      t.outcome = 'restore failed';
      t.note = err instanceof Error ? err.message : String(err);
      effects.log(`##vso[task.logissue type=error]rollback ${app.region}: ${t.note}`);
    }
    if (fd && t.originDisabled) {
      try {
        effects.log(`==> enable ${app.region} (rollback)`);
        setOrigin(effects.az, fd, app.origin, 'Enabled');
        t.originDisabled = false;
        enabledBefore = true;
      } catch (err) {
        t.note = `${t.note} origin still disabled: ${err instanceof Error ? err.message : String(err)}`.trim();
        effects.log(`##vso[task.logissue type=error]enable ${app.region}: ${t.note}`);
      }
    }
  }
}

function summary(apps: readonly RegionApp[], touched: Touched[], effects: Effects): void {
  effects.log('Summary:');
  for (const app of apps) {
    const t = touched.find((x) => x.app === app);
    effects.log(`  ${app.region} ${app.name}: ${t?.outcome ?? 'not touched'}${t?.note ? ` (${t.note})` : ''}`);
  }
}

/** The rollback alone, for apps found by tag after the infrastructure deployment failed. */
export async function rollbackOnly(
  apps: RegionApp[],
  options: Options,
  effects: Effects,
  /** The profile's id for the checks through each app's gateway ('' without gateways). */
  frontDoorId = '',
): Promise<number> {
  if (apps.length === 0) {
    effects.log('##vso[task.logissue type=warning]No Function App carries this environment’s tags: nothing to roll back.');
    await effects.notify?.({
      step: 'infrastructure',
      region: 'all',
      reason: 'the infrastructure deployment failed; no app of this environment was found to roll back',
      rolledBack: false,
    });
    return 0;
  }
  const touched: Touched[] = apps.map((app) => ({
    app,
    originDisabled: false,
    changed: true,
    outcome: 'left as it is',
    note: '',
  }));
  await restore(touched, undefined, frontDoorId, options, effects);
  summary(apps, touched, effects);
  const restored = touched.every((t) => t.outcome === 'restored');
  // This mode runs only because the infrastructure deployment failed: on-call hears of it either way.
  await effects.notify?.({
    step: 'infrastructure',
    region: 'all',
    reason: restored
      ? 'the infrastructure deployment failed; the previous package and settings are back on every app'
      : 'the infrastructure deployment failed, and the rollback did not restore every app',
    rolledBack: restored,
  });
  return restored ? 0 : 1;
}

// ---- Command line ----

/** Where `npm run build` puts the OpenAPI document in the package (scripts/build.ts). */
export const OPENAPI_IN_PACKAGE = 'dist/openapi.json';

function effectsFor(options: Options, dashboardOrigin: string, run: Az = az): Effects {
  const log = (line: string) => console.log(line);
  // Set by infra/pipelines/deploy.yml (a job variable): the environment whose on-call group a failure
  // notifies. Unset (a run by hand, the tests that do not ask for it): no notice.
  const noticeEnv = process.env.ALGESTA_DEPLOYMENT_NOTICE_ENV?.trim();
  return {
    ...(noticeEnv
      ? {
          notify: async (notice: Omit<DeploymentNotice, 'environment'>) => {
            await notifyDeploymentFailure(
              { ...notice, environment: noticeEnv },
              { az: run, log, run: process.env.BUILD_BUILDNUMBER ?? '' },
            );
          },
        }
      : {}),
    az: run,
    log,
    sleep: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
    publish: async (app, zip) => {
      await retry(`publish ${zip} to ${app.name}`, publishAttempt(app.resourceGroup, app.name, zip, run), PUBLISH_RETRY);
    },
    importRoutes: async (app, zip) => {
      // The build's copy of client/openapi.json (scripts/build.ts): the document this package serves.
      const document = JSON.parse(fileFromPackage(zip, OPENAPI_IN_PACKAGE)) as unknown;
      const paths = importDocument(run, { name: app.gateway, resourceGroup: app.resourceGroup }, document);
      log(`${paths} paths of ${zip}:${OPENAPI_IN_PACKAGE} imported into ${app.gateway}`);
    },
    ready: (url, headers) =>
      waitUntilReady(url, {
        timeoutMs: options.readyTimeoutSeconds * 1000,
        intervalMs: options.readyIntervalSeconds * 1000,
        headers,
      }),
    smoke: async (url, headers) => {
      const checks = await smokeTest(url, { headers, ...(dashboardOrigin ? { origin: dashboardOrigin } : {}) });
      for (const c of checks) log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
      return checks
        .filter((c) => !c.ok)
        .map((c) => `${c.name}: ${c.detail}`)
        .join('; ');
    },
  };
}

async function main(argv: string[]): Promise<number> {
  const [mode, ...rest] = argv;
  const flag = (name: string): string | undefined => {
    const i = rest.indexOf(`--${name}`);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const seconds = (name: string, fallback: number): number => {
    const v = flag(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number of seconds, got ${v}`);
    return n;
  };
  const options: Options = {
    package: flag('package') ?? '',
    ...(flag('previous-package') ? { previousPackage: flag('previous-package')! } : {}),
    ...(flag('previous-settings') ? { previousSettings: flag('previous-settings')! } : {}),
    ...(flag('record-settings') ? { recordSettings: flag('record-settings')! } : {}),
    propagationSeconds: seconds('propagation-seconds', WAITS.propagationSeconds),
    inFlightSeconds: seconds('in-flight-seconds', WAITS.inFlightSeconds),
    readyTimeoutSeconds: seconds('ready-timeout-seconds', 5 * 60),
    readyIntervalSeconds: seconds('ready-interval-seconds', 10),
  };
  if (mode === 'deploy' && flag('outputs') && options.package) {
    const plan = planFromOutputs(JSON.parse(readFileSync(flag('outputs')!, 'utf8')));
    const effects = effectsFor(options, plan.dashboardOrigin);
    effects.log(`Rollout order: ${plan.apps.map((a) => `${a.region} (${a.name})`).join(', ')}`);
    return rollout(plan, options, effects);
  }
  if (mode === 'rollback-only' && flag('env-name')) {
    const effects = effectsFor(options, '');
    const { apps, frontDoorId } = findDeploymentByTag(effects.az, flag('env-name')!);
    effects.log(`Rolling back: ${apps.map((a) => `${a.region} (${a.name}, ${a.url})`).join(', ') || 'nothing found'}`);
    return rollbackOnly(apps, options, effects, frontDoorId);
  }
  console.error(
    'usage: rollout.ts deploy --outputs <outputs.json> --package <zip> [--previous-package <zip>] [--previous-settings <dir>] [--record-settings <dir>]\n' +
      '       rollout.ts rollback-only --env-name <env> [--previous-package <zip>] [--previous-settings <dir>]\n' +
      '       [--propagation-seconds N] [--in-flight-seconds N] [--ready-timeout-seconds N] [--ready-interval-seconds N]',
  );
  return 2;
}

runAsScript(import.meta.url, main, (err) => console.error(`##vso[task.logissue type=error]rollout: ${messageOf(err)}`));
