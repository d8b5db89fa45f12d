/**
 * Fails an environment over to one region in one re-runnable command (docs/operations.md, "Region
 * failure"): the on-call person decides, runs it, and reads a timing line per step for the drill log.
 *
 *   node --experimental-strip-types infra/scripts/region-failover.ts --env prod --to centralus
 *       [--dry-run] [--yes] [--drill] [--outputs <outputs.json>] [--journal <file>]
 *       [--operation-timeout-seconds N] [--verify-timeout-seconds N] [--interval-seconds N]
 *
 * Steps, each reading the current state first, so that a re-run after a crash or a failed step goes
 * on where it stopped and never repeats what is done:
 *   1. front-door   the target's origin Enabled, every other region's origin Disabled. Needed because
 *                   /api/health/ready checks Cosmos DB, Blob and the bus, which both regions share:
 *                   when they fail both origins fail their probes and Front Door spreads the traffic
 *                   over both (learn.microsoft.com/azure/frontdoor/health-probes); a disabled origin
 *                   gets none (learn.microsoft.com/azure/frontdoor/routing-methods).
 *   2. cosmos       the target is the write region: forced failover (`az cosmosdb offline-region` of
 *                   the current write region), or with --drill the planned change (failover priorities),
 *                   because a region taken offline comes back only when Microsoft brings it back.
 *   3. service-bus  where the deployment has a Geo-DR alias (prod): the alias failed over to the
 *                   target's namespace; skipped without one (staging, dev).
 *   4. verify       GET <Front Door>/api/health answers the target's `region` and /api/health/ready 200
 *                   (verify-deployment.ts), waiting for Front Door's propagation.
 *   5. republish    prints the outbox commands that recover what the old namespace held, since the
 *                   failover's start minus the runbook's 24 hours (In-flight work at failover).
 * The start time is kept in a journal file (default ./region-failover-<env>.json), so that a re-run
 * prints the republish window of the first run.
 *
 * The names come from the deployment outputs (`az deployment sub show -n algesta-<env>`), or from a
 * saved copy of them (--outputs) when that record cannot be read: a subscription deployment's data is
 * stored in the deployment's location, the primary region
 * (learn.microsoft.com/azure/azure-resource-manager/bicep/deploy-to-subscription, "Deployment location
 * and name"). Front Door and the secondary's resources live in the secondary's resource group.
 *
 * Exit codes: 0 done, 1 a step failed (the reason and what to do are printed; re-run the same
 * command), 2 bad arguments. Imports only node: builtins and sibling scripts (no npm install).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { az, azJson, type Az } from './az.ts';
import { planFromOutputs, type FrontDoor, type RegionApp } from './deployment-outputs.ts';
import {
  aliasFailover,
  aliasRole,
  armRegion,
  cosmosState,
  offlineRegion,
  originState,
  plannedWriteRegion,
  type CosmosAccount,
  type Namespace,
} from './failover-commands.ts';
import { setOrigin } from './rollout-commands.ts';
import { waitUntilReady } from './verify-deployment.ts';
import { messageOf, runAsScript } from './run-script.ts';

/** The outputs of main.bicep this script reads, besides the rollout's (deployment-outputs.ts). */
export const FAILOVER_OUTPUTS = [
  'AZURE_COSMOS_ACCOUNT_NAME',
  'AZURE_COSMOS_RESOURCE_GROUP',
  'AZURE_SERVICEBUS_ALIAS',
  'AZURE_SERVICEBUS_NAMESPACES',
  'COSMOS__accountEndpoint',
  'SERVICEBUS__fullyQualifiedNamespace',
] as const;

/**
 * The republish window's margin before the failover started: the outbox keeps relayed events 24 hours,
 * and the whole of it is republished because a message accepted hours before (a scheduled deadline)
 * may have been waiting on the lost namespace (docs/operations.md, "In-flight work at failover" and
 * "Republishing the outbox").
 */
export const REPUBLISH_MARGIN_HOURS = 24;

export class UsageError extends Error {}

export interface FailoverPlan {
  readonly env: string;
  readonly target: RegionApp;
  /** The regions that stop serving (every other region of the deployment). */
  readonly failed: readonly RegionApp[];
  readonly frontDoor: FrontDoor;
  readonly cosmos: CosmosAccount;
  /** '' when the deployment has no Geo-DR alias. */
  readonly alias: string;
  readonly namespaces: readonly Namespace[];
  readonly cosmosEndpoint: string;
  readonly serviceBusHost: string;
}

type Outputs = Record<string, { value?: unknown } | undefined>;

/** What the failover to `target` (an ARM region name) needs, from the deployment outputs. */
export function failoverPlan(env: string, outputs: Outputs, target: string): FailoverPlan {
  const rollout = planFromOutputs(outputs);
  const text = (name: string): string => {
    const v = outputs[name]?.value;
    return typeof v === 'string' ? v : '';
  };
  const app = rollout.apps.find((a) => a.region === target);
  if (!app) throw new UsageError(`${target} is not a region of ${env} (${rollout.apps.map((a) => a.region).join(', ')})`);
  if (!rollout.frontDoor || rollout.apps.length < 2)
    throw new UsageError(`${env} runs in one region: there is nothing to fail over to`);
  for (const name of ['AZURE_COSMOS_ACCOUNT_NAME', 'AZURE_COSMOS_RESOURCE_GROUP'])
    if (!text(name)) throw new Error(`the outputs have no ${name} (deployed before region-failover existed?)`);
  const raw = outputs.AZURE_SERVICEBUS_NAMESPACES?.value;
  const namespaces: Namespace[] = (Array.isArray(raw) ? (raw as Record<string, unknown>[]) : []).map((n, i) => {
    const field = (k: string) => (typeof n[k] === 'string' ? (n[k] as string) : '');
    if (!field('name') || !field('resourceGroup') || !field('region'))
      throw new Error(`AZURE_SERVICEBUS_NAMESPACES[${i}] needs name, resourceGroup and region`);
    return { name: field('name'), resourceGroup: field('resourceGroup'), region: field('region') };
  });
  const alias = text('AZURE_SERVICEBUS_ALIAS');
  if (alias && !namespaces.some((n) => n.region === target))
    throw new Error(`the Geo-DR alias ${alias} has no namespace in ${target}`);
  return {
    env,
    target: app,
    failed: rollout.apps.filter((a) => a !== app),
    frontDoor: rollout.frontDoor,
    cosmos: { name: text('AZURE_COSMOS_ACCOUNT_NAME'), resourceGroup: text('AZURE_COSMOS_RESOURCE_GROUP') },
    alias,
    namespaces,
    cosmosEndpoint: text('COSMOS__accountEndpoint'),
    serviceBusHost: text('SERVICEBUS__fullyQualifiedNamespace'),
  };
}

export interface Options {
  readonly dryRun: boolean;
  /** Planned Cosmos DB change of write region (both regions healthy) instead of the forced failover. */
  readonly drill: boolean;
  readonly operationTimeoutSeconds: number;
  readonly verifyTimeoutSeconds: number;
  readonly intervalSeconds: number;
}

export interface Effects {
  readonly az: Az;
  readonly log: (line: string) => void;
  readonly sleep: (seconds: number) => Promise<void>;
  readonly now: () => Date;
  readonly fetch: (url: string) => Promise<Response>;
}

/** One step: its current state (done or not, in words), and what brings it to done. */
interface Step {
  readonly name: string;
  /** undefined = the step does not apply here (the reason is the detail). */
  readonly check: () => Promise<{ done: boolean | undefined; detail: string }>;
  readonly act: () => Promise<void>;
  /** What the on-call person does when it fails. */
  readonly fallback: string;
}

class StepFailure extends Error {
  readonly step: string;
  readonly fallback: string;
  constructor(step: string, reason: string, fallback: string) {
    super(reason);
    this.step = step;
    this.fallback = fallback;
  }
}

/** Polls `ok` until it holds or the timeout passes (then throws with the last state seen). */
async function until(
  effects: Effects,
  options: Options,
  timeoutSeconds: number,
  what: string,
  ok: () => Promise<{ done: boolean; detail: string }>,
): Promise<void> {
  const end = effects.now().getTime() + timeoutSeconds * 1000;
  for (;;) {
    const state = await ok();
    if (state.done) return;
    if (effects.now().getTime() + options.intervalSeconds * 1000 > end)
      throw new Error(`${what} not reached in ${timeoutSeconds} s (last seen: ${state.detail})`);
    effects.log(`  waiting: ${state.detail}`);
    await effects.sleep(options.intervalSeconds);
  }
}

function steps(plan: FailoverPlan, options: Options, effects: Effects): Step[] {
  const { frontDoor: fd, target, cosmos } = plan;
  const fdArgs = `-g ${fd.resourceGroup} --profile-name ${fd.profile} --origin-group-name ${fd.originGroup}`;

  const origins = () => ({
    target: originState(effects.az, fd, target.origin),
    failed: plan.failed.map((a) => ({ app: a, state: originState(effects.az, fd, a.origin) })),
  });
  const cosmosCheck = () => {
    const s = cosmosState(effects.az, cosmos);
    return { state: s, done: armRegion(s.writeRegion) === target.region, detail: `write region ${s.writeRegion}` };
  };
  const targetNamespace = plan.namespaces.find((n) => n.region === target.region);
  const aliasCheck = () => {
    const r = aliasRole(effects.az, targetNamespace!, plan.alias);
    // After the failover the target's namespace is a primary without partner (PrimaryNotReplicating).
    return {
      done: r.role !== 'Secondary' && r.provisioningState === 'Succeeded',
      detail: `${targetNamespace!.name} is ${r.role} (${r.provisioningState || 'no provisioning state'})`,
    };
  };

  return [
    {
      name: 'front-door',
      fallback: `by hand: az afd origin update ${fdArgs} --origin-name <origin> --enabled-state Enabled|Disabled`,
      check: async () => {
        const o = origins();
        const done = o.target === 'Enabled' && o.failed.every((f) => f.state === 'Disabled');
        const detail = [`${target.origin} ${o.target}`, ...o.failed.map((f) => `${f.app.origin} ${f.state}`)].join(', ');
        return { done, detail };
      },
      act: async () => {
        const o = origins();
        // The target first: at no moment is every origin of the group disabled.
        if (o.target !== 'Enabled') setOrigin(effects.az, fd, target.origin, 'Enabled');
        for (const f of o.failed) if (f.state !== 'Disabled') setOrigin(effects.az, fd, f.app.origin, 'Disabled');
      },
    },
    {
      name: 'cosmos',
      fallback: options.drill
        ? `by hand: az cosmosdb failover-priority-change -g ${cosmos.resourceGroup} -n ${cosmos.name} --failover-policies ${target.region}=0 <other>=1`
        : `by hand: az cosmosdb offline-region -g ${cosmos.resourceGroup} -n ${cosmos.name} --region "<write region>"`,
      check: async () => {
        const c = cosmosCheck();
        if (!c.done && !c.state.regions.some((r) => armRegion(r.locationName) === target.region))
          throw new Error(`the account has no region ${target.region}`);
        return { done: c.done, detail: c.detail };
      },
      act: async () => {
        const c = cosmosCheck();
        if (options.drill) plannedWriteRegion(effects.az, cosmos, c.state, target.region);
        else offlineRegion(effects.az, cosmos, c.state.writeRegion);
        await until(effects, options, options.operationTimeoutSeconds, `write region ${target.region}`, async () =>
          cosmosCheck(),
        );
      },
    },
    {
      name: 'service-bus',
      fallback: targetNamespace
        ? `by hand: az servicebus georecovery-alias fail-over -g ${targetNamespace.resourceGroup} --namespace-name ${targetNamespace.name} --alias ${plan.alias}`
        : '',
      check: async () =>
        plan.alias ? aliasCheck() : { done: undefined, detail: 'no Geo-DR alias (Service Bus Standard): nothing to fail over' },
      act: async () => {
        aliasFailover(effects.az, targetNamespace!, plan.alias);
        await until(
          effects,
          options,
          options.operationTimeoutSeconds,
          `alias ${plan.alias} on ${targetNamespace!.name}`,
          async () => aliasCheck(),
        );
      },
    },
  ];
}

/** GET <Front Door>/api/health until it answers the target's region, then readiness. */
async function verify(plan: FailoverPlan, options: Options, effects: Effects, once: boolean): Promise<string> {
  const url = plan.frontDoor.url;
  if (!url) throw new Error('AZURE_FRONT_DOOR_URL is empty: nothing to verify through');
  const health = async () => {
    try {
      const res = await effects.fetch(`${url}/api/health`);
      const body = (await res.json().catch(() => undefined)) as { region?: unknown } | undefined;
      const region = typeof body?.region === 'string' ? body.region : '';
      return { done: res.status === 200 && region === plan.target.region, detail: `${res.status}, region ${region || 'none'}` };
    } catch (err) {
      return { done: false, detail: `no answer (${err instanceof Error ? err.message : String(err)})` };
    }
  };
  if (once) return (await health()).detail;
  const started = effects.now().getTime();
  // Front Door's configuration "might take up to 20 minutes" to reach every edge (front-door-faq).
  await until(effects, options, options.verifyTimeoutSeconds, `${url}/api/health answering ${plan.target.region}`, health);
  const left = Math.max(options.intervalSeconds, options.verifyTimeoutSeconds - (effects.now().getTime() - started) / 1000);
  await waitUntilReady(url, {
    timeoutMs: left * 1000,
    intervalMs: options.intervalSeconds * 1000,
    log: (line) => effects.log(`  ${line}`),
  });
  return `${url} answers region ${plan.target.region} and is ready`;
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The commands that recover the old namespace's messages from the outbox (not run: they need a checkout). */
function republishCommands(plan: FailoverPlan, startedAt: Date): string[] {
  const since = iso(new Date(startedAt.getTime() - REPUBLISH_MARGIN_HOURS * 3600_000));
  return [
    `export COSMOS__accountEndpoint=${plan.cosmosEndpoint || '<COSMOS__accountEndpoint>'}`,
    `export SERVICEBUS__fullyQualifiedNamespace=${plan.serviceBusHost || '<SERVICEBUS__fullyQualifiedNamespace>'}`,
    `npm run outbox -- count --since ${since}`,
    // --force: by the time it runs, the window's first minutes are older than the outbox's 24 h and
    // the command refuses such a window without it (it then says the window was incomplete).
    `npm run outbox -- republish --since ${since} --force --dry-run`,
    `npm run outbox -- republish --since ${since} --force`,
  ];
}

interface Journal {
  readonly env: string;
  readonly target: string;
  readonly startedAt: string;
}

/** Runs the failover; the exit code. */
export async function failover(plan: FailoverPlan, options: Options, effects: Effects, journalPath: string): Promise<number> {
  const { log } = effects;
  const t0 = effects.now();
  let startedAt = t0;
  const previous = existsSync(journalPath) ? (JSON.parse(readFileSync(journalPath, 'utf8')) as Journal) : undefined;
  // A journal older than the republish margin belongs to an earlier failover, not to this one.
  const recent = previous && t0.getTime() - Date.parse(previous.startedAt) < REPUBLISH_MARGIN_HOURS * 3600_000;
  if (recent && previous.env === plan.env && previous.target === plan.target.region) {
    startedAt = new Date(previous.startedAt);
    log(`Continuing the failover of ${plan.env} to ${plan.target.region} started at ${previous.startedAt} (${journalPath})`);
  } else if (!options.dryRun)
    writeFileSync(journalPath, `${JSON.stringify({ env: plan.env, target: plan.target.region, startedAt: iso(t0) }, null, 2)}\n`);

  const timing = (name: string, outcome: string, from: Date) => {
    const to = effects.now();
    log(`timing: ${name} ${outcome} ${((to.getTime() - from.getTime()) / 1000).toFixed(1)} s (${iso(from)} → ${iso(to)})`);
  };
  try {
    for (const step of steps(plan, options, effects)) {
      const from = effects.now();
      log(`==> ${step.name}`);
      try {
        const state = await step.check();
        if (state.done === undefined) {
          log(`  skipped: ${state.detail}`);
          timing(step.name, 'skipped', from);
          continue;
        }
        if (state.done) {
          log(`  already done: ${state.detail}`);
          timing(step.name, 'already-done', from);
          continue;
        }
        if (options.dryRun) {
          log(`  would change: ${state.detail} (${step.fallback.replace(/^by hand: /, '')})`);
          timing(step.name, 'planned', from);
          continue;
        }
        log(`  now: ${state.detail}`);
        await step.act();
        const after = await step.check();
        if (!after.done) throw new Error(`still not done after the change: ${after.detail}`);
        log(`  done: ${after.detail}`);
        timing(step.name, 'done', from);
      } catch (err) {
        timing(step.name, 'failed', from);
        throw new StepFailure(step.name, err instanceof Error ? err.message : String(err), step.fallback);
      }
    }
    const from = effects.now();
    log('==> verify');
    try {
      log(`  ${options.dryRun ? 'now: ' : ''}${await verify(plan, options, effects, options.dryRun)}`);
      timing('verify', options.dryRun ? 'read' : 'done', from);
    } catch (err) {
      timing('verify', 'failed', from);
      throw new StepFailure(
        'verify',
        err instanceof Error ? err.message : String(err),
        // checkUrl: the region's gateway when it has one (the app's own host may answer only the gateway's subnet).
        `check ${plan.frontDoor.url}/api/health and ${plan.target.checkUrl}/api/health/ready (which check fails); re-run this command to verify again`,
      );
    }
  } catch (err) {
    const f = err instanceof StepFailure ? err : new StepFailure('failover', String(err), '');
    log(`FAILED ${f.step}: ${f.message}`);
    log(`What to do: re-run the same command (it continues where it stopped)${f.fallback ? `, or ${f.fallback}` : ''}.`);
    log(`timing: total ${((effects.now().getTime() - t0.getTime()) / 1000).toFixed(1)} s (failed at ${f.step})`);
    return 1;
  }
  log('==> republish (run it: docs/operations.md, "Republishing the outbox")');
  if (!plan.alias)
    log('  no Service Bus failover here: the republish only rehearses (every event is delivered again, harmlessly)');
  for (const line of republishCommands(plan, startedAt)) log(`  ${line}`);
  log(
    `timing: total ${((effects.now().getTime() - t0.getTime()) / 1000).toFixed(1)} s${options.dryRun ? ' (dry run: nothing changed)' : ''}`,
  );
  return 0;
}

// ---- Command line ----

const USAGE =
  'usage: region-failover.ts --env <env> --to <region> [--dry-run] [--yes] [--drill] [--outputs <outputs.json>]\n' +
  '       [--journal <file>] [--operation-timeout-seconds N] [--verify-timeout-seconds N] [--interval-seconds N]';

interface Args extends Options {
  readonly env: string;
  readonly to: string;
  readonly yes: boolean;
  readonly outputs?: string;
  readonly journal: string;
}

export function parseArgs(argv: readonly string[]): Args {
  const values = new Map<string, string>();
  const switches = new Set<string>();
  const known = ['env', 'to', 'outputs', 'journal', 'operation-timeout-seconds', 'verify-timeout-seconds', 'interval-seconds'];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.replace(/^--/, '');
    if (['dry-run', 'yes', 'drill'].includes(name) && a.startsWith('--')) switches.add(name);
    else if (known.includes(name) && a.startsWith('--')) {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      values.set(name, v);
    } else throw new UsageError(`unknown argument ${a}`);
  }
  const seconds = (name: string, fallback: number) => {
    const v = values.get(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a number of seconds, got ${v}`);
    return n;
  };
  const env = values.get('env') ?? '';
  const to = values.get('to') ?? '';
  if (!/^[a-z0-9-]+$/.test(env)) throw new UsageError('--env <environment name> is required');
  if (!/^[a-z0-9]+$/.test(to)) throw new UsageError('--to <region> is required, as an ARM name (e.g. centralus)');
  return {
    env,
    to,
    yes: switches.has('yes'),
    dryRun: switches.has('dry-run'),
    drill: switches.has('drill'),
    ...(values.has('outputs') ? { outputs: values.get('outputs')! } : {}),
    journal: values.get('journal') ?? `region-failover-${env}.json`,
    // Service Bus: "typically … within 5 to 10 minutes. It can take longer" (reliability-service-bus).
    operationTimeoutSeconds: seconds('operation-timeout-seconds', 30 * 60),
    // Front Door: a change "might take up to 20 minutes" to reach every edge (front-door-faq).
    verifyTimeoutSeconds: seconds('verify-timeout-seconds', 20 * 60 + 60),
    intervalSeconds: seconds('interval-seconds', 10),
  };
}

async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${err.message}\n${USAGE}`);
    return 2;
  }
  const effects: Effects = {
    az,
    log: (line) => console.log(line),
    sleep: (s) => new Promise((resolve) => setTimeout(resolve, s * 1000)),
    now: () => new Date(),
    fetch: (url) => fetch(url, { signal: AbortSignal.timeout(15_000) }),
  };
  const outputs = args.outputs
    ? (JSON.parse(readFileSync(args.outputs, 'utf8')) as Outputs)
    : azJson<Outputs>(az, ['deployment', 'sub', 'show', '--name', `algesta-${args.env}`, '--query', 'properties.outputs']);
  let plan: FailoverPlan;
  try {
    plan = failoverPlan(args.env, outputs, args.to);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${err.message}\n${USAGE}`);
    return 2;
  }
  effects.log(
    `Failover of ${plan.env} to ${plan.target.region}${args.dryRun ? ' (dry run: nothing is changed)' : ''}${args.drill ? ' (drill: planned Cosmos DB change)' : ''}: ` +
      `Front Door ${plan.frontDoor.profile} serves only ${plan.target.origin}; Cosmos DB ${plan.cosmos.name} writes in ${plan.target.region}; ` +
      `${plan.alias ? `Service Bus alias ${plan.alias} on the ${plan.target.region} namespace` : 'no Service Bus alias'}; then the check through ${plan.frontDoor.url}.`,
  );
  if (!args.yes && !args.dryRun) {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    // A closed input (no terminal) answers nothing: not a confirmation.
    const answer = await new Promise<string>((resolve) => {
      rl.once('close', () => resolve(''));
      rl.question(`Type ${plan.target.region} to fail ${plan.env} over to it: `).then(resolve, () => resolve(''));
    });
    rl.close();
    if (answer.trim() !== plan.target.region) {
      effects.log('Not confirmed: nothing was changed.');
      return 1;
    }
  }
  return failover(plan, args, effects, args.journal);
}

runAsScript(import.meta.url, main, (err) => console.error(`FAILED: ${messageOf(err)}`));
