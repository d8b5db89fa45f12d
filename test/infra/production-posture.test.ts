/**
 * Production posture (issue 23, items 1, 4 and 5 on the Bicep side): production survives the loss of
 * an availability zone or an instance without a cold start for users, keeps 30 days of Cosmos DB
 * point-in-time restore and logs every Cosmos DB request; dev and staging pay for none of it.
 *
 * The fixture cases change a parameter file or a module's text in memory (never infra/ on disk) and
 * expect the check to name the change: a check that passed them would pass a production that lost
 * its zones, its warm instances, its backups or its logs. Sources: support/posture.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Project } from './support/evaluate';
import { Deployment, ENVIRONMENTS, loadProject, withChanged, withParam } from './support/infra';
import {
  COSMOS_DATA_PLANE_LOGS,
  cheapPostureProblems,
  postureOf,
  postureParameterProblems,
  productionPostureProblems,
} from './support/posture';

let project: Project;
beforeAll(async () => {
  project = await loadProject();
});

describe('production: available within a region, 30 days of restore, data-plane logs', () => {
  it('has everything the posture asks for', () => {
    expect(productionPostureProblems(Deployment.of(project, 'prod'))).toEqual([]);
  });

  it('both regions: a zone-redundant Flex plan with two always-ready HTTP instances on zone-redundant host storage', () => {
    const { regions } = postureOf(Deployment.of(project, 'prod'));
    expect(regions).toEqual([
      { location: 'eastus2', planZoneRedundant: true, alwaysReadyHttp: 2, hostStorageSkuName: 'Standard_ZRS' },
      { location: 'centralus', planZoneRedundant: true, alwaysReadyHttp: 2, hostStorageSkuName: 'Standard_ZRS' },
    ]);
  });

  it('Cosmos DB: every location zone-redundant, 30 days of restore, data-plane logs in resource-specific tables of the primary workspace', () => {
    const { cosmos } = postureOf(Deployment.of(project, 'prod'));
    expect(cosmos.locations).toEqual([
      { name: 'eastus2', zoneRedundant: true },
      { name: 'centralus', zoneRedundant: true },
    ]);
    expect(cosmos.backupTier).toBe('Continuous30Days');
    expect(cosmos.diagnostics).toEqual([
      { destinationType: 'Dedicated', categories: ['ControlPlaneRequests', ...Object.keys(COSMOS_DATA_PLANE_LOGS)] },
    ]);
    expect(cosmos.workspace).toBe('monitoring.outputs.workspaceResourceId');
  });

  it('Service Bus: both namespaces Premium and zone-redundant', () => {
    expect(postureOf(Deployment.of(project, 'prod')).serviceBus).toEqual([
      { location: 'eastus2', sku: 'Premium', zoneRedundant: true },
      { location: 'centralus', sku: 'Premium', zoneRedundant: true },
    ]);
  });

  it.each(ENVIRONMENTS)('%s: the parameters ask for nothing ARM refuses with a zone-redundant plan', (env) => {
    expect(postureParameterProblems(Deployment.of(project, env))).toEqual([]);
  });
});

describe('dev and staging stay cheap', () => {
  it.each(['dev', 'staging'] as const)(
    '%s: no zone-redundant plan, no always-ready instance, 7 days of restore, no data-plane logs',
    (env) => {
      const d = Deployment.of(project, env);
      expect(cheapPostureProblems(d)).toEqual([]);
      expect(postureOf(d).cosmos.diagnostics).toEqual([{ destinationType: 'Dedicated', categories: ['ControlPlaneRequests'] }]);
    },
  );
});

describe('the posture checks fail when production loses a piece (fixtures)', () => {
  it('the plans not zone-redundant (parameter)', async () => {
    const d = await withParam('prod', 'functionZoneRedundant', 'false');
    expect(productionPostureProblems(d)).toEqual([
      'Flex plan in eastus2: not zone-redundant',
      'Flex plan in centralus: not zone-redundant',
    ]);
  });

  it('the plan module ignoring the parameter (Bicep)', async () => {
    const d = await withChanged('modules/functionapp.bicep', 'prod', (t) =>
      t.replace('zoneRedundant: zoneRedundant', 'zoneRedundant: false'),
    );
    expect(productionPostureProblems(d)).toEqual([
      'Flex plan in eastus2: not zone-redundant',
      'Flex plan in centralus: not zone-redundant',
    ]);
  });

  it('one always-ready HTTP instance: too few for production, and refused by a zone-redundant plan', async () => {
    const d = await withParam('prod', 'functionAlwaysReadyHttpInstances', '1');
    expect(productionPostureProblems(d)).toEqual([
      'Function App in eastus2: 1 always-ready HTTP instance(s), fewer than 2',
      'Function App in centralus: 1 always-ready HTTP instance(s), fewer than 2',
    ]);
    expect(postureParameterProblems(d)).toEqual([
      "prod eastus2: a zone-redundant plan takes 0 (the platform's 2) or at least 2 always-ready instances per group, not 1",
      "prod centralus: a zone-redundant plan takes 0 (the platform's 2) or at least 2 always-ready instances per group, not 1",
    ]);
  });

  it('the always-ready instances given to a group that is not the HTTP functions (Bicep)', async () => {
    const d = await withChanged('modules/functionapp.bicep', 'prod', (t) => t.replace("name: 'http'", "name: 'durable'"));
    expect(productionPostureProblems(d)).toEqual([
      'Function App in eastus2: 0 always-ready HTTP instance(s), fewer than 2',
      'Function App in centralus: 0 always-ready HTTP instance(s), fewer than 2',
    ]);
  });

  it('a zone-redundant plan on locally redundant host storage', async () => {
    const d = await withParam('prod', 'hostStorageSkuName', "'Standard_LRS'");
    expect(postureParameterProblems(d)).toEqual([
      'prod eastus2: a zone-redundant plan needs zone-redundant host storage (Standard_ZRS), not Standard_LRS',
      'prod centralus: a zone-redundant plan needs zone-redundant host storage (Standard_ZRS), not Standard_LRS',
    ]);
  });

  it('a second region nobody has checked for availability zones', async () => {
    const d = await withParam('prod', 'secondaryLocation', "'northcentralus'");
    expect(productionPostureProblems(d)).toEqual([
      'Flex plan in northcentralus: not a region this project has checked to have availability zones',
      'Cosmos DB location in northcentralus: not a region this project has checked to have availability zones',
      'Service Bus namespace in northcentralus: not a region this project has checked to have availability zones',
    ]);
  });

  it('Cosmos DB without zones (parameter), and the read region alone without them (Bicep)', async () => {
    const off = await withParam('prod', 'cosmosZoneRedundant', 'false');
    expect(productionPostureProblems(off)).toEqual([
      'Cosmos DB location eastus2: not zone-redundant',
      'Cosmos DB location centralus: not zone-redundant',
    ]);
    const secondary = await withChanged('modules/cosmos.bicep', 'prod', (t) =>
      t.replace(
        'failoverPriority: 1\n        isZoneRedundant: zoneRedundant',
        'failoverPriority: 1\n        isZoneRedundant: false',
      ),
    );
    expect(productionPostureProblems(secondary)).toEqual(['Cosmos DB location centralus: not zone-redundant']);
  });

  it('7 days of restore', async () => {
    const d = await withParam('prod', 'cosmosContinuousBackupTier', "'Continuous7Days'");
    expect(productionPostureProblems(d)).toEqual(['Cosmos DB continuous backup: Continuous7Days, not Continuous30Days']);
  });

  it('no data-plane logs (parameter), logs into AzureDiagnostics (Bicep), logs into the secondary workspace (Bicep)', async () => {
    const off = await withParam('prod', 'cosmosDataPlaneLogs', 'false');
    expect(productionPostureProblems(off)).toEqual([
      'Cosmos DB diagnostic settings: no setting sends DataPlaneRequests, QueryRuntimeStatistics, PartitionKeyRUConsumption',
    ]);
    const legacy = await withChanged('modules/cosmos.bicep', 'prod', (t) =>
      t.replace("logAnalyticsDestinationType: 'Dedicated'", "logAnalyticsDestinationType: 'AzureDiagnostics'"),
    );
    expect(productionPostureProblems(legacy)).toEqual([
      'Cosmos DB data-plane logs: destination type AzureDiagnostics, not Dedicated (resource-specific tables)',
    ]);
    const elsewhere = await withChanged('main.bicep', 'prod', (t) =>
      // The workspace line of the cosmos module, wherever it sits among the module's params.
      t.replace(
        /(module cosmos 'modules\/cosmos\.bicep'[\s\S]*?logAnalyticsWorkspaceId: )monitoring\.outputs/,
        '$1monitoringSecondary!.outputs',
      ),
    );
    expect(productionPostureProblems(elsewhere)).toEqual([
      "Cosmos DB logs go to monitoringSecondary!.outputs.workspaceResourceId, not the primary region's workspace (monitoring.outputs.workspaceResourceId)",
    ]);
  });

  it('Service Bus: zone redundancy dropped (Bicep), a Standard namespace (parameter)', async () => {
    const dropped = await withChanged('modules/servicebus.bicep', 'prod', (t) =>
      t.replace("zoneRedundant: skuName == 'Premium'", 'zoneRedundant: false'),
    );
    expect(productionPostureProblems(dropped)).toEqual([
      'Service Bus namespace in eastus2: zoneRedundant is not true',
      'Service Bus namespace in centralus: zoneRedundant is not true',
    ]);
    const standard = await withChanged('env/prod.bicepparam', 'prod', (t) =>
      t
        .replace("param serviceBusSkuName = 'Premium'", "param serviceBusSkuName = 'Standard'")
        .replace('param serviceBusGeoRecovery = true', 'param serviceBusGeoRecovery = false'),
    );
    expect(productionPostureProblems(standard)).toEqual([
      'Service Bus namespace in eastus2: Standard, not Premium',
      'Service Bus namespace in eastus2: zoneRedundant is not true',
    ]);
  });
});

describe('the cheap check fails when dev starts paying (fixtures)', () => {
  it('zones and warm instances', async () => {
    const zones = await withParam('dev', 'functionZoneRedundant', 'true');
    expect(cheapPostureProblems(zones)).toEqual(['Flex plan in eastus2: zone-redundant']);
    const warm = await withParam('dev', 'functionAlwaysReadyHttpInstances', '2');
    expect(cheapPostureProblems(warm)).toEqual(['Function App in eastus2: 2 always-ready HTTP instance(s)']);
  });

  it('30 days of restore, and data-plane logs', async () => {
    const backups = await withParam('dev', 'cosmosContinuousBackupTier', "'Continuous30Days'");
    expect(cheapPostureProblems(backups)).toEqual(['Cosmos DB continuous backup: Continuous30Days, not Continuous7Days']);
    const logs = await withParam('dev', 'cosmosDataPlaneLogs', 'true');
    expect(cheapPostureProblems(logs)).toEqual([
      'Cosmos DB data-plane logs on: DataPlaneRequests, QueryRuntimeStatistics, PartitionKeyRUConsumption',
    ]);
  });
});
