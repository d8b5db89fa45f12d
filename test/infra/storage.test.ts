import { beforeAll, describe, expect, it } from 'vitest';
import { BLOB_CONTAINERS } from '../../shared/adapters/cosmos/containers';
import { blobProblems, dataStorageAccount } from './support/contracts';
import type { Project } from './support/evaluate';
import { Deployment, ENVIRONMENTS, get, loadProject } from './support/infra';

let project: Project;
beforeAll(async () => {
  project = await loadProject();
});

describe('Blob Storage', () => {
  it.each(ENVIRONMENTS)('%s: the files account has exactly the containers of BLOB_CONTAINERS, private', (env) => {
    expect(blobProblems(BLOB_CONTAINERS, Deployment.of(project, env))).toEqual([]);
  });

  it.each(ENVIRONMENTS)(
    "%s: every account (files, and each region's host storage) refuses shared keys, anonymous reads, plain HTTP and old TLS",
    (env) => {
      const d = Deployment.of(project, env);
      const accounts = d.registryModules('avm/res/storage/storage-account');
      // The files account and one host account per region.
      expect(accounts).toHaveLength(1 + d.regions().length);
      for (const { params } of accounts) {
        expect(params.allowSharedKeyAccess).toBe(false);
        expect(params.allowBlobPublicAccess).toBe(false);
        expect(params.supportsHttpsTrafficOnly).toBe(true);
        expect(params.minimumTlsVersion).toBe('TLS1_2');
        expect(get(params, 'blobServices', 'deleteRetentionPolicyEnabled')).toBe(true);
      }
    },
  );

  it.each(ENVIRONMENTS)('%s: files are versioned and recoverable after deletion', (env) => {
    const blob = dataStorageAccount(Deployment.of(project, env)).blobServices;
    expect(get(blob, 'isVersioningEnabled')).toBe(true);
    expect(get(blob, 'deleteRetentionPolicyEnabled')).toBe(true);
    expect(get(blob, 'containerDeleteRetentionPolicyEnabled')).toBe(true);
    expect(get(blob, 'deleteRetentionPolicyDays')).toBeGreaterThanOrEqual(7);
  });

  it('keeps production files geo-zone-redundant, readable from the secondary region', () => {
    expect(dataStorageAccount(Deployment.of(project, 'prod')).skuName).toBe('Standard_RAGZRS');
  });

  it.each(ENVIRONMENTS)('%s: browsers may upload and download files from the dashboard origins only', (env) => {
    const d = Deployment.of(project, env);
    const rules = get(dataStorageAccount(d), 'blobServices', 'corsRules') as {
      allowedOrigins: string[];
      allowedMethods: string[];
    }[];
    const origins = String(d.appSettings().CORS_ALLOWED_ORIGINS).split(',');
    expect(rules.flatMap((r) => r.allowedOrigins).sort()).toEqual(origins.sort());
    expect(rules.flatMap((r) => r.allowedMethods)).toEqual(expect.arrayContaining(['PUT', 'GET']));
    expect(rules.flatMap((r) => r.allowedOrigins)).not.toContain('*');
  });
});
