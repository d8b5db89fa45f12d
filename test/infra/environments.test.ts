import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { INFRA, decorator } from './support/bicep';
import { grants } from './support/contracts';
import { type Project, sampleOf } from './support/evaluate';
import { AZD_ENV, Deployment, ENVIRONMENTS, get, loadProject } from './support/infra';

let project: Project;
beforeAll(async () => {
  project = await loadProject();
});

describe('environments differ only by their parameter files', () => {
  it.each(ENVIRONMENTS)('%s: gives every parameter main.bicep and its modules require, within their allowed values', (env) => {
    const d = Deployment.of(project, env);
    const problems = [d.main, ...d.modules().flatMap((m) => (m.child ? [m.child] : []))].flatMap((i) => i.parameterProblems());
    expect(problems).toEqual([]);
  });

  it('the three parameter files set the same parameters', () => {
    const names = ENVIRONMENTS.map((env) =>
      project
        .file(join(INFRA, 'env', `${env}.bicepparam`))
        .decls.filter((d) => d.kind === 'param')
        .map((d) => d.name)
        .sort(),
    );
    expect(names[1]).toEqual(names[0]);
    expect(names[2]).toEqual(names[0]);
  });

  it.each(ENVIRONMENTS)('%s: the parameter file is the environment it names', (env) => {
    expect(Deployment.of(project, env).main.symbol('appEnv')).toBe(env);
  });

  it('dev takes its name, region and developer from azd', () => {
    const d = Deployment.of(project, 'dev', { ...AZD_ENV, AZURE_ENV_NAME: 'dev-alice', AZURE_LOCATION: 'brazilsouth' });
    const rg = d.main.resources().find((r) => r.type === 'Microsoft.Resources/resourceGroups')!;
    expect(rg.body.name).toBe('rg-algesta-dev-alice');
    expect(rg.body.location).toBe('brazilsouth');
    expect(get(rg.body, 'tags', 'azd-env-name')).toBe('dev-alice');
  });

  it('production is sized and protected beyond dev', () => {
    const dev = Deployment.of(project, 'dev').main;
    const prod = Deployment.of(project, 'prod').main;
    expect(prod.symbol('cosmosZoneRedundant')).toBe(true);
    expect(prod.symbol('dataStorageSkuName')).toMatch(/G(Z)?RS$/);
    expect(prod.symbol('logRetentionDays') as number).toBeGreaterThanOrEqual(90);
    expect(prod.symbol('blobSoftDeleteDays') as number).toBeGreaterThan(dev.symbol('blobSoftDeleteDays') as number);
    expect(prod.symbol('functionMaximumInstanceCount') as number).toBeGreaterThanOrEqual(
      dev.symbol('functionMaximumInstanceCount') as number,
    );
    expect(prod.symbol('logLevel')).toBe('info');
  });

  // Azure's naming rules, checked on the generated names (the hash has its real length).
  const RULES: [string, RegExp][] = [
    ['avm/res/storage/storage-account', /^[a-z0-9]{3,24}$/],
    ['avm/res/key-vault/vault', /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/],
    ['avm/res/document-db/database-account', /^[a-z0-9][a-z0-9-]{1,42}[a-z0-9]$/],
    ['avm/res/service-bus/namespace', /^[a-zA-Z][a-zA-Z0-9-]{4,48}[a-zA-Z0-9]$/],
    ['avm/res/web/site', /^[a-zA-Z0-9][a-zA-Z0-9-]{0,58}[a-zA-Z0-9]$/],
    ['avm/res/managed-identity/user-assigned-identity', /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/],
  ];
  it.each([...ENVIRONMENTS, 'dev with the longest azd environment name'])(
    '%s: every generated name fits its resource type',
    (env) => {
      const d =
        env === 'dev with the longest azd environment name'
          ? Deployment.of(project, 'dev', { ...AZD_ENV, AZURE_ENV_NAME: 'a'.repeat(20) })
          : Deployment.of(project, env as (typeof ENVIRONMENTS)[number]);
      for (const [module, rule] of RULES)
        for (const m of d.registryModules(module)) expect(sampleOf(m.params.name ?? null), `${module} in ${env}`).toMatch(rule);
      const container = sampleOf(get(d.main.symbol('names'), 'deploymentContainer') ?? null);
      expect(container).toMatch(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/);
    },
  );
});

describe('values ARM refuses only when it deploys', () => {
  // Application Insights' retentionInDays takes only these (learn.microsoft.com/azure/azure-monitor/app/
  // data-retention-privacy, "How long is the data kept?"); the same parameter sets Log Analytics'.
  const RETENTION = [30, 60, 90, 120, 180, 270, 365, 550, 730];

  it('log retention is limited to the values Application Insights accepts, in main.bicep and the module', () => {
    const d = Deployment.of(project, 'prod');
    const allowed = (instance: typeof d.main, name: string) => instance.evaluate(decorator(instance.decl(name)!, 'allowed')![0]!);
    expect(allowed(d.main, 'logRetentionDays')).toEqual(RETENTION);
    const monitoring = d.modules().find((m) => m.path === 'modules/monitoring.bicep')!.child!;
    expect(allowed(monitoring, 'retentionDays')).toEqual(RETENTION);
  });

  it('a parameter file with another retention is refused here, before ARM', async () => {
    const path = join(INFRA, 'env', 'prod.bicepparam');
    const text = readFileSync(path, 'utf8');
    const changed = text.replace('param logRetentionDays = 90', 'param logRetentionDays = 45');
    expect(changed).not.toBe(text);
    const d = Deployment.of(await loadProject({ [path]: changed }), 'prod');
    expect(d.main.parameterProblems()).toEqual([expect.stringMatching(/logRetentionDays = 45 is not one of \[30,60,90/)]);
  });

  it("dev's deployer type comes from azd's environment: a service principal can run azd up", () => {
    const types = (env: Record<string, string>) => [
      ...new Set(
        grants(Deployment.of(project, 'dev', { ...AZD_ENV, ...env }))
          .filter((g) => g.principal === AZD_ENV.AZURE_PRINCIPAL_ID && g.principalType !== undefined)
          .map((g) => g.principalType),
      ),
    ];
    expect(types({})).toEqual(['User']);
    expect(types({ AZURE_PRINCIPAL_TYPE: 'ServicePrincipal' })).toEqual(['ServicePrincipal']);
    const d = Deployment.of(project, 'dev', { ...AZD_ENV, AZURE_PRINCIPAL_TYPE: 'Robot' });
    expect(d.main.parameterProblems()).toEqual([expect.stringMatching(/deployerPrincipalType = "Robot" is not one of/)]);
  });
});
