/**
 * Issue 23, the release path: one package built once on main, deployed to staging, tested there by
 * the remote end-to-end suite, then deployed to production after the approval — the same run's
 * artifact, not a rebuild; the supply-chain checks before every deployment; the restore point before
 * the infrastructure changes; the version check after the rollout. Each rule is a function over the
 * parsed YAML that lists what breaks it, and each is shown to fail on a copy changed in memory.
 * Then the two scripts the deployment runs: verify-version.ts against small local HTTP servers, and
 * restore-point.ts with a fake az.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Az, AzResult } from '../../infra/scripts/az';
import { recordRestorePoint, tagNames, utcSecond } from '../../infra/scripts/restore-point';
import { buildInfoFromPackage, checkVersions, main as verifyVersion, urlsFromOutputs } from '../../infra/scripts/verify-version';
import { REPO } from './support/bicep';
import { Deployment, get, loadProject } from './support/infra';

type Yaml = Record<string, any>;
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');
const PIPELINE = parse(read('azure-pipelines.yml')) as Yaml;
const TEMPLATE = parse(read('infra/pipelines/deploy.yml')) as Yaml;
const DEPLOY_TEMPLATE = 'infra/pipelines/deploy.yml';
const MAIN = "eq(variables['Build.SourceBranch'], 'refs/heads/main')";
const NOT_PR = "ne(variables['Build.Reason'], 'PullRequest')";

const stages = (p: Yaml) => p.stages as Yaml[];
const stageOf = (p: Yaml, id: string) => stages(p).find((s) => s.stage === id);
const deps = (s: Yaml | undefined): string[] => [s?.dependsOn ?? []].flat();
/** Every stage `id` waits for, directly or through others. */
function upstream(p: Yaml, id: string, seen = new Set<string>()): Set<string> {
  for (const d of deps(stageOf(p, id)))
    if (!seen.has(d)) {
      seen.add(d);
      upstream(p, d, seen);
    }
  return seen;
}
const deploysWithTemplate = (s: Yaml) => (s.jobs as Yaml[]).some((j) => j.template === DEPLOY_TEMPLATE || j.deployment);
const text = (step: Yaml) => String(step.script ?? step.bash ?? step.inputs?.inlineScript ?? '');
const jobSteps = (s: Yaml | undefined): Yaml[] => (s?.jobs ?? []).flatMap((j: Yaml) => j.steps ?? []);
const deploySteps = (t: Yaml): Yaml[] => t.jobs[0].strategy.runOnce.deploy.steps;
const clone = <T>(v: T): T => structuredClone(v);

// ---- The rules ----

/** Production deploys only on main, only after staging was deployed and tested in the same run. */
function promotionProblems(p: Yaml): string[] {
  const problems: string[] = [];
  const prod = stageOf(p, 'DeployProduction');
  const staging = stageOf(p, 'DeployStaging');
  const tests = stageOf(p, 'TestStaging');
  if (!prod || !staging || !tests) return ['DeployStaging, TestStaging and DeployProduction must all exist'];
  const before = upstream(p, 'DeployProduction');
  for (const needed of ['DeployStaging', 'TestStaging', 'Build'])
    if (!before.has(needed)) problems.push(`DeployProduction does not wait for ${needed}`);
  if (!upstream(p, 'TestStaging').has('DeployStaging')) problems.push('TestStaging does not wait for DeployStaging');
  for (const s of [prod, staging, tests]) {
    const condition = String(s.condition ?? '');
    // A custom condition replaces succeeded(): it must say it again, and never run after a failure.
    if (!condition.includes('succeeded()') || /always\(\)|failed\(\)|succeededOrFailed\(\)/.test(condition))
      problems.push(`${s.stage}: its condition must require succeeded() and nothing weaker`);
    if (!condition.includes(MAIN)) problems.push(`${s.stage}: not limited to main`);
    if (!condition.includes(NOT_PR)) problems.push(`${s.stage}: not excluded from pull requests`);
  }
  const job = (s: Yaml) => (s.jobs as Yaml[]).find((j) => j.template === DEPLOY_TEMPLATE);
  if (job(prod)?.parameters?.environment !== 'algesta-prod')
    problems.push('DeployProduction does not deploy through the algesta-prod environment (its approval)');
  if (job(prod)?.parameters?.parameterFile !== 'prod') problems.push('DeployProduction does not deploy prod');
  if (job(staging)?.parameters?.parameterFile !== 'staging') problems.push('DeployStaging does not deploy staging');
  // Only Build publishes the package; no deployment stage has a job of its own that could rebuild.
  for (const s of stages(p)) {
    const publishes = jobSteps(s).some((st) => st.publish !== undefined && st.artifact === 'functions');
    if (publishes && s.stage !== 'Build') problems.push(`${s.stage} publishes a functions artifact: only Build may`);
    if ([prod, staging].includes(s) && (s.jobs as Yaml[]).some((j) => !j.template))
      problems.push(`${s.stage} has a job besides the deployment template`);
  }
  return problems;
}

/** The deployment template deploys the artifact of this run, and builds nothing. */
function sameArtifactProblems(t: Yaml): string[] {
  const problems: string[] = [];
  const steps = deploySteps(t);
  const current = steps.findIndex((s) => s.download === 'current' && s.artifact === 'functions');
  const rollout = steps.findIndex((s) => /infra\/scripts\/rollout\.ts" deploy /.test(text(s)));
  if (current < 0) problems.push("the deploy hook does not download this run's functions artifact (download: current)");
  if (current >= 0 && current > rollout) problems.push('the package is not downloaded before the rollout');
  if (!text(steps[rollout] ?? {}).includes('--package "$(Pipeline.Workspace)/functions/algesta-functions.zip"'))
    problems.push('the rollout does not publish the downloaded functions artifact');
  const all = [...steps, ...(t.jobs[0].strategy.runOnce.preDeploy?.steps ?? [])];
  for (const s of all) {
    if (/\bnpm (ci|install|run build)\b|stage-package\.ts|\bzip -/.test(text(s)))
      problems.push(`a deployment step builds: ${text(s).slice(0, 60)}`);
  }
  return problems;
}

/** Every stage that deploys waits for SupplyChain; SupplyChain audits, gates and analyses. */
function supplyChainProblems(p: Yaml): string[] {
  const problems: string[] = [];
  const chain = stageOf(p, 'SupplyChain');
  if (!chain) return ['no SupplyChain stage'];
  for (const s of stages(p).filter(deploysWithTemplate))
    if (!upstream(p, s.stage).has('SupplyChain')) problems.push(`${s.stage} does not wait for SupplyChain`);
  const script = jobSteps(chain).map(text).join('\n');
  if (!/^npm audit signatures$/m.test(script)) problems.push('SupplyChain does not run npm audit signatures');
  if (!script.includes('npm audit --omit=dev --audit-level=high --json'))
    problems.push('SupplyChain does not run npm audit --omit=dev --audit-level=high');
  if (!/node --experimental-strip-types infra\/scripts\/audit-gate\.ts[\s\\]+--audit/.test(script))
    problems.push('SupplyChain does not gate the audit through infra/scripts/audit-gate.ts');
  const msdo = jobSteps(chain).find((s) => s.task === 'MicrosoftSecurityDevOps@1');
  if (!msdo || msdo.inputs?.break !== true)
    problems.push('no static analysis that fails the stage on an error (MicrosoftSecurityDevOps@1, break: true)');
  if (!String(chain.condition ?? '').includes(NOT_PR)) problems.push('SupplyChain runs on pull requests');
  return problems;
}

/** The restore point is recorded and published before the infrastructure step; the version check follows the rollout. */
function deploymentOrderProblems(t: Yaml): string[] {
  const problems: string[] = [];
  const steps = deploySteps(t);
  const at = (re: RegExp) => steps.findIndex((s) => re.test(text(s)));
  const restore = at(/infra\/scripts\/restore-point\.ts"/);
  const published = steps.findIndex((s) => s.artifact === 'restore-point-${{ parameters.parameterFile }}');
  const infra = at(/az deployment sub create/);
  const rollout = at(/infra\/scripts\/rollout\.ts" deploy /);
  const version = at(/infra\/scripts\/verify-version\.ts"/);
  if (restore < 0 || infra < 0 || restore > infra)
    problems.push('the restore point is not recorded before the infrastructure step');
  if (published < 0 || published > infra) problems.push('the restore point is not published before the infrastructure step');
  if (restore >= 0 && steps[restore]!.task !== 'AzureCLI@2') problems.push('the restore point step is not logged in to Azure');
  if (version < 0 || version < rollout) problems.push('the version check does not follow the rollout');
  if (version >= 0 && !text(steps[version]!).includes('--package "$(Pipeline.Workspace)/functions/algesta-functions.zip"'))
    problems.push('the version check does not read the deployed package');
  if (version >= 0 && steps[version]!.condition !== undefined)
    problems.push('the version check must run exactly when the rollout succeeded');
  return problems;
}

/** The end-to-end stage runs the remote suite against staging's URL from this run's outputs. */
function e2eProblems(p: Yaml): string[] {
  const problems: string[] = [];
  const steps = jobSteps(stageOf(p, 'TestStaging'));
  const all = steps.map(text).join('\n');
  const download = steps.findIndex((s) => s.download === 'current' && s.artifact === 'deployment-outputs-staging');
  const suite = steps.findIndex((s) => /npm run test:e2e:remote/.test(text(s)));
  if (download < 0 || suite < download) problems.push('the staging outputs are not downloaded before the suite');
  if (!/AZURE_FRONT_DOOR_URL/.test(all) || !/AZURE_FUNCTION_APP_URL/.test(all))
    problems.push('E2E_BASE_URL is not read from the outputs');
  const env = steps[suite]?.env ?? {};
  if (env.E2E_BASE_URL !== '$(E2E_BASE_URL)' || env.E2E_TOKEN_COMMAND !== '$(E2E_TOKEN_COMMAND)')
    problems.push('the suite is not given E2E_BASE_URL and E2E_TOKEN_COMMAND');
  // The stamp the Build leg wrote into the package (ALGESTA_BUILD_*) is what staging must answer.
  const stamp = jobSteps(stageOf(p, 'Build')).find((s) => s.env?.ALGESTA_BUILD_VERSION)?.env ?? {};
  if (
    !stamp.ALGESTA_BUILD_VERSION ||
    env.E2E_EXPECT_VERSION !== stamp.ALGESTA_BUILD_VERSION ||
    env.E2E_EXPECT_COMMIT !== stamp.ALGESTA_BUILD_COMMIT
  )
    problems.push("the suite does not expect this run's build stamp from staging");
  const results = steps.find((s) => s.task === 'PublishTestResults@2');
  if (results?.inputs?.testResultsFiles !== '.test-runs/e2e-remote-junit.xml' || results?.condition !== 'succeededOrFailed()')
    problems.push("the suite's JUnit results are not published, pass or fail");
  const groups = (stageOf(p, 'TestStaging')?.jobs ?? []).flatMap((j: Yaml) => j.variables ?? []).map((v: Yaml) => v.group);
  if (!groups.includes('algesta-staging')) problems.push('the staging variable group (E2E_TOKEN_COMMAND) is not loaded');
  return problems;
}

/** What .ci/run must not do: a new advisory would turn an unrelated change red. */
const ciProblems = (script: string) =>
  script
    .split('\n')
    .filter((l) => /\bnpm audit\b/.test(l) && !l.trim().startsWith('#'))
    .map((l) => `.ci/run runs npm audit: ${l.trim()}`);

describe('the release path (azure-pipelines.yml, infra/pipelines/deploy.yml)', () => {
  it('production deploys on main only after staging was deployed and tested in the same run, through algesta-prod', () => {
    expect(promotionProblems(PIPELINE)).toEqual([]);
  });

  it("production deploys the artifact staging deployed: this run's functions, never a rebuild", () => {
    expect(sameArtifactProblems(TEMPLATE)).toEqual([]);
    // One template for both, so staging and production run the same steps on the same download.
    expect(stageOf(PIPELINE, 'DeployStaging')!.jobs[0].template).toBe(stageOf(PIPELINE, 'DeployProduction')!.jobs[0].template);
  });

  it('the supply-chain checks run before every deployment, not on pull requests', () => {
    expect(supplyChainProblems(PIPELINE)).toEqual([]);
    expect(
      stages(PIPELINE)
        .filter(deploysWithTemplate)
        .map((s) => s.stage),
    ).toEqual(['DeployDev', 'DeployStaging', 'DeployProduction']);
  });

  it('the restore point comes before the infrastructure step, the version check after the rollout', () => {
    expect(deploymentOrderProblems(TEMPLATE)).toEqual([]);
  });

  it('the end-to-end suite runs against staging with the token command of its variable group', () => {
    expect(e2eProblems(PIPELINE)).toEqual([]);
  });

  it('.ci/run does not audit (the pipeline does, before a release)', () => {
    expect(ciProblems(read('.ci/run'))).toEqual([]);
  });

  it('the package, the infrastructure and the bill of materials are published once, by the Node 22 leg of Build', () => {
    const publishes = jobSteps(stageOf(PIPELINE, 'Build')).filter((s) => s.publish !== undefined);
    expect(publishes.map((s) => s.artifact)).toEqual(['functions', 'infra', 'sbom']);
    for (const s of publishes) expect(s.condition).toBe("and(succeeded(), eq(variables.nodeVersion, '22.x'))");
    const sbom = jobSteps(stageOf(PIPELINE, 'Build')).find((s) => /npm sbom/.test(text(s)))!;
    expect(text(sbom)).toContain('npm sbom --sbom-format cyclonedx --omit dev');
    // The build that makes dist/ is the one stamped with the run's number and commit.
    const ci = jobSteps(stageOf(PIPELINE, 'Build')).find((s) => text(s) === 'bash .ci/run')!;
    expect(ci.env).toEqual({ ALGESTA_BUILD_VERSION: '$(Build.BuildNumber)', ALGESTA_BUILD_COMMIT: '$(Build.SourceVersion)' });
    // The package is refused (the step fails under set -e) without the stamp the version check reads.
    const pack = jobSteps(stageOf(PIPELINE, 'Build')).find((st) => /stage-package\.ts/.test(text(st)))!;
    expect(text(pack)).toMatch(/^set -euo pipefail$/m);
    expect(text(pack)).toContain('unzip -p "$(Build.ArtifactStagingDirectory)/algesta-functions.zip" dist/build-info.json');
  });
});

describe("TestStaging's base URL, read from the staging outputs (its script run with bash)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'algesta-e2e-url-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const step = jobSteps(stageOf(PIPELINE, 'TestStaging')).find((s) => /E2E_BASE_URL/.test(text(s)) && s.script)!;
  const run = (outputs: Record<string, { value: string }>) => {
    mkdirSync(join(dir, 'deployment-outputs-staging'), { recursive: true });
    writeFileSync(join(dir, 'deployment-outputs-staging/outputs.json'), JSON.stringify(outputs));
    const r = spawnSync('bash', ['-c', text(step).replaceAll('$(Pipeline.Workspace)', dir)], { encoding: 'utf8' });
    return { status: r.status, out: r.stdout };
  };

  it('the Front Door URL when there is one, else the app URL; neither is an error', () => {
    const fd = run({
      AZURE_FRONT_DOOR_URL: { value: 'https://fd.example' },
      AZURE_FUNCTION_APP_URL: { value: 'https://app.example' },
    });
    expect(fd).toMatchObject({ status: 0 });
    expect(fd.out).toContain('##vso[task.setvariable variable=E2E_BASE_URL]https://fd.example');
    const app = run({ AZURE_FRONT_DOOR_URL: { value: '' }, AZURE_FUNCTION_APP_URL: { value: 'https://app.example' } });
    expect(app.out).toContain('##vso[task.setvariable variable=E2E_BASE_URL]https://app.example');
    const none = run({});
    expect(none.status).toBe(1);
    expect(none.out).toContain('##vso[task.logissue type=error]no AZURE_FRONT_DOOR_URL or AZURE_FUNCTION_APP_URL');
  });
});

describe('develop deploys dev: the rollback by tag finds its app', () => {
  /**
   * deploy.yml's rollback-only step looks for `azd-env-name` = the parameter file. The pipeline runs
   * the dev parameter file without AZURE_ENV_NAME (developers' azd environments set it, to
   * `dev-<name>`), so the environment's name must then be `dev`.
   */
  const tagsProblems = async (env: Record<string, string>) => {
    const project = await loadProject();
    const job = stageOf(PIPELINE, 'DeployDev')!.jobs[0];
    return Deployment.of(project, job.parameters.parameterFile, env)
      .regions()
      .map((r) => get(r.site.params.tags, 'azd-env-name'))
      .filter((name) => name !== job.parameters.parameterFile)
      .map((name) => `app tagged azd-env-name=${String(name)}, rollback-only looks for ${job.parameters.parameterFile}`);
  };

  it('as the pipeline runs it (no AZURE_ENV_NAME), the app is tagged dev', async () => {
    expect(stageOf(PIPELINE, 'DeployDev')!.jobs[0].parameters).toMatchObject({
      parameterFile: 'dev',
      environment: 'algesta-dev',
    });
    expect(await tagsProblems({})).toEqual([]);
  });

  it('a variable group that set AZURE_ENV_NAME would hide the app from the rollback', async () => {
    expect(await tagsProblems({ AZURE_ENV_NAME: 'dev-alice' })).toEqual([
      'app tagged azd-env-name=dev-alice, rollback-only looks for dev',
    ]);
  });
});

describe('each rule fails when the pipeline is changed in memory', () => {
  const withStage = (id: string, change: (s: Yaml) => void) => {
    const p = clone(PIPELINE);
    change(stageOf(p, id)!);
    return p;
  };
  const withDeploySteps = (change: (steps: Yaml[]) => void) => {
    const t = clone(TEMPLATE);
    change(deploySteps(t));
    return t;
  };
  const move = (steps: Yaml[], re: RegExp, after: RegExp) => {
    const [step] = steps.splice(
      steps.findIndex((s) => re.test(text(s))),
      1,
    );
    steps.splice(steps.findIndex((s) => after.test(text(s))) + 1, 0, step!);
  };

  it('production beside staging instead of after its tests', () => {
    const p = withStage('DeployProduction', (s) => (s.dependsOn = ['Build', 'ValidateInfra', 'SupplyChain']));
    expect(promotionProblems(p)).toEqual([
      'DeployProduction does not wait for DeployStaging',
      'DeployProduction does not wait for TestStaging',
    ]);
  });

  it('production that runs whatever staging did, or on develop, or without the approval environment', () => {
    expect(promotionProblems(withStage('DeployProduction', (s) => (s.condition = `and(always(), ${MAIN}, ${NOT_PR})`)))).toEqual([
      'DeployProduction: its condition must require succeeded() and nothing weaker',
    ]);
    expect(
      promotionProblems(withStage('DeployProduction', (s) => (s.condition = s.condition.replace('main', 'develop')))),
    ).toEqual(['DeployProduction: not limited to main']);
    expect(
      promotionProblems(withStage('DeployProduction', (s) => (s.jobs[0].parameters.environment = 'algesta-staging'))),
    ).toEqual(['DeployProduction does not deploy through the algesta-prod environment (its approval)']);
  });

  it('a production stage that builds its own package', () => {
    const p = withStage('DeployProduction', (s) =>
      s.jobs.unshift({
        job: 'rebuild',
        steps: [{ script: 'npm ci && npm run build' }, { publish: 'x.zip', artifact: 'functions' }],
      }),
    );
    expect(promotionProblems(p)).toEqual([
      'DeployProduction publishes a functions artifact: only Build may',
      'DeployProduction has a job besides the deployment template',
    ]);
  });

  it("a deployment that takes the latest package of the branch instead of this run's, or builds one", () => {
    const latest = withDeploySteps((steps) => {
      const i = steps.findIndex((s) => s.download === 'current' && s.artifact === 'functions');
      steps[i] = {
        task: 'DownloadPipelineArtifact@2',
        inputs: {
          buildType: 'specific',
          buildVersionToDownload: 'latestFromBranch',
          artifactName: 'functions',
          targetPath: '$(Pipeline.Workspace)/functions',
        },
      };
    });
    expect(sameArtifactProblems(latest)).toEqual([
      "the deploy hook does not download this run's functions artifact (download: current)",
    ]);
    const builds = withDeploySteps((steps) => steps.unshift({ script: 'npm ci && npm run build' }));
    expect(sameArtifactProblems(builds)).toEqual(['a deployment step builds: npm ci && npm run build']);
  });

  it('a deployment stage that does not wait for the supply chain, and a weakened supply chain', () => {
    expect(supplyChainProblems(withStage('DeployStaging', (s) => (s.dependsOn = ['Build', 'ValidateInfra'])))).toEqual([
      'DeployStaging does not wait for SupplyChain',
      // Production waits for staging, so it loses the supply chain too.
      'DeployProduction does not wait for SupplyChain',
    ]);
    const weak = withStage('SupplyChain', (s) => {
      s.jobs = s.jobs.filter((j: Yaml) => j.job !== 'static_analysis');
      s.jobs[0].steps = s.jobs[0].steps.filter((st: Yaml) => text(st) !== 'npm audit signatures');
      s.condition = 'succeeded()';
    });
    expect(supplyChainProblems(weak)).toEqual([
      'SupplyChain does not run npm audit signatures',
      'no static analysis that fails the stage on an error (MicrosoftSecurityDevOps@1, break: true)',
      'SupplyChain runs on pull requests',
    ]);
  });

  it('the restore point after the infrastructure step, the version check before the rollout', () => {
    const late = withDeploySteps((steps) => move(steps, /restore-point\.ts"/, /az deployment sub create/));
    expect(deploymentOrderProblems(late)).toEqual(['the restore point is not recorded before the infrastructure step']);
    const early = withDeploySteps((steps) => {
      const [check] = steps.splice(
        steps.findIndex((s) => /verify-version\.ts"/.test(text(s))),
        1,
      );
      steps.splice(
        steps.findIndex((s) => /rollout\.ts" deploy /.test(text(s))),
        0,
        check!,
      );
    });
    expect(deploymentOrderProblems(early)).toEqual(['the version check does not follow the rollout']);
  });

  it("an end-to-end stage without staging's URL or its results", () => {
    const p = withStage('TestStaging', (s) => {
      s.jobs[0].steps = s.jobs[0].steps.filter((st: Yaml) => st.download !== 'current' && st.task !== 'PublishTestResults@2');
    });
    expect(e2eProblems(p)).toEqual([
      'the staging outputs are not downloaded before the suite',
      "the suite's JUnit results are not published, pass or fail",
    ]);
  });

  it('an end-to-end stage that would pass against whatever build staging ran before', () => {
    const p = withStage('TestStaging', (s) => {
      const suite = s.jobs[0].steps.find((st: Yaml) => /test:e2e:remote/.test(text(st)));
      delete suite.env.E2E_EXPECT_VERSION;
    });
    expect(e2eProblems(p)).toEqual(["the suite does not expect this run's build stamp from staging"]);
  });

  it('.ci/run with an audit', () => {
    expect(ciProblems(`${read('.ci/run')}\nstep "audit" npm audit --omit=dev\n`)).toEqual([
      '.ci/run runs npm audit: step "audit" npm audit --omit=dev',
    ]);
  });
});

// ---- infra/scripts/verify-version.ts ----

describe('the version check after the rollout (verify-version.ts against local servers)', () => {
  const EXPECTED = { version: '20261207.3', commit: '3f2a9c0d1e' };
  const OLD = { version: '20261206.1', commit: '1111111111' };
  /** Each "region" and the Front Door: a path prefix of one local server, with the pair it answers. */
  const answers = new Map<string, { version: string; commit: string } | 'down'>();
  let server: Server;
  let base = '';
  const requests: string[] = [];
  /** Each request's path and the X-Azure-FDID it carried ('' without). */
  const fdids: { url: string; fdid: string }[] = [];
  const FDID = '8d1f6c1e-2b3a-4c5d-9e8f-0a1b2c3d4e5f';
  const dir = mkdtempSync(join(tmpdir(), 'algesta-version-'));

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const fdid = String(req.headers['x-azure-fdid'] ?? '');
      fdids.push({ url: req.url ?? '', fdid });
      const [, prefix, ...rest] = (req.url ?? '').split('/');
      // A region's gateway (`gw-…`) refuses GET /api/health without the profile's id (global.xml).
      if (prefix?.startsWith('gw-') && fdid !== FDID) {
        res.writeHead(403).end('{}');
        return;
      }
      const answer = answers.get(prefix ?? '');
      if (rest.join('/') !== 'api/health' || !answer || answer === 'down') {
        res.writeHead(answer === 'down' ? 503 : 404).end('{}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', ...answer }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * The deployment outputs as az writes them: two regions behind Front Door; with `gateways`, each
   * region's gateway (`gw-<region>`) is its checkUrl and AZURE_FRONT_DOOR_ID the profile's id.
   */
  const outputsFile = (gateways = false) => {
    const app = (region: string) => ({
      name: `func-${region}`,
      resourceGroup: `rg-${region}`,
      region,
      url: `${base}/${region}`,
      origin: `api-${region}`,
      ...(gateways ? { gateway: `apim-${region}`, checkUrl: `${base}/gw-${region}` } : {}),
    });
    const outputs = {
      ...(gateways ? { AZURE_FRONT_DOOR_ID: { type: 'String', value: FDID } } : {}),
      AZURE_FUNCTION_APPS: { type: 'Array', value: [app('centralus'), app('eastus2')] },
      AZURE_FRONT_DOOR_PROFILE: { type: 'String', value: 'afd-algesta-prod' },
      AZURE_FRONT_DOOR_RESOURCE_GROUP: { type: 'String', value: 'rg-algesta-prod-centralus' },
      AZURE_FRONT_DOOR_ORIGIN_GROUP: { type: 'String', value: 'api' },
      AZURE_FRONT_DOOR_URL: { type: 'String', value: `${base}/frontdoor` },
    };
    const file = join(dir, 'outputs.json');
    writeFileSync(file, JSON.stringify(outputs));
    return file;
  };
  const run = async (argv: string[]) => {
    const log: string[] = [];
    const code = await verifyVersion([...argv, '--interval-seconds', '0', '--attempts', '3'], (l) => log.push(l));
    return { code, log };
  };

  it("reads every region's URL and then the Front Door's from the outputs", () => {
    expect(urlsFromOutputs(JSON.parse(readFileSync(outputsFile(), 'utf8')))).toEqual([
      `${base}/centralus`,
      `${base}/eastus2`,
      `${base}/frontdoor`,
    ]);
  });

  it('exit 0 when every URL answers the version and commit inside the package', async () => {
    for (const p of ['centralus', 'eastus2', 'frontdoor']) answers.set(p, EXPECTED);
    const pkg = join(dir, 'pkg');
    mkdirSync(join(pkg, 'dist'), { recursive: true });
    writeFileSync(join(pkg, 'dist/build-info.json'), JSON.stringify(EXPECTED));
    const zip = join(dir, 'algesta-functions.zip');
    expect(spawnSync('zip', ['-qr', zip, '.'], { cwd: pkg }).status).toBe(0);
    expect(buildInfoFromPackage(zip)).toEqual(EXPECTED);

    const { code, log } = await run(['--outputs', outputsFile(), '--package', zip]);
    expect(log.filter((l) => l.startsWith('##vso'))).toEqual([]);
    expect(code).toBe(0);
  });

  it('a region answering the old version fails, naming the URL and both versions, after its bounded retries', async () => {
    answers.set('centralus', EXPECTED);
    answers.set('eastus2', OLD);
    answers.set('frontdoor', EXPECTED);
    requests.length = 0;
    const { code, log } = await run([
      '--outputs',
      outputsFile(),
      '--expect-version',
      EXPECTED.version,
      '--expect-commit',
      EXPECTED.commit,
    ]);
    expect(code).toBe(1);
    expect(log.filter((l) => l.startsWith('##vso'))).toEqual([
      `##vso[task.logissue type=error]version check ${base}/eastus2: answers version ${OLD.version} commit ${OLD.commit} after 3 attempt(s), expected version ${EXPECTED.version} commit ${EXPECTED.commit}`,
    ]);
    expect(requests.filter((r) => r.startsWith('/eastus2'))).toHaveLength(3);
    expect(requests.filter((r) => r.startsWith('/centralus'))).toHaveLength(1);
  });

  it('a URL that catches up within the retries passes; one that is down fails with its status', async () => {
    let calls = 0;
    const catchingUp = async () => {
      calls++;
      return new Response(JSON.stringify(calls < 2 ? OLD : EXPECTED), { status: 200 });
    };
    const sleeps: number[] = [];
    const ok = await checkVersions(['https://x'], EXPECTED, {
      attempts: 4,
      intervalMs: 7,
      fetchImpl: catchingUp,
      sleep: async (ms) => void sleeps.push(ms),
      log: () => {},
    });
    expect(ok).toEqual([
      { url: 'https://x', ok: true, answered: `version ${EXPECTED.version} commit ${EXPECTED.commit}`, attempts: 2 },
    ]);
    expect(sleeps).toEqual([7]);

    answers.set('frontdoor', 'down');
    const { code, log } = await run([
      '--outputs',
      outputsFile(),
      '--expect-version',
      EXPECTED.version,
      '--expect-commit',
      EXPECTED.commit,
    ]);
    expect(code).toBe(1);
    expect(log.filter((l) => l.startsWith('##vso')).join('\n')).toContain(`version check ${base}/frontdoor: answers 503 {}`);
  });

  it("with a gateway per region: each region is asked at its gateway with the profile's X-Azure-FDID, Front Door without it", async () => {
    for (const p of ['gw-centralus', 'gw-eastus2', 'frontdoor']) answers.set(p, EXPECTED);
    // The apps' own hosts are private (they answer only their gateway's subnet): never asked.
    answers.set('centralus', 'down');
    answers.set('eastus2', 'down');
    fdids.length = 0;
    expect(urlsFromOutputs(JSON.parse(readFileSync(outputsFile(true), 'utf8')))).toEqual([
      `${base}/gw-centralus`,
      `${base}/gw-eastus2`,
      `${base}/frontdoor`,
    ]);
    const { code, log } = await run([
      '--outputs',
      outputsFile(true),
      '--expect-version',
      EXPECTED.version,
      '--expect-commit',
      EXPECTED.commit,
    ]);
    expect(log.filter((l) => l.startsWith('##vso'))).toEqual([]);
    expect(code).toBe(0);
    expect(fdids).toEqual([
      { url: '/gw-centralus/api/health', fdid: FDID },
      { url: '/gw-eastus2/api/health', fdid: FDID },
      { url: '/frontdoor/api/health', fdid: '' },
    ]);
    // Without the id the gateways refuse the check: the version check fails, it does not pass.
    const withoutId = JSON.parse(readFileSync(outputsFile(true), 'utf8')) as Record<string, unknown>;
    delete withoutId.AZURE_FRONT_DOOR_ID;
    writeFileSync(join(dir, 'outputs.json'), JSON.stringify(withoutId));
    const refused = await run([
      '--outputs',
      join(dir, 'outputs.json'),
      '--expect-version',
      EXPECTED.version,
      '--expect-commit',
      EXPECTED.commit,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.log.filter((l) => l.startsWith('##vso')).join('\n')).toContain(
      `version check ${base}/gw-centralus: answers 403`,
    );
  });

  it('a package without the stamp, or no expectation at all, is an error, not a pass', async () => {
    const bare = join(dir, 'bare.zip');
    const folder = join(dir, 'bare');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'host.json'), '{}');
    expect(spawnSync('zip', ['-qr', bare, '.'], { cwd: folder }).status).toBe(0);
    const { code, log } = await run(['--outputs', outputsFile(), '--package', bare]);
    expect(code).toBe(1);
    expect(log.join('\n')).toMatch(
      /##vso\[task\.logissue type=error\]version check: unzip -p .*bare\.zip dist\/build-info\.json failed/,
    );
    expect((await run(['--outputs', outputsFile()])).code).toBe(2);
  });
});

// ---- infra/scripts/restore-point.ts ----

describe('the restore point before a deployment (restore-point.ts with a fake az)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'algesta-restore-point-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const ok = (stdout: string): AzResult => ({ status: 0, stdout, stderr: '' });
  const fakeAz = (deployment: AzResult, tagged: AzResult = ok('')) => {
    const calls: string[][] = [];
    const az: Az = (args) => {
      calls.push([...args]);
      if (args[0] === 'account') return ok('00000000-1111-2222-3333-444444444444\n');
      if (args[0] === 'deployment') return deployment;
      if (args[0] === 'tag') return tagged;
      return { status: 1, stdout: '', stderr: 'unexpected' };
    };
    return { az, calls };
  };
  const options = (az: Az, log: string[]) => ({
    env: 'prod',
    deploymentName: 'algesta-prod',
    out: join(dir, 'out'),
    runId: '4711',
    buildNumber: '20261207.3',
    commit: '3f2a9c0d1e',
    az,
    now: new Date('2026-12-07T04:40:12.345Z'),
    log: (l: string) => log.push(l),
  });

  it('records the UTC second, the Cosmos account of the current deployment, the run; tags the subscription and the run', () => {
    const outputs = {
      AZURE_COSMOS_ACCOUNT_NAME: { type: 'String', value: 'cosmos-algesta-abc123' },
      AZURE_COSMOS_RESOURCE_GROUP: { type: 'String', value: 'rg-algesta-prod' },
    };
    const { az, calls } = fakeAz(ok(JSON.stringify(outputs)));
    const log: string[] = [];
    const point = recordRestorePoint(options(az, log));
    expect(point).toEqual({
      time: '2026-12-07T04:40:12Z',
      environment: 'prod',
      runId: '4711',
      buildNumber: '20261207.3',
      commit: '3f2a9c0d1e',
      cosmosAccount: 'cosmos-algesta-abc123',
      cosmosResourceGroup: 'rg-algesta-prod',
      subscriptionId: '00000000-1111-2222-3333-444444444444',
    });
    expect(JSON.parse(readFileSync(join(dir, 'out/restore-point.json'), 'utf8'))).toEqual(point);
    expect(calls[1]).toEqual([
      'deployment',
      'sub',
      'show',
      '--name',
      'algesta-prod',
      '--query',
      'properties.outputs',
      '--output',
      'json',
    ]);
    // Merge keeps the subscription's other tags.
    expect(calls[2]).toEqual([
      'tag',
      'update',
      '--resource-id',
      '/subscriptions/00000000-1111-2222-3333-444444444444',
      '--operation',
      'Merge',
      '--tags',
      `${tagNames('prod').time}=2026-12-07T04:40:12Z`,
      `${tagNames('prod').run}=20261207.3`,
      '--output',
      'none',
    ]);
    expect(log).toContain('##vso[build.addbuildtag]restore-point-prod-20261207T044012Z');
    expect(log).toContain('##vso[task.setvariable variable=restorePoint]2026-12-07T04:40:12Z');
  });

  it('on the first deployment: the time anyway, no account, a warning', () => {
    const { az } = fakeAz({
      status: 3,
      stdout: '',
      stderr: "ERROR: (DeploymentNotFound) Deployment 'algesta-prod' could not be found.",
    });
    const log: string[] = [];
    expect(recordRestorePoint(options(az, log))).toMatchObject({ time: '2026-12-07T04:40:12Z', cosmosAccount: '' });
    expect(log.some((l) => l.startsWith('##vso[task.logissue type=warning]restore point: no deployment algesta-prod yet'))).toBe(
      true,
    );
  });

  it('fails (so the deployment does not start) when the record cannot be read or the tag not written', () => {
    expect(() => recordRestorePoint(options(fakeAz({ status: 1, stdout: '', stderr: 'AuthorizationFailed' }).az, []))).toThrow(
      /az deployment sub show --name algesta-prod failed \(exit 1: AuthorizationFailed\)/,
    );
    expect(() =>
      recordRestorePoint(options(fakeAz(ok('{}'), { status: 1, stdout: '', stderr: 'AuthorizationFailed' }).az, [])),
    ).toThrow(/az tag update on the subscription failed/);
  });

  it('the time is what az cosmosdb restore --restore-timestamp takes: ISO 8601, UTC, whole seconds', () => {
    expect(utcSecond(new Date('2026-01-31T14:05:00.999Z'))).toBe('2026-01-31T14:05:00Z');
  });
});
