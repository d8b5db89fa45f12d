import { beforeAll, describe, expect, it } from 'vitest';
import { CONTAINERS } from '../../shared/adapters/cosmos/containers';
import { cosmosProblems } from './support/contracts';
import type { Project } from './support/evaluate';
import { Deployment, ENVIRONMENTS, loadProject } from './support/infra';

let project: Project;
beforeAll(async () => {
  project = await loadProject();
});

const account = (env: (typeof ENVIRONMENTS)[number]) =>
  Deployment.of(project, env).registryModule('avm/res/document-db/database-account').params;

describe('Cosmos DB is provisioned as the code defines it', () => {
  it.each(ENVIRONMENTS)(
    '%s: every database, container, partition key, TTL and indexing policy of containers.ts (and no other)',
    (env) => {
      expect(cosmosProblems(Object.values(CONTAINERS), Deployment.of(project, env))).toEqual([]);
    },
  );

  it('includes the leases container of the change-feed triggers', () => {
    const platform = (account('prod').sqlDatabases as { name: string; containers: { name: string; paths: string[] }[] }[]).find(
      (db) => db.name === CONTAINERS.leases.database,
    );
    expect(platform?.containers.find((c) => c.name === CONTAINERS.leases.id)?.paths).toEqual([CONTAINERS.leases.partitionKey]);
  });

  it('is serverless in dev and autoscales in staging and production', () => {
    expect(account('dev').capabilitiesToAdd).toEqual(['EnableServerless']);
    for (const db of account('dev').sqlDatabases as { autoscaleSettingsMaxThroughput: unknown }[])
      expect(db.autoscaleSettingsMaxThroughput).toBeNull();
    for (const env of ['staging', 'prod'] as const) {
      expect(account(env).capabilitiesToAdd).toEqual([]);
      for (const db of account(env).sqlDatabases as { autoscaleSettingsMaxThroughput: unknown }[])
        expect(db.autoscaleSettingsMaxThroughput, env).toBeGreaterThanOrEqual(1000);
    }
  });

  // Production keeps 30 days (issue 23); the others keep the 7 days that bill no backup storage.
  const restoreWindow = { dev: 'Continuous7Days', staging: 'Continuous7Days', prod: 'Continuous30Days' } as const;
  it.each(ENVIRONMENTS)('%s: keeps its days of point-in-time restore and accepts Entra ID only', (env) => {
    const params = account(env);
    expect(params.backupPolicyType).toBe('Continuous');
    expect(params.backupPolicyContinuousTier).toBe(restoreWindow[env]);
    expect(params.disableLocalAuthentication).toBe(true);
    expect(params.disableKeyBasedMetadataWriteAccess).toBe(true);
    expect(params.minimumTlsVersion).toBe('Tls12');
  });
});
