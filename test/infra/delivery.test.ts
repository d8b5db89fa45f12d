import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PUBLISH_RETRY, retry } from '../../infra/scripts/publish-package';
import { ROLLOUT_OUTPUTS, SINGLE_APP_OUTPUTS, planFromOutputs } from '../../infra/scripts/deployment-outputs';
import { WAITS } from '../../infra/scripts/rollout';
import { packageFiles } from '../../infra/scripts/stage-package';
import { smokeTest, waitUntilReady } from '../../infra/scripts/verify-deployment';
import { startTestStack } from '../support/stack';
import { REPO } from './support/bicep';
import type { Project } from './support/evaluate';
import { Deployment, type Environment, get, loadProject } from './support/infra';

type Yaml = Record<string, any>;
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');
const pipeline = parse(read('azure-pipelines.yml')) as Yaml;
const template = parse(read('infra/pipelines/deploy.yml')) as Yaml;
const azd = parse(read('azure.yaml')) as Yaml;

let project: Project;
beforeAll(async () => {
  project = await loadProject();
});

// ---- The rules of the Azure Pipelines YAML schema that can be checked without Azure DevOps ----

const PIPELINE_KEYS = [
  'name',
  'trigger',
  'pr',
  'pool',
  'variables',
  'stages',
  'resources',
  'schedules',
  'parameters',
  'lockBehavior',
];
const STAGE_KEYS = [
  'stage',
  'displayName',
  'dependsOn',
  'condition',
  'variables',
  'jobs',
  'pool',
  'lockBehavior',
  'trigger',
  'isSkippable',
  'templateContext',
];
const JOB_KEYS = [
  'job',
  'displayName',
  'dependsOn',
  'condition',
  'strategy',
  'continueOnError',
  'pool',
  'workspace',
  'container',
  'timeoutInMinutes',
  'cancelTimeoutInMinutes',
  'variables',
  'steps',
  'services',
  'templateContext',
];
const DEPLOYMENT_KEYS = [
  'deployment',
  'displayName',
  'dependsOn',
  'condition',
  'continueOnError',
  'container',
  'services',
  'timeoutInMinutes',
  'cancelTimeoutInMinutes',
  'variables',
  'pool',
  'environment',
  'strategy',
  'workspace',
  'uses',
  'templateContext',
];
const STEP_KINDS = [
  'task',
  'script',
  'bash',
  'pwsh',
  'powershell',
  'checkout',
  'download',
  'downloadBuild',
  'getPackage',
  'publish',
  'template',
  'reviewApp',
];
const STEP_KEYS = [
  'displayName',
  'name',
  'condition',
  'continueOnError',
  'enabled',
  'env',
  'timeoutInMinutes',
  'retryCountOnTaskFailure',
  'target',
  'inputs',
  'workingDirectory',
  'failOnStderr',
  'artifact',
  'path',
  'patterns',
  'clean',
  'fetchDepth',
  'lfs',
  'submodules',
  'persistCredentials',
];
const HOOKS = ['preDeploy', 'deploy', 'routeTraffic', 'postRouteTraffic'];

function stepProblems(steps: unknown, where: string): string[] {
  if (!Array.isArray(steps) || steps.length === 0) return [`${where}: no steps`];
  return steps.flatMap((step: Yaml, i) => {
    const at = `${where} step ${i + 1}`;
    const kinds = Object.keys(step).filter((k) => STEP_KINDS.includes(k));
    const problems: string[] = [];
    if (kinds.length !== 1) problems.push(`${at}: exactly one of ${STEP_KINDS.join('/')}, got ${kinds.join(',') || 'none'}`);
    for (const k of Object.keys(step))
      if (!STEP_KINDS.includes(k) && !STEP_KEYS.includes(k)) problems.push(`${at}: unknown key ${k}`);
    if (step.task !== undefined && !/^[A-Za-z][\w.-]*@\d+$/.test(step.task))
      problems.push(`${at}: task '${step.task}' is not Name@major`);
    if (step.inputs !== undefined && step.task === undefined) problems.push(`${at}: inputs on a step that is not a task`);
    if (step.condition !== undefined) problems.push(...conditionProblems(step.condition, at));
    return problems;
  });
}

function conditionProblems(condition: string, where: string): string[] {
  let depth = 0;
  for (const c of String(condition)) {
    depth += c === '(' ? 1 : c === ')' ? -1 : 0;
    if (depth < 0) break;
  }
  return depth === 0 ? [] : [`${where}: unbalanced parentheses in condition`];
}

function jobProblems(jobs: unknown, where: string, parameters: Set<string>): string[] {
  if (!Array.isArray(jobs) || jobs.length === 0) return [`${where}: no jobs`];
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const job of jobs as Yaml[]) {
    const kind = ['job', 'deployment', 'template'].filter((k) => k in job);
    if (kind.length !== 1) {
      problems.push(`${where}: a job needs exactly one of job/deployment/template`);
      continue;
    }
    if (job.template) {
      if (!existsSync(join(REPO, job.template))) problems.push(`${where}: template ${job.template} does not exist`);
      else problems.push(...templateCallProblems(job.template, job.parameters ?? {}, where));
      continue;
    }
    const id = job.job ?? job.deployment;
    if (!/^[A-Za-z_]\w*$/.test(id)) problems.push(`${where}: job id '${id}' is not an identifier`);
    if (ids.has(id)) problems.push(`${where}: job id '${id}' twice`);
    ids.add(id);
    const allowed = job.deployment ? DEPLOYMENT_KEYS : JOB_KEYS;
    for (const k of Object.keys(job)) if (!allowed.includes(k)) problems.push(`${where} ${id}: unknown key ${k}`);
    if (job.deployment) {
      if (!job.environment) problems.push(`${where} ${id}: a deployment job needs an environment`);
      const once = job.strategy?.runOnce;
      if (!once?.deploy) problems.push(`${where} ${id}: strategy.runOnce.deploy is missing`);
      for (const hook of HOOKS) if (once?.[hook]) problems.push(...stepProblems(once[hook].steps, `${where} ${id} ${hook}`));
      for (const outcome of ['success', 'failure'])
        if (once?.on?.[outcome]) problems.push(...stepProblems(once.on[outcome].steps, `${where} ${id} on.${outcome}`));
    } else problems.push(...stepProblems(job.steps, `${where} ${id}`));
  }
  // Template expressions may only use the parameters the file declares.
  for (const m of JSON.stringify(jobs).matchAll(/\$\{\{\s*parameters\.(\w+)\s*\}\}/g))
    if (!parameters.has(m[1]!)) problems.push(`${where}: \${{ parameters.${m[1]} }} is not declared`);
  return problems;
}

function templateCallProblems(path: string, given: Yaml, where: string): string[] {
  const t = parse(read(path)) as Yaml;
  const declared = (t.parameters ?? []) as { name: string; type?: string; default?: unknown; values?: unknown[] }[];
  const problems: string[] = [];
  for (const p of declared) {
    if (!(p.name in given) && p.default === undefined) problems.push(`${where}: ${path} needs parameter ${p.name}`);
    if (p.name in given && p.values && !p.values.includes(given[p.name]))
      problems.push(`${where}: ${p.name} = ${given[p.name]} is not one of ${p.values.join(', ')}`);
  }
  for (const k of Object.keys(given))
    if (!declared.some((p) => p.name === k)) problems.push(`${where}: ${path} has no parameter ${k}`);
  return problems;
}

function stage(id: string): Yaml {
  return (pipeline.stages as Yaml[]).find((s) => s.stage === id)!;
}

function allSteps(): Yaml[] {
  const fromJobs = (jobs: Yaml[]): Yaml[] =>
    jobs.flatMap((j) => [
      ...(j.steps ?? []),
      ...HOOKS.flatMap((h) => j.strategy?.runOnce?.[h]?.steps ?? []),
      ...(j.strategy?.runOnce?.on?.failure?.steps ?? []),
    ]);
  return [...fromJobs((pipeline.stages as Yaml[]).flatMap((s) => s.jobs)), ...fromJobs(template.jobs)];
}

const text = (step: Yaml) => String(step.script ?? step.bash ?? step.inputs?.inlineScript ?? '');

/** A step that runs infra/scripts/rollout.ts in `mode`, logged in to Azure, with Node's type stripping. */
const rollout = (step: Yaml, mode: 'deploy' | 'rollback-only') =>
  step.task === 'AzureCLI@2' &&
  new RegExp(`node --experimental-strip-types "\\$\\(Pipeline\\.Workspace\\)/infra/scripts/rollout\\.ts" ${mode} `).test(
    text(step),
  );

/** The value the step passes for `--name "<value>"`. */
const option = (step: Yaml, name: string) => new RegExp(`--${name} "([^"]+)"`).exec(text(step))?.[1];

describe('azure-pipelines.yml', () => {
  it('follows the Azure Pipelines schema rules that can be checked here', () => {
    const problems: string[] = [];
    for (const k of Object.keys(pipeline)) if (!PIPELINE_KEYS.includes(k)) problems.push(`unknown top-level key ${k}`);
    const ids: string[] = [];
    for (const s of pipeline.stages as Yaml[]) {
      for (const k of Object.keys(s)) if (!STAGE_KEYS.includes(k)) problems.push(`stage ${s.stage}: unknown key ${k}`);
      if (!/^[A-Za-z_]\w*$/.test(s.stage) || ids.includes(s.stage))
        problems.push(`stage id '${s.stage}' is not a unique identifier`);
      for (const dep of [s.dependsOn ?? []].flat())
        if (!ids.includes(dep)) problems.push(`stage ${s.stage} depends on ${dep}, which does not come before it`);
      if (s.condition) problems.push(...conditionProblems(s.condition, `stage ${s.stage}`));
      problems.push(...jobProblems(s.jobs, `stage ${s.stage}`, new Set()));
      ids.push(s.stage);
    }
    problems.push(
      ...jobProblems(
        template.jobs,
        'infra/pipelines/deploy.yml',
        new Set((template.parameters as { name: string }[]).map((p) => p.name)),
      ),
    );
    expect(problems).toEqual([]);
  });

  it('finds a rule broken', () => {
    expect(
      stepProblems(
        [
          { script: 'x', task: 'Y@1' },
          { task: 'NoVersion', inputs: {} },
          { bash: 'x', inputs: {} },
        ],
        't',
      ),
    ).toHaveLength(3);
    expect(
      jobProblems([{ deployment: 'd', strategy: { runOnce: { deploy: { steps: [{ script: 'x' }] } } } }], 's', new Set()),
    ).toEqual(['s d: a deployment job needs an environment']);
  });

  it('builds, tests and packages every branch on Node.js 20 and 22, as .ci/run does', () => {
    const build = stage('Build');
    expect(build.condition).toBeUndefined();
    const job = build.jobs[0];
    expect(Object.values(job.strategy.matrix).map((m: any) => m.nodeVersion)).toEqual(['20.x', '22.x']);
    expect(job.steps.map(text)).toContain('bash .ci/run');
    expect(job.steps.filter((s: Yaml) => s.publish).map((s: Yaml) => s.artifact)).toEqual(['functions', 'infra', 'sbom']);
    expect(job.steps.map(text).join('\n')).toContain('infra/scripts/stage-package.ts');
  });

  it('validates the Bicep on every branch: az bicep build and lint of main.bicep, the modules and each parameter file', () => {
    const validate = stage('ValidateInfra');
    expect(validate.condition).toBeUndefined();
    const script = validate.jobs
      .flatMap((j: Yaml) => j.steps)
      .map(text)
      .join('\n');
    expect(script).toContain('az bicep build --file infra/main.bicep');
    expect(script).toContain('az bicep build-params --file "$params"');
    expect(script).toMatch(/for params in infra\/env\/\*\.bicepparam/);
    expect(script).toMatch(/az bicep lint --file/);
    expect(existsSync(join(REPO, 'infra/bicepconfig.json'))).toBe(true);
  });

  // Issue 23: develop deploys dev; main deploys staging, tests it, then production (promotion.test.ts).
  it('deploys develop to dev and main to staging and production, each through its environment', () => {
    const deploys = [
      ['DeployDev', 'refs/heads/develop', 'algesta-dev', 'dev', ['Build', 'ValidateInfra', 'SupplyChain']],
      ['DeployStaging', 'refs/heads/main', 'algesta-staging', 'staging', ['Build', 'ValidateInfra', 'SupplyChain']],
      ['DeployProduction', 'refs/heads/main', 'algesta-prod', 'prod', ['DeployStaging', 'TestStaging']],
    ] as const;
    for (const [id, branch, environment, parameterFile, dependsOn] of deploys) {
      const s = stage(id);
      expect(s.condition).toContain(`eq(variables['Build.SourceBranch'], '${branch}')`);
      expect(s.condition).toContain("ne(variables['Build.Reason'], 'PullRequest')");
      expect(s.dependsOn).toEqual(dependsOn);
      expect(s.jobs[0].template).toBe('infra/pipelines/deploy.yml');
      expect(s.jobs[0].parameters).toMatchObject({ environment, parameterFile });
    }
    expect(template.jobs[0].environment).toBe('${{ parameters.environment }}');
  });

  it('each deployment runs what-if, deploys the infrastructure, then rolls the package out region by region', () => {
    const once = template.jobs[0].strategy.runOnce;
    expect(once.preDeploy.steps.map(text).join('\n')).toContain('az deployment sub what-if');
    const deploy = once.deploy.steps as Yaml[];
    const bicep = deploy.findIndex((s) => text(s).includes('az deployment sub create'));
    const roll = deploy.findIndex((s) => rollout(s, 'deploy'));
    const node = deploy.findIndex((s) => s.task === 'NodeTool@0' && s.inputs.versionSpec === '22.x');
    expect(bicep).toBeGreaterThan(-1);
    expect(roll).toBeGreaterThan(bicep);
    // Node 22 comes first: the script runs with type stripping, without npm install.
    expect(node).toBeGreaterThan(-1);
    expect(node).toBeLessThan(roll);
    // The Bicep step writes the outputs to the file the rollout reads.
    const outputs = option(deploy[roll]!, 'outputs')!;
    expect(text(deploy[bicep]!)).toContain(`--query properties.outputs --output json > "${outputs}"`);
    expect(option(deploy[roll]!, 'package')).toBe('$(Pipeline.Workspace)/functions/algesta-functions.zip');
    // One rollback path: no on.failure hook that would restore a second time what the rollout restored.
    expect(once.on).toBeUndefined();
  });

  it('gives the rollout what it rolls back to: the previous package and per-app settings of the last successful run of the branch', () => {
    const deploy = template.jobs[0].strategy.runOnce.deploy.steps as Yaml[];
    const roll = deploy.findIndex((s) => rollout(s, 'deploy'));
    const downloads = deploy.filter((s) => s.task === 'DownloadPipelineArtifact@2');
    for (const d of downloads) {
      expect(d.inputs).toMatchObject({ buildVersionToDownload: 'latestFromBranch', branchName: '$(Build.SourceBranch)' });
      // Absent on a branch's first deployment: the rollout warns and restores nothing.
      expect(d.continueOnError).toBe(true);
      expect(deploy.indexOf(d)).toBeLessThan(roll);
    }
    const previous = downloads.find((d) => d.inputs.artifactName === 'functions')!;
    expect(option(deploy[roll]!, 'previous-package')).toBe(`${previous.inputs.targetPath}/algesta-functions.zip`);
    // The settings this run records are published (only when every step succeeded) under the name
    // the next run downloads them from.
    const published = deploy.find((s) => s.publish === option(deploy[roll]!, 'record-settings'))!;
    expect(published.artifact).toBe('appsettings-${{ parameters.parameterFile }}');
    expect(published.condition).toBeUndefined();
    expect(deploy.indexOf(published)).toBeGreaterThan(roll);
    const settings = downloads.find((d) => d.inputs.artifactName === published.artifact)!;
    expect(option(deploy[roll]!, 'previous-settings')).toBe(settings.inputs.targetPath);
  });

  it("the rollout reads the outputs of the deployment contract, and the single-app outputs it falls back on are main.bicep's", () => {
    const outputs = new Set(
      project
        .file(join(REPO, 'infra/main.bicep'))
        .decls.filter((d) => d.kind === 'output')
        .map((d) => d.name),
    );
    for (const name of SINGLE_APP_OUTPUTS) expect(outputs.has(name), name).toBe(true);
    expect([...ROLLOUT_OUTPUTS].sort()).toEqual(
      [
        'AZURE_DASHBOARD_ORIGINS',
        'AZURE_FRONT_DOOR_ORIGIN_GROUP',
        'AZURE_FRONT_DOOR_PROFILE',
        'AZURE_FRONT_DOOR_RESOURCE_GROUP',
        'AZURE_FRONT_DOOR_URL',
        'AZURE_FUNCTION_APPS',
        'AZURE_FRONT_DOOR_ID',
      ].sort(),
    );
    expect(outputs.has('AZURE_DASHBOARD_ORIGINS')).toBe(true);
    for (const name of ROLLOUT_OUTPUTS) expect(outputs.has(name), name).toBe(true);
  });

  it.each(['prod', 'staging', 'dev'] as const)(
    "%s: main.bicep's outputs, as the deployment returns them, are a rollout plan (secondary first, Front Door only with two regions)",
    (env) => {
      const d = Deployment.of(project, env);
      const plan = planFromOutputs(d.outputsAsDeployed(ROLLOUT_OUTPUTS));
      const regions = d.regions();
      expect(plan.apps.map((a) => a.region)).toEqual(regions.map((r) => r.location).reverse());
      if (env === 'dev') {
        expect(plan.frontDoor).toBeUndefined();
        expect(plan.apps.map((a) => a.origin)).toEqual(['']);
      } else {
        expect(plan.frontDoor?.originGroup).toBe('api');
        expect(plan.apps.map((a) => a.origin)).toEqual(['api-centralus', 'api-eastus2']);
      }
      // Each region is checked at its gateway when it has one (staging and prod), else at its app.
      expect(plan.apps.map((a) => a.checkUrl)).toEqual(
        plan.apps.map((a) => (a.gateway ? `https://${a.gateway}.azure-api.net` : a.url)),
      );
      expect(plan.apps.map((a) => Boolean(a.gateway))).toEqual(plan.apps.map(() => env !== 'dev'));
    },
  );

  it('publishes the outputs the rollout reads, before the rollout, for a region failover in an outage of the primary', () => {
    const deploy = template.jobs[0].strategy.runOnce.deploy.steps as Yaml[];
    const bicep = deploy.findIndex((s) => /az deployment sub create/.test(text(s)));
    const roll = deploy.findIndex((s) => rollout(s, 'deploy'));
    const outputs = option(deploy[roll]!, 'outputs')!;
    const published = deploy.findIndex((s) => s.artifact === 'deployment-outputs-${{ parameters.parameterFile }}');
    expect(published).toBeGreaterThan(bicep);
    expect(published).toBeLessThan(roll);
    expect(outputs.startsWith(`${deploy[published]!.publish as string}/`)).toBe(true);
    expect(read('infra/scripts/region-failover.ts')).toContain('--outputs');
  });

  it('runs only scripts that exist', () => {
    for (const m of allSteps().flatMap((s) => [...text(s).matchAll(/(infra\/scripts\/[\w.-]+)/g)]))
      expect(existsSync(join(REPO, m[1]!)), m[1]).toBe(true);
  });
});

describe('infra/pipelines/deploy.yml: timing and the rollback after a failed infrastructure deployment', () => {
  const deploySteps = () => template.jobs[0].strategy.runOnce.deploy.steps as Yaml[];

  it('gives the job time for every drain of two regions, a rollback drain and two bounded publishes', () => {
    const { propagationSeconds: p, inFlightSeconds: f } = WAITS;
    // Drain secondary, settle after enabling it, drain primary; a rollback drains the secondary again.
    const waits = 3 * p + 2 * f + (p + f);
    const publishes = 2 * (PUBLISH_RETRY.budgetMs / 1000);
    expect(template.jobs[0].timeoutInMinutes * 60).toBeGreaterThan(waits + publishes);
    expect(PUBLISH_RETRY.budgetMs).toBeGreaterThanOrEqual(10 * 60_000);
    expect(PUBLISH_RETRY.budgetMs).toBeLessThanOrEqual(30 * 60_000);
  });

  it('rolls back by tag only when the infrastructure step failed, never a second time after the rollout rolled back', () => {
    const deploy = deploySteps();
    const roll = deploy.find((s) => rollout(s, 'deploy'))!;
    const back = deploy.find((s) => rollout(s, 'rollback-only'))!;
    expect(text(roll)).toMatch(/^echo "##vso\[task\.setvariable variable=rolloutStarted\]true"$/m);
    expect(back.condition).toBe("and(failed(), ne(variables.rolloutStarted, 'true'))");
    expect(deploy.indexOf(back)).toBe(deploy.length - 1);
    // Not from the failed deployment's outputs (it has none), and with what the rollout gets.
    expect(text(back)).not.toMatch(/outputs|jq /);
    for (const name of ['previous-package', 'previous-settings']) expect(option(back, name)).toBe(option(roll, name));
  });

  it('finds the apps by the tags main.bicep gives them: azd-env-name is the parameter file, azd-service-name api', () => {
    const back = deploySteps().find((s) => rollout(s, 'rollback-only'))!;
    expect(option(back, 'env-name')).toBe('${{ parameters.parameterFile }}');
    for (const id of ['DeployStaging', 'DeployProduction']) {
      const file = stage(id).jobs[0].parameters.parameterFile as Environment;
      // Every region's app carries the tags the rollback looks for.
      const regions = Deployment.of(project, file).regions();
      expect(regions.length, id).toBe(2);
      for (const r of regions) {
        expect(get(r.site.params.tags, 'azd-env-name'), `${id} ${r.symbol}`).toBe(file);
        expect(get(r.site.params.tags, 'azd-service-name'), `${id} ${r.symbol}`).toBe('api');
      }
    }
    // rollout.test.ts runs rollback-only against a fake az that holds other envs' and other types' resources.
    expect(read('infra/scripts/rollout-commands.ts')).toContain("r.tags?.['azd-service-name'] === 'api'");
  });

  it('retries a refused publish with doubling waits, says why in the log, and gives up at its bound', async () => {
    let clock = 0;
    const waits: number[] = [];
    const log: string[] = [];
    const options = {
      ...PUBLISH_RETRY,
      now: () => clock,
      sleep: async (ms: number) => {
        waits.push(ms);
        clock += ms;
      },
      log: (line: string) => log.push(line),
    };
    let calls = 0;
    const refusedTwice = () =>
      ++calls < 3 ? { ok: false, detail: 'exit 1: (AuthorizationPermissionMismatch) 403' } : { ok: true, detail: '' };
    expect(await retry('publish', refusedTwice, options)).toBe(3);
    expect(waits).toEqual([20_000, 40_000]);
    expect(log).toContain('publish: attempt 1 failed: exit 1: (AuthorizationPermissionMismatch) 403');
    expect(log.join('\n')).toMatch(/can take up to 10 minutes to take effect.*; retrying in 20 s \(giving up 15 min from now\)/);
    expect(log.at(-1)).toBe('publish: succeeded on attempt 3, 60 s after the first');

    clock = 0;
    waits.length = 0;
    await expect(retry('publish', () => ({ ok: false, detail: 'exit 1: 403' }), options)).rejects.toThrow(
      /^publish: gave up after 10 attempt\(s\) in 14 min \(the bound is 15 min\); last error: exit 1: 403$/,
    );
    expect(Math.max(...waits)).toBe(PUBLISH_RETRY.maxDelayMs);
    expect(waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(PUBLISH_RETRY.budgetMs);
  });
});

describe('azure.yaml (Azure Developer CLI)', () => {
  it('provisions a development environment from infra/env/dev.bicepparam', () => {
    expect(azd.infra).toMatchObject({ provider: 'bicep', path: 'infra', module: 'env/dev' });
    expect(existsSync(join(REPO, azd.infra.path, `${azd.infra.module}.bicepparam`))).toBe(true);
  });

  it('deploys the service api to the Function App tagged for it', () => {
    expect(Object.keys(azd.services)).toEqual(['api']);
    const api = azd.services.api;
    expect(api).toMatchObject({ project: '.', host: 'function', remoteBuild: false });
    expect(['ts', 'js']).toContain(api.language);
    const tags = Deployment.of(project, 'dev').app().site.params.tags;
    expect(get(tags, 'azd-service-name')).toBe('api');
  });

  it('deploys the package npm run build makes, staged with production dependencies', () => {
    const pkg = JSON.parse(read('package.json')) as { main: string; scripts: Record<string, string> };
    expect(pkg.main).toBe('dist/functions/index.js');
    const build = read('scripts/build.ts');
    expect(build).toMatch(/entryPoints:\s*\{\s*'functions\/index':\s*'functions\/index\.ts'\s*\}/);
    expect(build).toMatch(/outdir:\s*'dist'/);
    // The hook builds, then stages (package-hook.test.ts runs it on a fresh copy).
    const hook = azd.services.api.hooks.prepackage;
    for (const os of ['posix', 'windows'])
      expect(hook[os].run).toBe(`npm run build && npx tsx infra/scripts/stage-package.ts ${azd.services.api.dist}`);
    // .funcignore keeps the build, host.json and package.json in a package made from the project folder.
    const ignored = read('.funcignore').split('\n');
    for (const kept of ['dist', 'host.json', 'package.json']) expect(ignored).not.toContain(kept);
  });

  it('stages the entry package.json names, and refuses to stage without a build', () => {
    const root = mkdtempSync(join(tmpdir(), 'algesta-stage-'));
    try {
      writeFileSync(join(root, 'package.json'), JSON.stringify({ main: 'dist/functions/index.js' }));
      expect(() => packageFiles(root)).toThrow(/npm run build/);
      mkdirSync(join(root, 'dist/functions'), { recursive: true });
      writeFileSync(join(root, 'dist/functions/index.js'), '');
      // A bundle without its build stamp is a build from before the stamp: refused too.
      expect(() => packageFiles(root)).toThrow(/build-info\.json does not exist/);
      writeFileSync(join(root, 'dist/build-info.json'), JSON.stringify({ version: '1.0.0-local', commit: 'unknown' }));
      expect(packageFiles(root)).toEqual(['dist', 'host.json', 'package.json', 'package-lock.json']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the checks after a deployment (infra/scripts/verify-deployment.ts)', () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  beforeAll(async () => {
    stack = await startTestStack({ CORS_ALLOWED_ORIGINS: 'https://dashboard.algesta.test' });
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  it('the smoke test passes against this API (the local stack)', async () => {
    const checks = await smokeTest(stack.url, { origin: 'https://dashboard.algesta.test' });
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks).toHaveLength(6);
  });

  it('the smoke test fails against something else', async () => {
    const fake = async () => new Response('<html>Microsoft Azure App Service - Welcome</html>', { status: 200 });
    const checks = await smokeTest('https://example.invalid', { origin: 'https://dashboard.algesta.test', fetchImpl: fake });
    expect(checks.every((c) => !c.ok)).toBe(true);
  });

  it("both checks send the given headers (a gateway's X-Azure-FDID) on every request, beside the check's own", async () => {
    const seen: { url: string; headers: Record<string, string> }[] = [];
    const recording = async (url: string, init?: RequestInit) => {
      seen.push({ url, headers: { ...(init?.headers as Record<string, string>) } });
      return new Response('{}', { status: 200 });
    };
    const headers = { 'X-Azure-FDID': 'profile-id' };
    await waitUntilReady('https://gw', { fetchImpl: recording, log: () => {}, headers });
    await smokeTest('https://gw', { origin: 'https://dashboard.algesta.test', fetchImpl: recording, headers });
    expect(seen.length).toBe(7);
    for (const s of seen) expect(s.headers['X-Azure-FDID'], s.url).toBe('profile-id');
    // The CORS preflight keeps its own headers too.
    expect(seen.at(-1)!.headers).toEqual({
      'X-Azure-FDID': 'profile-id',
      origin: 'https://dashboard.algesta.test',
      'access-control-request-method': 'POST',
    });
    // Without headers, none is added.
    seen.length = 0;
    await waitUntilReady('https://app', { fetchImpl: recording, log: () => {} });
    expect(seen[0]!.headers).toEqual({});
  });

  it('readiness waits for a 200 and gives up after its timeout', async () => {
    let calls = 0;
    const flaky = async () => new Response('{}', { status: ++calls < 3 ? 503 : 200 });
    await waitUntilReady('https://x', { fetchImpl: flaky, intervalMs: 1, log: () => {} });
    expect(calls).toBe(3);
    const down = async () => new Response('{}', { status: 503 });
    await expect(waitUntilReady('https://x', { fetchImpl: down, intervalMs: 5, timeoutMs: 20, log: () => {} })).rejects.toThrow(
      /did not answer 200/,
    );
  });
});
