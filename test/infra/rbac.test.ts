import { beforeAll, describe, expect, it } from 'vitest';
import { accessProblems, appPrincipal, grants } from './support/contracts';
import { ACCESS } from './support/definitions';
import { Unknown, type Project } from './support/evaluate';
import { AZD_ENV, Deployment, ENVIRONMENTS, loadProject } from './support/infra';

let project: Project;
beforeAll(async () => {
  project = await loadProject();
});

describe('role assignments', () => {
  it.each(ENVIRONMENTS)("%s: the app's identity has exactly the data-plane access the code needs", (env) => {
    expect(accessProblems(ACCESS, Deployment.of(project, env))).toEqual([]);
  });

  it('the identity the roles go to is the one the Function App runs as', () => {
    const d = Deployment.of(project, 'prod');
    const identity = appPrincipal(d).split('.')[0]!;
    expect(d.main.modules().find((m) => m.symbol === identity)?.path).toMatch(
      /^br\/public:avm\/res\/managed-identity\/user-assigned-identity:/,
    );
    const settings = d.appSettings();
    for (const key of ['AZURE_CLIENT_ID', 'AzureWebJobsStorage__clientId', 'COSMOS__clientId', 'SERVICEBUS__clientId'])
      expect((settings[key] as Unknown).text, key).toBe(`${identity}.outputs.clientId`);
  });

  it('the developer who runs azd up gets data access in dev, nobody does in staging and production', () => {
    const deployer = (env: (typeof ENVIRONMENTS)[number]) =>
      grants(Deployment.of(project, env))
        .filter((g) => g.principal === AZD_ENV.AZURE_PRINCIPAL_ID)
        .map((g) => g.role)
        .sort();
    expect(deployer('dev')).toEqual([
      'Azure Service Bus Data Owner',
      'Cosmos DB Built-in Data Contributor',
      'Key Vault Secrets Officer',
      'Storage Blob Data Contributor',
    ]);
    expect(deployer('staging')).toEqual([]);
    expect(deployer('prod')).toEqual([]);
    const app = appPrincipal(Deployment.of(project, 'prod'));
    // Besides the app, only the deploying identity (the pipeline's) gets one role: sending telemetry
    // to the primary's Application Insights, the failed-deployment notice (docs/operations.md).
    const all = grants(Deployment.of(project, 'prod'));
    const pipeline = all.filter((g) => g.principal === 'deployer().objectId');
    expect(pipeline.map((g) => `${g.role} on ${g.scopeType}`)).toEqual([
      expect.stringMatching(
        /^(Monitoring Metrics Publisher|3913510d-42f4-4e42-8a64-420c390055eb) on Microsoft\.Insights\/components$/,
      ),
    ]);
    expect(all.filter((g) => !pipeline.includes(g)).every((g) => g.principal === app)).toBe(true);
  });

  it('the on-call group gets dead-letter replay, secret rotation and data reading only when it is configured', () => {
    const group = '22222222-2222-2222-2222-222222222222';
    const roles = grants(Deployment.of(project, 'prod', { ALGESTA_OPERATORS_GROUP_ID: group }))
      .filter((g) => g.principal === group)
      .map((g) => `${g.role} ${g.principalType}`)
      .sort();
    // Dead-letter replay on both namespaces in production (the Geo-DR secondary is the one in use after a failover).
    expect(roles).toEqual([
      'Azure Service Bus Data Owner Group',
      'Azure Service Bus Data Owner Group',
      // npm run outbox -- count|republish and the drills' counts read Cosmos DB.
      'Cosmos DB Built-in Data Reader undefined',
      'Key Vault Secrets Officer Group',
    ]);
  });

  it('every assignment has a deterministic name, so a redeployment updates it instead of failing', () => {
    const d = Deployment.of(project, 'dev');
    for (const r of d.resources().filter((r) => !r.existing && /roleAssignments$/i.test(r.type))) {
      expect(r.body.name, r.symbol).toBeInstanceOf(Unknown);
      expect((r.body.name as Unknown).text, r.symbol).toMatch(/^guid\(/);
    }
  });
});
