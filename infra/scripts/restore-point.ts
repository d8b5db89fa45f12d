/**
 * Before a deployment changes anything: the UTC second to which Cosmos DB's continuous backup can
 * bring the data back if this release damages it (issue 23, item 5), written where the data-rollback
 * runbook (docs/operations.md, "Rolling back data after a bad release") reads it:
 *
 *   1. `<out>/restore-point.json` — { time, environment, runId, buildNumber, commit, cosmosAccount,
 *      cosmosResourceGroup, subscriptionId }; the pipeline publishes the folder as artifact
 *      `restore-point-<env>` of the run, next to the package it deployed;
 *   2. two tags on the subscription (`az tag update --operation Merge`, which keeps every other tag):
 *      `algesta-<env>-restore-point` = time and `algesta-<env>-restore-point-run` = build number —
 *      the latest restore point of the environment, readable without Azure DevOps. Not on the Cosmos
 *      account or the resource group: Bicep declares their tags, so the next deployment would
 *      replace them;
 *   3. the run's build tag `restore-point-<env>-<yyyymmddThhmmssZ>` (`##vso[build.addbuildtag]`), to
 *      find the run in Azure DevOps.
 *
 * The Cosmos account comes from the environment's current deployment record (`az deployment sub
 * show`): the account whose backup the time refers to. On an environment's first deployment there
 * is none yet; the time is recorded anyway and the account left empty.
 *
 *   node --experimental-strip-types infra/scripts/restore-point.ts --env prod --deployment-name algesta-prod \
 *     --out <folder> --run-id $(Build.BuildId) --build-number $(Build.BuildNumber) --commit $(Build.SourceVersion)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { az as realAz, type Az, tail } from './az.ts';

export interface RestorePoint {
  /** ISO 8601, UTC, whole seconds, e.g. 2026-12-07T04:40:12Z (az cosmosdb restore --restore-timestamp). */
  readonly time: string;
  readonly environment: string;
  readonly runId: string;
  readonly buildNumber: string;
  readonly commit: string;
  readonly cosmosAccount: string;
  readonly cosmosResourceGroup: string;
  readonly subscriptionId: string;
}

export interface RecordOptions {
  readonly env: string;
  readonly deploymentName: string;
  readonly out: string;
  readonly runId: string;
  readonly buildNumber: string;
  readonly commit: string;
  readonly az?: Az;
  readonly now?: Date;
  readonly log?: (line: string) => void;
}

/** 2026-12-07T04:40:12.345Z → 2026-12-07T04:40:12Z. */
export const utcSecond = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;

/** The tag names on the subscription; docs/operations.md reads them. */
export const tagNames = (env: string) => ({ time: `algesta-${env}-restore-point`, run: `algesta-${env}-restore-point-run` });

export function recordRestorePoint(o: RecordOptions): RestorePoint {
  const az = o.az ?? realAz;
  const log = o.log ?? console.log;
  const time = utcSecond(o.now ?? new Date());

  const account = az(['account', 'show', '--query', 'id', '--output', 'tsv']);
  const subscriptionId = account.stdout.trim();
  if (account.status !== 0 || !subscriptionId) throw new Error(`az account show failed (${tail(account)})`);

  // The current record, before this deployment replaces it.
  let cosmosAccount = '';
  let cosmosResourceGroup = '';
  const shown = az([
    'deployment',
    'sub',
    'show',
    '--name',
    o.deploymentName,
    '--query',
    'properties.outputs',
    '--output',
    'json',
  ]);
  if (shown.status === 0) {
    const outputs = JSON.parse(shown.stdout || '{}') as Record<string, { value?: unknown } | undefined>;
    cosmosAccount = String(outputs.AZURE_COSMOS_ACCOUNT_NAME?.value ?? '');
    cosmosResourceGroup = String(outputs.AZURE_COSMOS_RESOURCE_GROUP?.value ?? '');
  } else if (/DeploymentNotFound|could not be found|not found/i.test(`${shown.stderr}${shown.stdout}`)) {
    log(
      `##vso[task.logissue type=warning]restore point: no deployment ${o.deploymentName} yet (first deployment): no Cosmos account to name`,
    );
  } else throw new Error(`az deployment sub show --name ${o.deploymentName} failed (${tail(shown)})`);

  const point: RestorePoint = {
    time,
    environment: o.env,
    runId: o.runId,
    buildNumber: o.buildNumber,
    commit: o.commit,
    cosmosAccount,
    cosmosResourceGroup,
    subscriptionId,
  };
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, 'restore-point.json'), `${JSON.stringify(point, null, 2)}\n`);

  const tags = tagNames(o.env);
  const tagged = az([
    'tag',
    'update',
    '--resource-id',
    `/subscriptions/${subscriptionId}`,
    '--operation',
    'Merge',
    '--tags',
    `${tags.time}=${time}`,
    `${tags.run}=${o.buildNumber}`,
    '--output',
    'none',
  ]);
  if (tagged.status !== 0) throw new Error(`az tag update on the subscription failed (${tail(tagged)})`);

  log(`##vso[build.addbuildtag]restore-point-${o.env}-${time.replace(/[-:]/g, '')}`);
  log(`##vso[task.setvariable variable=restorePoint]${time}`);
  log(`restore point ${time} for ${o.env}: Cosmos DB account ${cosmosAccount || '(none yet)'}, run ${o.buildNumber}`);
  return point;
}

function option(argv: readonly string[], name: string): string | undefined {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? argv[at + 1] : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  const values = ['env', 'deployment-name', 'out', 'run-id', 'build-number', 'commit'].map((n) => option(argv, n));
  if (values.some((v) => !v)) {
    console.error(
      'usage: restore-point.ts --env <env> --deployment-name <name> --out <folder> --run-id <id> --build-number <n> --commit <sha>',
    );
    process.exit(2);
  }
  const [env, deploymentName, out, runId, buildNumber, commit] = values as string[];
  try {
    recordRestorePoint({
      env: env!,
      deploymentName: deploymentName!,
      out: out!,
      runId: runId!,
      buildNumber: buildNumber!,
      commit: commit!,
    });
  } catch (err) {
    console.log(`##vso[task.logissue type=error]restore point: ${(err as Error).message}`);
    process.exit(1);
  }
}
