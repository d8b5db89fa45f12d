/**
 * infra/scripts/region-failover.ts run for real, as a child process the way the on-call person runs
 * it, with a fake `az` first on PATH (support/fake-az.mjs: records its argv, keeps the origins' state,
 * Cosmos DB's regions and the Geo-DR roles in state.json, answers the CLI's documented shapes) and the
 * local stack, started with ALGESTA_REGION = centralus, as what Front Door's URL answers. Plus the
 * contract: main.bicep's outputs, as the deployment returns them, are what the script reads.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLLOUT_OUTPUTS } from '../../infra/scripts/deployment-outputs';
import { FAILOVER_OUTPUTS, failoverPlan, REPUBLISH_MARGIN_HOURS, UsageError } from '../../infra/scripts/region-failover';
import { startTestStack } from '../support/stack';
import { REPO } from './support/bicep';
import { type Project, sampleOf } from './support/evaluate';
import { Deployment, loadProject } from './support/infra';

const SECONDARY = {
  name: 'func-algesta-prod-c',
  resourceGroup: 'rg-algesta-prod-centralus',
  region: 'centralus',
  origin: 'api-centralus',
};
const PRIMARY = { name: 'func-algesta-prod-e', resourceGroup: 'rg-algesta-prod', region: 'eastus2', origin: 'api-eastus2' };
const NAMESPACES = [
  { name: 'sb-algesta-e', resourceGroup: 'rg-algesta-prod', region: 'eastus2' },
  { name: 'sb-algesta-c', resourceGroup: 'rg-algesta-prod-centralus', region: 'centralus' },
];
const COSMOS = 'cosmos-algesta-x';

const NODE_ARGS = process.allowedNodeEnvironmentFlags.has('--experimental-strip-types')
  ? ['--experimental-strip-types', '--no-warnings']
  : ['--import', 'tsx'];

let stack: Awaited<ReturnType<typeof startTestStack>>;
let project: Project;
const cleanup: string[] = [];

beforeAll(async () => {
  // Front Door's URL is the stack, which answers as the centralus region.
  stack = await startTestStack({ ALGESTA_REGION: 'centralus' });
  project = await loadProject();
});
afterAll(async () => {
  await stack?.dispose();
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

interface World {
  readonly dir: string;
  readonly env: string;
}

const value = (v: unknown) => ({ type: typeof v === 'string' ? 'String' : 'Array', value: v });

function outputs(env: string, alias: boolean) {
  const app = (a: typeof PRIMARY) => ({ ...a, url: stack.url });
  return {
    AZURE_FUNCTION_APPS: value([app(SECONDARY), app(PRIMARY)]),
    AZURE_FRONT_DOOR_PROFILE: value(`afd-algesta-${env}`),
    AZURE_FRONT_DOOR_RESOURCE_GROUP: value(SECONDARY.resourceGroup),
    AZURE_FRONT_DOOR_ORIGIN_GROUP: value('api'),
    AZURE_FRONT_DOOR_ENDPOINT: value(`algesta-${env}`),
    AZURE_FRONT_DOOR_URL: value(stack.url),
    AZURE_DASHBOARD_ORIGINS: value(''),
    AZURE_COSMOS_ACCOUNT_NAME: value(COSMOS),
    AZURE_COSMOS_RESOURCE_GROUP: value(PRIMARY.resourceGroup),
    AZURE_SERVICEBUS_ALIAS: value(alias ? 'sb-algesta-prod' : ''),
    AZURE_SERVICEBUS_NAMESPACES: value(alias ? NAMESPACES : []),
    COSMOS__accountEndpoint: value(`https://${COSMOS}.documents.azure.com:443/`),
    SERVICEBUS__fullyQualifiedNamespace: value(
      alias ? 'sb-algesta-prod.servicebus.windows.net' : 'sb-algesta-e.servicebus.windows.net',
    ),
  };
}

function world(env = 'prod', extra: Record<string, unknown> = {}): World {
  const dir = mkdtempSync(join(tmpdir(), 'algesta-failover-'));
  cleanup.push(dir);
  writeFileSync(join(dir, 'calls.jsonl'), '');
  const alias = env === 'prod';
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      deploymentName: `algesta-${env}`,
      outputs: outputs(env, alias),
      cosmosResourceGroup: PRIMARY.resourceGroup,
      cosmos: { name: COSMOS, regions: ['East US 2', 'Central US'], automaticFailover: true },
      ...(alias ? { alias: { name: 'sb-algesta-prod', roles: { 'sb-algesta-e': 'Primary', 'sb-algesta-c': 'Secondary' } } } : {}),
      ...extra,
    }),
  );
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'az'),
    `#!/bin/sh\nexec "${process.execPath}" "${join(REPO, 'test/infra/support/fake-az.mjs')}" "$@"\n`,
  );
  chmodSync(join(bin, 'az'), 0o755);
  return { dir, env };
}

function start(w: World, args: string[]) {
  const fast = ['--interval-seconds', '0.05', '--operation-timeout-seconds', '5', '--verify-timeout-seconds', '3'];
  const child = spawn(
    process.execPath,
    [...NODE_ARGS, join(REPO, 'infra/scripts/region-failover.ts'), ...args, '--journal', join(w.dir, 'journal.json'), ...fast],
    {
      cwd: REPO,
      // Its own process group, so that the kill takes the script and the az call it waits for.
      detached: true,
      env: { ...process.env, PATH: `${join(w.dir, 'bin')}:${process.env.PATH}`, FAKE_AZ_DIR: w.dir },
    },
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const done = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, output })),
  );
  return { child, done };
}

const run = (w: World, args: string[] = ['--to', 'centralus', '--yes']) => start(w, ['--env', w.env, ...args]).done;

/** The az calls, as `<command words> <the one argument that says what>`, from the first on. */
function calls(w: World): string[] {
  return readFileSync(join(w.dir, 'calls.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const az = (JSON.parse(line) as { az: string[] }).az;
      const opt = (n: string) => (az.includes(`--${n}`) ? az[az.indexOf(`--${n}`) + 1] : undefined);
      const words = az
        .slice(
          0,
          az.findIndex((a) => a.startsWith('--')),
        )
        .join(' ');
      const what = [
        opt('origin-name'),
        opt('enabled-state'),
        opt('region'),
        opt('namespace-name'),
        opt('enable-automatic-failover'),
      ]
        .filter(Boolean)
        .join(' ');
      const policies = words.endsWith('failover-priority-change') ? az.slice(az.indexOf('--failover-policies') + 1) : [];
      return [words, what, ...policies.filter((p) => /=\d$/.test(p))].filter(Boolean).join(' ');
    });
}

/** The calls that change something in Azure. */
const changes = (list: string[]) =>
  list.filter((c) =>
    /^(afd origin update|cosmosdb offline-region|cosmosdb failover-priority-change|cosmosdb update|servicebus georecovery-alias fail-over)/.test(
      c,
    ),
  );

interface State {
  origins: Record<string, string>;
  cosmos?: { regions: string[]; automaticFailover: boolean };
  alias?: { roles: Record<string, string> };
}
const state = (w: World): State => JSON.parse(readFileSync(join(w.dir, 'state.json'), 'utf8')) as State;

const sinceOf = (w: World): string => {
  const journal = JSON.parse(readFileSync(join(w.dir, 'journal.json'), 'utf8')) as { startedAt: string };
  return new Date(Date.parse(journal.startedAt) - REPUBLISH_MARGIN_HOURS * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
};

describe('region-failover.ts against a fake az and the local stack', () => {
  it('prod: disables the failed origin, moves the Cosmos write region, fails the alias over, verifies, prints the republish', async () => {
    const w = world();
    const { code, output } = await run(w);
    expect(code, output).toBe(0);
    expect(changes(calls(w))).toEqual([
      'afd origin update api-eastus2 Disabled',
      // The forced failover takes the current write region offline (the next by priority writes).
      'cosmosdb offline-region East US 2',
      // On the SECONDARY namespace, the one in the target region.
      'servicebus georecovery-alias fail-over sb-algesta-c',
    ]);
    // Every change was preceded by a read of the state it changes.
    const all = calls(w);
    expect(all.indexOf('afd origin show api-eastus2')).toBeLessThan(all.indexOf('afd origin update api-eastus2 Disabled'));
    expect(all.indexOf('cosmosdb show')).toBeLessThan(all.indexOf('cosmosdb offline-region East US 2'));
    const s = state(w);
    expect(s.origins).toEqual({ 'api-eastus2': 'Disabled' });
    expect(s.cosmos!.regions[0]).toBe('Central US');
    expect(s.alias!.roles).toEqual({ 'sb-algesta-e': 'Primary', 'sb-algesta-c': 'PrimaryNotReplicating' });
    for (const step of ['front-door', 'cosmos', 'service-bus', 'verify'])
      expect(output).toMatch(new RegExp(`^timing: ${step} done \\d+\\.\\d s \\(\\S+Z → \\S+Z\\)$`, 'm'));
    expect(output).toMatch(/^timing: total \d+\.\d s$/m);
    const since = sinceOf(w);
    expect(output).toContain(`npm run outbox -- count --since ${since}`);
    expect(output).toContain(`npm run outbox -- republish --since ${since} --force\n`);
    expect(output).toContain('export SERVICEBUS__fullyQualifiedNamespace=sb-algesta-prod.servicebus.windows.net');
  });

  it('killed right after the Cosmos DB call, then run again: goes on with the alias, repeats nothing', async () => {
    const w = world('prod', { holdAfter: 'cosmosdb offline-region' });
    const first = start(w, ['--env', 'prod', '--to', 'centralus', '--yes']);
    // The fake az has made the change and holds its answer: the script dies waiting for it.
    while (!existsSync(join(w.dir, 'held'))) await new Promise((r) => setTimeout(r, 20));
    process.kill(-first.child.pid!, 'SIGKILL');
    const killed = await first.done;
    expect(killed.code).toBeNull();
    expect(changes(calls(w))).toEqual(['afd origin update api-eastus2 Disabled', 'cosmosdb offline-region East US 2']);
    const since = sinceOf(w);

    const config = JSON.parse(readFileSync(join(w.dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    delete config.holdAfter;
    writeFileSync(join(w.dir, 'config.json'), JSON.stringify(config));
    const before = calls(w).length;
    const { code, output } = await run(w);
    expect(code, output).toBe(0);
    expect(changes(calls(w).slice(before))).toEqual(['servicebus georecovery-alias fail-over sb-algesta-c']);
    expect(output).toMatch(/^timing: front-door already-done /m);
    expect(output).toMatch(/^timing: cosmos already-done /m);
    expect(output).toMatch(/^timing: service-bus done /m);
    const s = state(w);
    expect(s.origins).toEqual({ 'api-eastus2': 'Disabled' });
    expect(s.cosmos!.regions).toEqual(['Central US', 'East US 2']);
    expect(s.alias!.roles['sb-algesta-c']).toBe('PrimaryNotReplicating');
    // The republish window starts from the first run's start, kept in the journal.
    expect(output).toContain(`npm run outbox -- republish --since ${since} --force`);
  });

  it('a journal older than the 24 h margin belongs to an earlier failover: the window starts from this run', async () => {
    const w = world();
    const old = new Date(Date.now() - 25 * 3600_000).toISOString();
    writeFileSync(join(w.dir, 'journal.json'), JSON.stringify({ env: 'prod', target: 'centralus', startedAt: old }));
    const { code, output } = await run(w);
    expect(code, output).toBe(0);
    expect(output).not.toContain('Continuing the failover');
    const since = sinceOf(w);
    expect(Date.parse(since)).toBeGreaterThan(Date.parse(old) - REPUBLISH_MARGIN_HOURS * 3600_000 + 3600_000);
    expect(output).toContain(`npm run outbox -- republish --since ${since} --force`);
  });

  it("the target's origin left disabled (a rollout's drain): enabled before the failed region's is disabled", async () => {
    const w = world();
    writeFileSync(
      join(w.dir, 'state.json'),
      JSON.stringify({ deployed: {}, settings: {}, origins: { 'api-centralus': 'Disabled' } }),
    );
    const { code, output } = await run(w);
    expect(code, output).toBe(0);
    expect(changes(calls(w)).slice(0, 2)).toEqual([
      'afd origin update api-centralus Enabled',
      'afd origin update api-eastus2 Disabled',
    ]);
    expect(state(w).origins).toEqual({ 'api-centralus': 'Enabled', 'api-eastus2': 'Disabled' });
  });

  it('run again after success: changes nothing and verifies', async () => {
    const w = world();
    expect((await run(w)).code).toBe(0);
    const before = calls(w).length;
    const { code, output } = await run(w);
    expect(code, output).toBe(0);
    expect(changes(calls(w).slice(before))).toEqual([]);
    expect(output.match(/already done:/g)).toHaveLength(3);
    expect(output).toMatch(/^timing: verify done /m);
  });

  it('--dry-run: prints the plan and changes nothing', async () => {
    const w = world();
    const { code, output } = await run(w, ['--to', 'centralus', '--dry-run']);
    expect(code, output).toBe(0);
    expect(changes(calls(w))).toEqual([]);
    expect(existsSync(join(w.dir, 'state.json'))).toBe(false);
    expect(existsSync(join(w.dir, 'journal.json'))).toBe(false);
    expect(output).toContain('would change: api-centralus Enabled, api-eastus2 Enabled');
    expect(output).toContain('would change: write region East US 2');
    expect(output).toContain('would change: sb-algesta-c is Secondary');
    expect(output).toContain('nothing changed');
  });

  it('staging (no Geo-DR alias): skips the Service Bus step', async () => {
    const w = world('staging');
    const { code, output } = await run(w);
    expect(code, output).toBe(0);
    expect(calls(w).filter((c) => c.startsWith('servicebus'))).toEqual([]);
    expect(changes(calls(w))).toEqual(['afd origin update api-eastus2 Disabled', 'cosmosdb offline-region East US 2']);
    expect(output).toMatch(/^timing: service-bus skipped /m);
    expect(output).toContain('no Service Bus failover here');
  });

  it('--drill: the planned change of write region, service-managed failover off first, no region taken offline', async () => {
    const w = world('staging');
    const { code, output } = await run(w, ['--to', 'centralus', '--yes', '--drill']);
    expect(code, output).toBe(0);
    expect(changes(calls(w))).toEqual([
      'afd origin update api-eastus2 Disabled',
      'cosmosdb update false',
      'cosmosdb failover-priority-change centralus=0 eastus2=1',
    ]);
    expect(state(w).cosmos).toEqual({ name: COSMOS, regions: ['Central US', 'East US 2'], automaticFailover: false });
  });

  it.each([
    ['the region typed', 'centralus\n', 0],
    ['another answer', 'eastus2\n', 1],
    ['no answer (input closed)', '', 1],
  ])('without --yes it asks: %s', async (_, typed, expected) => {
    const w = world();
    const run = start(w, ['--env', 'prod', '--to', 'centralus']);
    run.child.stdin.end(typed);
    const { code, output } = await run.done;
    expect(code, output).toBe(expected);
    expect(output).toContain('Type centralus to fail prod over to it:');
    if (expected === 0) expect(changes(calls(w))).toHaveLength(3);
    else {
      expect(output).toContain('Not confirmed: nothing was changed.');
      expect(changes(calls(w))).toEqual([]);
    }
  });

  it.each([
    ['no --to', ['--yes']],
    ['an unknown option', ['--to', 'centralus', '--now']],
    ['a region the deployment does not have', ['--to', 'westeurope', '--yes']],
    ['a value missing', ['--to', '--yes']],
  ])('bad arguments (%s): exit 2 with the usage, nothing changed', async (_, args) => {
    const w = world();
    const { code, output } = await run(w, args);
    expect(code, output).toBe(2);
    expect(output).toContain('usage: region-failover.ts');
    expect(changes(calls(w))).toEqual([]);
  });

  it('Front Door still answering another region: exit 1 with the reason and what to do', async () => {
    // Failing over to eastus2 while the endpoint answers centralus (the stack's region).
    const w = world();
    const { code, output } = await run(w, ['--to', 'eastus2', '--yes']);
    expect(code, output).toBe(1);
    expect(changes(calls(w))).toEqual(['afd origin update api-centralus Disabled']);
    expect(output).toMatch(/FAILED verify: .*answering eastus2 not reached in 3 s \(last seen: 200, region centralus\)/);
    expect(output).toContain('What to do: re-run the same command');
    expect(output).toMatch(/^timing: verify failed /m);
    expect(output).not.toContain('npm run outbox');
  });
});

describe("main.bicep's outputs are what region-failover.ts reads", () => {
  const outputsOf = (env: 'prod' | 'staging' | 'dev') => {
    const d = Deployment.of(project, env);
    return d.outputsAsDeployed([...ROLLOUT_OUTPUTS, ...FAILOVER_OUTPUTS]);
  };

  it('prod: the alias with a namespace per region, the secondary in its own resource group', () => {
    const plan = failoverPlan('prod', outputsOf('prod'), 'centralus');
    expect(plan.target.origin).toBe('api-centralus');
    expect(plan.failed.map((a) => a.origin)).toEqual(['api-eastus2']);
    expect(plan.alias).not.toBe('');
    expect(plan.namespaces.map((n) => [n.region, n.resourceGroup])).toEqual([
      ['eastus2', 'rg-algesta-prod'],
      ['centralus', 'rg-algesta-prod-centralus'],
    ]);
    expect(plan.cosmos.resourceGroup).toBe('rg-algesta-prod');
    expect(plan.cosmos.name).toBe(
      sampleOf(Deployment.of(project, 'prod').registryModule('avm/res/document-db/database-account').params.name ?? null),
    );
    expect(plan.serviceBusHost).toBe(`${plan.alias}.servicebus.windows.net`);
  });

  it('staging: no alias, no namespaces to fail over; dev: one region, nothing to fail over to', () => {
    const staging = failoverPlan('staging', outputsOf('staging'), 'centralus');
    expect(staging.alias).toBe('');
    expect(staging.namespaces).toEqual([]);
    expect(() => failoverPlan('dev', outputsOf('dev'), 'eastus2')).toThrow(UsageError);
  });

  it('fixture: an alias without a namespace in the target region is refused', () => {
    const outputs = outputsOf('prod');
    outputs.AZURE_SERVICEBUS_NAMESPACES = { value: [(outputs.AZURE_SERVICEBUS_NAMESPACES!.value as unknown[])[0]] };
    expect(() => failoverPlan('prod', outputs, 'centralus')).toThrow(/no namespace in centralus/);
  });
});
