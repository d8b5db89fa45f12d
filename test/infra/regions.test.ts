/**
 * The second region (issue 20), from the parameter files: staging and production run the app in
 * two regions behind Front Door, with Cosmos DB's second region and, in production, the Service Bus
 * Geo-DR alias; dev runs in one region with none of it. The two regions' apps have the same settings
 * but for the region's own resources. The fixture cases change infra/ in memory (never on disk) and
 * expect the checks to name the change.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type BicepObject, type Project, Unknown, isObject, sampleOf } from './support/evaluate';
import { Deployment, get, loadProject, withChanged } from './support/infra';
import { REGION_SETTINGS, parameterProblems, registryModulesIn, resourceGroupOf, settingsDifferences } from './support/regions';

let project: Project;
beforeAll(async () => {
  project = await loadProject();
});

const TWO_REGIONS = ['staging', 'prod'] as const;

const frontDoor = (d: Deployment) => d.registryModules('avm/res/cdn/profile');

describe('two regions in staging and production', () => {
  it.each(TWO_REGIONS)(
    '%s: eastus2 and its pair centralus, each with its own app, plan, host storage and Application Insights',
    (env) => {
      const d = Deployment.of(project, env);
      const regions = d.regions();
      expect(regions.map((r) => [r.symbol, r.location])).toEqual([
        ['primary', 'eastus2'],
        ['secondary', 'centralus'],
      ]);
      for (const r of regions) {
        expect(
          registryModulesIn(r.call, 'avm/res/web/serverfarm').map((m) => m.params.skuName),
          r.symbol,
        ).toEqual(['FC1']);
        expect(registryModulesIn(r.call, 'avm/res/web/site'), r.symbol).toHaveLength(1);
        const host = registryModulesIn(r.call, 'avm/res/storage/storage-account');
        expect(host.map((m) => sampleOf(m.params.name ?? null))).toEqual([
          sampleOf(r.settings.AzureWebJobsStorage__accountName!),
        ]);
        expect(host[0]!.params.location).toBe(r.location);
      }
      // Different names for each region's own resources.
      const distinct = (values: (string | undefined)[]) => new Set(values).size === values.length;
      expect(distinct(regions.map((r) => sampleOf(r.settings.AzureWebJobsStorage__accountName!)))).toBe(true);
      expect(distinct(regions.map((r) => sampleOf(r.site.params.name ?? null)))).toBe(true);
      expect(distinct(regions.map((r) => sampleOf(r.call.params.appInsightsName ?? null)))).toBe(true);
      // Application Insights and its workspace in each region.
      const components = d.registryModules('avm/res/insights/component');
      expect(components.map((m) => m.params.location)).toEqual(['eastus2', 'centralus']);
      expect(d.registryModules('avm/res/operational-insights/workspace').map((m) => m.params.location)).toEqual([
        'eastus2',
        'centralus',
      ]);
      expect(components.map((m) => m.params.name)).toEqual(regions.map((r) => r.call.params.appInsightsName));
    },
  );

  it.each(TWO_REGIONS)("%s: the secondary region's resources are in their own resource group, in that region", (env) => {
    const d = Deployment.of(project, env);
    expect(resourceGroupOf(d, 'primary')).toBe(`rg-algesta-${env}`);
    for (const symbol of ['secondary', 'monitoringSecondary', 'frontDoor'])
      expect(resourceGroupOf(d, symbol), symbol).toBe(`rg-algesta-${env}-centralus`);
    const group = d.main.resources().find((r) => r.symbol === 'rgSecondary')!;
    expect(group.condition).toBe(true);
    expect(group.body.location).toBe('centralus');
  });

  it.each(TWO_REGIONS)('%s: every Function App carries the azd tags the pipeline finds it by', (env) => {
    const d = Deployment.of(project, env);
    for (const r of d.regions()) {
      expect(get(r.site.params.tags, 'azd-env-name'), r.symbol).toBe(env);
      expect(get(r.site.params.tags, 'azd-service-name'), r.symbol).toBe('api');
    }
  });

  it.each(TWO_REGIONS)('%s: Cosmos DB has a read region with failover priority 1 and service-managed failover', (env) => {
    const account = Deployment.of(project, env).registryModule('avm/res/document-db/database-account').params;
    const zoneRedundant = Deployment.of(project, env).main.symbol('cosmosZoneRedundant');
    expect(account.failoverLocations).toEqual([
      { locationName: 'eastus2', failoverPriority: 0, isZoneRedundant: zoneRedundant },
      { locationName: 'centralus', failoverPriority: 1, isZoneRedundant: zoneRedundant },
    ]);
    expect(account.enableAutomaticFailover).toBe(true);
    expect(account.enableMultipleWriteLocations).toBe(false);
    expect(account.defaultConsistencyLevel).toBe('Session');
  });

  it.each(TWO_REGIONS)('%s: both apps prefer the write region, then the read region, for Cosmos DB', (env) => {
    for (const r of Deployment.of(project, env).regions())
      expect(r.settings.COSMOS_PREFERRED_REGIONS, r.symbol).toBe('eastus2,centralus');
  });

  it.each(TWO_REGIONS)('%s: each app names its own region (GET /api/health shows it)', (env) => {
    for (const r of Deployment.of(project, env).regions()) expect(r.settings.ALGESTA_REGION).toBe(r.location);
  });
});

describe('Service Bus Geo-Disaster Recovery', () => {
  it('production: two Premium namespaces paired by an alias, entities on the primary only, the app on the alias', () => {
    const d = Deployment.of(project, 'prod');
    const [primary, secondary, ...more] = d.serviceBusNamespaces();
    expect(more).toEqual([]);
    for (const n of [primary!, secondary!]) expect(get(n.params, 'skuObject', 'name')).toBe('Premium');
    expect([primary!.params.location, secondary!.params.location]).toEqual(['eastus2', 'centralus']);
    expect(secondary!.params.topics).toEqual([]);
    expect(secondary!.params.disasterRecoveryConfig).toBeNull();
    const dr = primary!.params.disasterRecoveryConfig;
    expect(isObject(dr)).toBe(true);
    const alias = sampleOf((dr as BicepObject).name ?? null)!;
    expect(alias).toMatch(/^[a-z][a-z0-9-]{4,48}[a-z0-9]$/);
    expect(alias).not.toBe(sampleOf(primary!.params.name ?? null));
    // The partner is the secondary namespace's resource ID (servicebus.bicep's output, passed by main.bicep).
    expect(((dr as BicepObject).partnerNamespace as Unknown).text).toBe('namespace.outputs.resourceId');
    expect(d.main.file.text).toContain(
      'geoRecoveryPartnerNamespaceResourceId: geoRecovery ? serviceBusSecondary!.outputs.namespaceResourceId',
    );
    for (const r of d.regions())
      expect(sampleOf(r.settings.SERVICEBUS__fullyQualifiedNamespace!)).toBe(`${alias}.servicebus.windows.net`);
    expect(sampleOf(d.main.output('SERVICEBUS__fullyQualifiedNamespace'))).toBe(`${alias}.servicebus.windows.net`);
  });

  it.each(['dev', 'staging'] as const)('%s: one Standard namespace, no alias, the app on the namespace', (env) => {
    const d = Deployment.of(project, env);
    const namespaces = d.serviceBusNamespaces();
    expect(namespaces).toHaveLength(1);
    expect(get(namespaces[0]!.params, 'skuObject', 'name')).toBe('Standard');
    expect(namespaces[0]!.params.disasterRecoveryConfig).toBeNull();
    expect(sampleOf(d.appSettings().SERVICEBUS__fullyQualifiedNamespace!)).toBe(
      `${sampleOf(namespaces[0]!.params.name!)}.servicebus.windows.net`,
    );
  });

  it.each(['dev', 'staging', 'prod'] as const)('%s: the parameter file asks for nothing ARM would refuse', (env) => {
    expect(parameterProblems(Deployment.of(project, env))).toEqual([]);
  });

  it('refuses Geo-DR on a Standard namespace, or without a second region (fixtures)', async () => {
    const staging = await withChanged('env/staging.bicepparam', 'staging', (t) =>
      t.replace('param serviceBusGeoRecovery = false', 'param serviceBusGeoRecovery = true'),
    );
    expect(parameterProblems(staging)).toEqual([
      "staging: serviceBusGeoRecovery needs serviceBusSkuName 'Premium' (Geo-DR pairs Premium namespaces only)",
    ]);
    const dev = await withChanged('env/dev.bicepparam', 'dev', (t) =>
      t
        .replace('param serviceBusGeoRecovery = false', 'param serviceBusGeoRecovery = true')
        .replace("param serviceBusSkuName = 'Standard'", "param serviceBusSkuName = 'Premium'"),
    );
    expect(parameterProblems(dev)).toEqual(['dev: serviceBusGeoRecovery needs a secondaryLocation for the secondary namespace']);
  });
});

describe('Front Door in front of the two regions', () => {
  it.each(TWO_REGIONS)(
    '%s: one endpoint, one route /* over HTTPS only, one origin group probing GET /api/health/ready over HTTPS',
    (env) => {
      const d = Deployment.of(project, env);
      const [profile, ...more] = frontDoor(d);
      expect(more).toEqual([]);
      const params = profile!.params;
      // Issue 24: the tier is the parameter file's (Premium with the managed WAF rules in production).
      expect(params.sku).toBe(env === 'prod' ? 'Premium_AzureFrontDoor' : 'Standard_AzureFrontDoor');
      expect(params.location).toBe('global');
      const groups = params.originGroups as BicepObject[];
      expect(groups).toHaveLength(1);
      expect(groups[0]!.healthProbeSettings).toMatchObject({
        probePath: '/api/health/ready',
        probeProtocol: 'Https',
        probeRequestType: 'GET',
      });
      expect(get(groups[0], 'healthProbeSettings', 'probeIntervalInSeconds')).toBe(60);
      expect(groups[0]!.loadBalancingSettings).toEqual({
        sampleSize: 4,
        successfulSamplesRequired: 3,
        additionalLatencyInMilliseconds: 50,
      });
      const endpoints = params.afdEndpoints as BicepObject[];
      expect(endpoints).toHaveLength(1);
      const routes = endpoints[0]!.routes as BicepObject[];
      expect(routes).toHaveLength(1);
      expect(routes[0]).toMatchObject({
        originGroupName: groups[0]!.name,
        patternsToMatch: ['/*'],
        supportedProtocols: ['Https'],
        forwardingProtocol: 'HttpsOnly',
      });
      expect(routes[0]).not.toHaveProperty('cacheConfiguration');
    },
  );

  it.each(TWO_REGIONS)(
    "%s: the origins are the two regions' gateways (issue 24), else their apps' host names, the primary at priority 1, the secondary at 2, each with its own host header",
    (env) => {
      const d = Deployment.of(project, env);
      const frontDoorCall = d.main.modules().find((m) => m.symbol === 'frontDoor')!;
      // What main.bicep passes: each region's gateway host (both environments have gateways), the primary first.
      const gateways = d
        .registryModules('avm/res/api-management/service')
        .map((g) => `${sampleOf(g.params.name!)}.azure-api.net`);
      expect(gateways).toHaveLength(2);
      expect((frontDoorCall.params.origins as BicepObject[]).map((o) => [o.name, sampleOf(o.hostName!)])).toEqual([
        ['api-eastus2', gateways[0]],
        ['api-centralus', gateways[1]],
      ]);
      // Without a gateway, the apps' hosts.
      const main = d.main.file.text;
      expect(main).toMatch(
        /name: names\.primaryOrigin\s+(?:\/\/[^\n]*\n\s+)*hostName: gatewayOn \? primaryGatewayHost : \(primary\.outputs\.defaultHostName\)/,
      );
      expect(main).toMatch(
        /name: secondaryNames\.secondaryOrigin\s+hostName: gatewayOn \? secondaryGatewayHost : \(secondary!\.outputs\.defaultHostName\)/,
      );
      const origins = get(frontDoor(d)[0]!.params, 'originGroups', 0, 'origins') as BicepObject[];
      expect(origins.map((o) => [o.name, o.priority, o.httpsPort, o.enabledState])).toEqual([
        ['api-eastus2', 1, 443, 'Enabled'],
        ['api-centralus', 2, 443, 'Enabled'],
      ]);
      for (const o of origins) expect(o.originHostHeader).toBe(o.hostName);
    },
  );

  it('an origin group without the readiness probe is noticed (fixture)', async () => {
    const d = await withChanged('modules/frontdoor.bicep', 'prod', (t) =>
      t.replace("probePath: '/api/health/ready'", "probePath: '/api/health'"),
    );
    expect(get(frontDoor(d)[0]!.params, 'originGroups', 0, 'healthProbeSettings', 'probePath')).toBe('/api/health');
  });
});

describe('the two regions run the same app', () => {
  it.each(TWO_REGIONS)(
    "%s: the settings are identical but for the region's own host storage, Application Insights and name",
    (env) => {
      const [primary, secondary] = Deployment.of(project, env).regions();
      expect(settingsDifferences(primary!, secondary!)).toEqual([]);
      // The allowed differences are real ones: the region's own resources.
      expect(primary!.settings.ALGESTA_REGION).not.toEqual(secondary!.settings.ALGESTA_REGION);
      expect(sampleOf(primary!.settings.AzureWebJobsStorage__accountName!)).not.toBe(
        sampleOf(secondary!.settings.AzureWebJobsStorage__accountName!),
      );
      expect([...REGION_SETTINGS].sort()).toEqual([
        'ALGESTA_REGION',
        'APPLICATIONINSIGHTS_CONNECTION_STRING',
        'AzureWebJobsStorage__accountName',
      ]);
    },
  );

  it('a setting changed for one region only is named (fixture)', async () => {
    const d = await withChanged('main.bicep', 'prod', (t) =>
      t.replace(
        'app: union(sharedApp, { appName: secondaryNames.functionApp, planName: secondaryNames.plan })',
        "app: union(sharedApp, { appName: secondaryNames.functionApp, planName: secondaryNames.plan, logLevel: 'debug' })",
      ),
    );
    const [primary, secondary] = d.regions();
    expect(settingsDifferences(primary!, secondary!)).toEqual([
      'setting LOG_LEVEL differs between the regions: eastus2 "info", centralus "debug"',
    ]);
  });

  it('a setting computed from the region is named, whatever the region (fixture)', async () => {
    const d = await withChanged('modules/region.bicep', 'prod', (t) =>
      t.replace(
        'cosmosPreferredRegions: app.cosmosPreferredRegions',
        "cosmosPreferredRegions: '${location},${app.cosmosPreferredRegions}'",
      ),
    );
    const [primary, secondary] = d.regions();
    expect(settingsDifferences(primary!, secondary!)).toEqual([
      'setting COSMOS_PREFERRED_REGIONS differs between the regions: eastus2 "eastus2,eastus2,centralus", centralus "centralus,eastus2,centralus"',
    ]);
  });
});

describe('files', () => {
  it('production files are read-access geo-zone-redundant', () => {
    const d = Deployment.of(project, 'prod');
    const files = d
      .registryModules('avm/res/storage/storage-account')
      .find(
        (m) =>
          isObject(m.params.blobServices) &&
          Array.isArray(m.params.blobServices.containers) &&
          m.params.blobServices.isVersioningEnabled === true,
      );
    expect(files?.params.skuName).toBe('Standard_RAGZRS');
  });
});

describe('dev: one region', () => {
  it('one app, no second resource group, no Front Door, serverless Cosmos DB in one region, no alias', () => {
    const d = Deployment.of(project, 'dev');
    expect(d.main.symbol('secondaryLocation')).toBe('');
    expect(d.regions().map((r) => r.symbol)).toEqual(['primary']);
    expect(d.main.resources().find((r) => r.symbol === 'rgSecondary')!.condition).toBe(false);
    expect(frontDoor(d)).toEqual([]);
    expect(d.registryModules('avm/res/insights/component')).toHaveLength(1);
    const account = d.registryModule('avm/res/document-db/database-account').params;
    expect(account.capabilitiesToAdd).toEqual(['EnableServerless']);
    expect(account.failoverLocations).toBeNull();
    expect(account.enableAutomaticFailover).toBe(false);
    expect(d.serviceBusNamespaces()).toHaveLength(1);
    expect(d.appSettings().COSMOS_PREFERRED_REGIONS).toBe('');
    expect(d.appSettings().ALGESTA_REGION).toBe('eastus2');
  });

  it('a region given to serverless Cosmos DB still leaves the account in one region', async () => {
    const d = await withChanged('env/dev.bicepparam', 'dev', (t) =>
      t.replace("param secondaryLocation = ''", "param secondaryLocation = 'centralus'"),
    );
    expect(d.regions()).toHaveLength(2);
    expect(d.registryModule('avm/res/document-db/database-account').params.failoverLocations).toBeNull();
    for (const r of d.regions()) expect(r.settings.COSMOS_PREFERRED_REGIONS).toBe('');
  });
});

describe('deployment outputs (the pipeline reads them)', () => {
  it('production: the apps in rollout order, the secondary first, each with its resource group, region, URL and origin', () => {
    const d = Deployment.of(project, 'prod');
    const apps = d.main.output('AZURE_FUNCTION_APPS') as BicepObject[];
    expect(apps.map((a) => [a.resourceGroup, a.region, a.origin])).toEqual([
      ['rg-algesta-prod-centralus', 'centralus', 'api-centralus'],
      ['rg-algesta-prod', 'eastus2', 'api-eastus2'],
    ]);
    const regions = d.regions();
    expect(apps.map((a) => sampleOf(a.name ?? null))).toEqual(
      [regions[1], regions[0]].map((r) => sampleOf(r!.site.params.name ?? null)),
    );
    for (const a of apps) expect(sampleOf(a.url ?? null)).toMatch(/^https:\/\/[^/]+$/);
    // Issue 24 added `gateway` (the region's API Management instance) and `checkUrl` (where the pipeline
    // checks the region: its gateway, since with private networking the app's host answers only the
    // gateway's subnet); the others are unchanged.
    expect(Object.keys(apps[0]!).sort()).toEqual(['checkUrl', 'gateway', 'name', 'origin', 'region', 'resourceGroup', 'url']);
    expect(apps.map((a) => sampleOf(a.checkUrl ?? null))).toEqual(
      apps.map((a) => `https://${sampleOf(a.gateway ?? null)}.azure-api.net`),
    );
    // The profile's id each gateway requires (read from the profile by the gateway module).
    expect((d.main.output('AZURE_FRONT_DOOR_ID') as Unknown).text).toMatch(
      /^reference\(frontDoorProfileResourceId, '[\d-]+'\)\.frontDoorId$/,
    );
    expect(d.main.output('AZURE_FRONT_DOOR_PROFILE')).toBe('afd-algesta-prod');
    expect(d.main.output('AZURE_FRONT_DOOR_RESOURCE_GROUP')).toBe('rg-algesta-prod-centralus');
    expect(d.main.output('AZURE_FRONT_DOOR_ORIGIN_GROUP')).toBe('api');
    expect(d.main.output('AZURE_FRONT_DOOR_ENDPOINT')).toBe('algesta-prod');
    expect(sampleOf(d.main.output('AZURE_FRONT_DOOR_URL'))).toMatch(/^https:\/\//);
    // The single-app outputs azd and the existing checks read stay the primary's.
    expect(sampleOf(d.main.output('AZURE_FUNCTION_APP_NAME'))).toBe(sampleOf(regions[0]!.site.params.name ?? null));
  });

  it('dev: one app, no origin, no Front Door', () => {
    const d = Deployment.of(project, 'dev');
    const apps = d.main.output('AZURE_FUNCTION_APPS') as BicepObject[];
    expect(apps.map((a) => [a.resourceGroup, a.region, a.origin])).toEqual([['rg-algesta-dev', 'eastus2', '']]);
    // No gateway: checked at the app's own URL.
    expect(apps.map((a) => (a.checkUrl as Unknown).text)).toEqual([(apps[0]!.url as Unknown).text]);
    for (const name of ['PROFILE', 'RESOURCE_GROUP', 'ORIGIN_GROUP', 'ENDPOINT', 'URL', 'ID'])
      expect(d.main.output(`AZURE_FRONT_DOOR_${name}`), name).toBe('');
  });
});
