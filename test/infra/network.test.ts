/**
 * The private inside of issue 24 (item 3, tested as item 4 asks): with `privateNetworking` (prod)
 * every data resource is reachable only through private endpoints in its region's network, with a DNS
 * zone group to the right privatelink zone, the app is integrated into its snet-app and accepts
 * requests only from its region's gateway subnet, and every subnet has a network security group;
 * without it (dev, staging) none of it is deployed and public access stays as it was.
 *
 * The fixture cases change one file's text in memory (never infra/ on disk) and expect the check to
 * name the change: a check that passed them would pass a public production.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { INFRA } from './support/bicep';
import { type Project, type Value, sampleOf } from './support/evaluate';
import { Deployment, ENVIRONMENTS, loadProject } from './support/infra';
import { PRIVATE_DNS_ZONES, SUBNETS, cidrRange, networks, openProblems, privateProblems } from './support/network';

let project: Project;
beforeAll(async () => {
  project = await loadProject();
});

/** The prod deployment with one infra file's text changed in memory. */
async function prodWith(file: string, from: string, to: string): Promise<Deployment> {
  const path = join(INFRA, file);
  const original = readFileSync(path, 'utf8');
  expect(original.split(from).length - 1, `${file} must contain the fixture's text exactly once`).toBe(1);
  return Deployment.of(await loadProject({ [path]: original.replace(from, to) }), 'prod');
}

/**
 * What keeps the pipeline and the probes from reaching a privately networked deployment: with private
 * networking the app's own host answers only its region's snet-gateway, so every region needs a gateway
 * (rollout.ts, verify-version.ts and the availability tests check each region through it), in the tier
 * with outbound virtual network integration (Standard v2; Basic v2 has none:
 * learn.microsoft.com/azure/api-management/api-management-features), and the gateway exists only with
 * a second region (main.bicep: it accepts only the Front Door profile's requests).
 */
function pathProblems(d: Deployment): string[] {
  if (d.main.symbol('privateNetworking') !== true) return [];
  const problems: string[] = [];
  const sku = d.main.symbol('gatewaySkuName');
  if (sku !== 'StandardV2')
    problems.push(
      `privateNetworking needs the gateway in StandardV2 (outbound virtual network integration), gatewaySkuName is '${String(sku)}'`,
    );
  if (!sampleOf(d.main.symbol('secondaryLocation') ?? null))
    problems.push('privateNetworking needs a second region (the gateway is only made behind Front Door)');
  const gateways = d
    .modules()
    .filter((m) => m.path === 'modules/gateway.bicep')
    .map((m) => m.params.location);
  for (const r of d.regions())
    if (!gateways.includes(r.location)) problems.push(`${r.location}: no gateway, so nothing can reach its app`);
  return problems;
}

describe("the pipeline's path with private networking (through each region's gateway)", () => {
  it.each(ENVIRONMENTS)('%s: a privately networked deployment has a Standard v2 gateway in each of two regions', (env) => {
    expect(pathProblems(Deployment.of(project, env))).toEqual([]);
  });

  it.each(['BasicV2', ''])("fixture: prod with gatewaySkuName '%s' fails, naming it", async (sku) => {
    const d = await prodWith('env/prod.bicepparam', "param gatewaySkuName = 'StandardV2'", `param gatewaySkuName = '${sku}'`);
    const problems = pathProblems(d);
    expect(problems[0]).toBe(
      `privateNetworking needs the gateway in StandardV2 (outbound virtual network integration), gatewaySkuName is '${sku}'`,
    );
    // Without a gateway, no region can be reached at all.
    if (sku === '')
      expect(problems.slice(1)).toEqual([
        'eastus2: no gateway, so nothing can reach its app',
        'centralus: no gateway, so nothing can reach its app',
      ]);
  });
});

describe('private networking by environment', () => {
  it.each(ENVIRONMENTS)('%s: privateNetworking is on in prod only, and only with Service Bus Premium', (env) => {
    const d = Deployment.of(project, env);
    const on = d.main.symbol('privateNetworking');
    expect(on).toBe(env === 'prod');
    if (on === true) expect(d.main.symbol('serviceBusSkuName')).toBe('Premium');
  });

  it('prod: every data resource is private, the app is integrated and accepts only its gateway', () => {
    const d = Deployment.of(project, 'prod');
    expect(networks(d).map((n) => n.location)).toEqual(['eastus2', 'centralus']);
    expect(privateProblems(d)).toEqual([]);
  });

  it.each(['dev', 'staging'] as const)('%s: no network, public access as before, and it still evaluates', (env) => {
    const d = Deployment.of(project, env);
    expect(d.main.parameterProblems()).toEqual([]);
    expect(openProblems(d)).toEqual([]);
    expect(privateProblems(d)).not.toEqual([]);
  });

  it('prod: each region has its own zones for every sub-resource the app reaches', () => {
    const d = Deployment.of(project, 'prod');
    for (const net of networks(d)) {
      const zones = net.call
        .child!.modules()
        .filter((m) => m.path.startsWith('br/public:avm/res/network/private-dns-zone:'))
        .map((m) => m.params.name);
      expect(zones.sort()).toEqual(Object.values(PRIVATE_DNS_ZONES).sort());
    }
    expect(Object.keys(SUBNETS)).toEqual(['snet-app', 'snet-private-endpoints', 'snet-gateway']);
  });

  it("the network module's outputs (the gateway takes its subnet from them) name its region's network", () => {
    const prod = Deployment.of(project, 'prod');
    for (const net of networks(prod)) {
      const output = (name: string) => sampleOf(net.call.child!.output(name)) ?? '';
      const vnet = `/providers/Microsoft.Network/virtualNetworks/${net.vnetName}`;
      expect(output('vnetResourceId')).toMatch(new RegExp(`${vnet}$`));
      expect(output('appSubnetResourceId')).toMatch(new RegExp(`${vnet}/subnets/snet-app$`));
      expect(output('privateEndpointSubnetResourceId')).toMatch(new RegExp(`${vnet}/subnets/snet-private-endpoints$`));
      expect(output('gatewaySubnetResourceId')).toMatch(new RegExp(`${vnet}/subnets/snet-gateway$`));
    }
    const gateways = (d: Deployment) => {
      const ids = d.main.symbol('gatewaySubnetResourceIds') as Record<string, Value>;
      return [sampleOf(ids.primary!), sampleOf(ids.secondary!)];
    };
    expect(gateways(prod)).toEqual([
      expect.stringMatching(/vnet-algesta-prod-eastus2\/subnets\/snet-gateway$/),
      expect.stringMatching(/vnet-algesta-prod-centralus\/subnets\/snet-gateway$/),
    ]);
    expect(gateways(Deployment.of(project, 'dev'))).toEqual(['', '']);
  });

  it('the address helper reads CIDR ranges', () => {
    expect(cidrRange('10.40.1.0/24')).toEqual([(10 * 256 + 40) * 65536 + 256, (10 * 256 + 40) * 65536 + 511]);
    expect(() => cidrRange('10.40.1.0')).toThrow();
  });
});

describe('the private-networking check fails on a change that opens prod (fixtures)', () => {
  it('Cosmos DB with public access', async () => {
    const d = await prodWith(
      'modules/cosmos.bicep',
      "publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'",
      "publicNetworkAccess: 'Enabled'",
    );
    expect(privateProblems(d)).toEqual(['Cosmos DB: public network access is not Disabled']);
  });

  it("Key Vault's firewall allowing by default", async () => {
    const d = await prodWith(
      'modules/keyvault.bicep',
      "defaultAction: privateNetworking ? 'Deny' : 'Allow'",
      "defaultAction: 'Allow'",
    );
    expect(privateProblems(d)).toEqual(["Key Vault: the firewall's default action is not Deny"]);
  });

  it("a Service Bus namespace's network rule set left open", async () => {
    const d = await prodWith(
      'modules/servicebus.bicep',
      "          publicNetworkAccess: 'Disabled'\n",
      "          publicNetworkAccess: 'Enabled'\n",
    );
    expect(privateProblems(d)).toEqual([
      expect.stringMatching(/^Service Bus .*: its network rule set does not disable public access$/),
      expect.stringMatching(/^Service Bus .*: its network rule set does not disable public access$/),
    ]);
  });

  it('the Geo-DR secondary namespace without its endpoints', async () => {
    const d = await prodWith(
      'main.bicep',
      "privateEndpoints: privateEndpointsOf(privateNetworks, secondaryNames.serviceBus, 'namespace', 'serviceBus')",
      'privateEndpoints: []',
    );
    expect(privateProblems(d)).toEqual([
      expect.stringMatching(/^Service Bus .*: 0 private endpoints for namespace in eastus2's snet-private-endpoints, not 1$/),
      expect.stringMatching(/^Service Bus .*: 0 private endpoints for namespace in centralus's snet-private-endpoints, not 1$/),
    ]);
  });

  it("a host account's table endpoint removed", async () => {
    const d = await prodWith('modules/region.bicep', "map(['blob', 'queue', 'table'], service", "map(['blob', 'queue'], service");
    expect(privateProblems(d)).toEqual([
      "host storage eastus2: 0 private endpoints for table in eastus2's snet-private-endpoints, not 1",
      "host storage centralus: 0 private endpoints for table in centralus's snet-private-endpoints, not 1",
    ]);
  });

  it('a DNS zone group to the wrong zone', async () => {
    const d = await prodWith('main.bicep', "names.cosmos, 'Sql', 'cosmosSql'", "names.cosmos, 'Sql', 'blob'");
    expect(privateProblems(d)).toEqual([
      'Cosmos DB: the Sql endpoint in eastus2 has no DNS zone group to privatelink.documents.azure.com',
      'Cosmos DB: the Sql endpoint in centralus has no DNS zone group to privatelink.documents.azure.com',
    ]);
  });

  it('a subnet without its network security group', async () => {
    const d = await prodWith(
      'modules/network.bicep',
      '        networkSecurityGroupResourceId: gatewayNsg.outputs.resourceId\n',
      '',
    );
    expect(privateProblems(d)).toEqual([
      'eastus2 snet-gateway: no network security group',
      'centralus snet-gateway: no network security group',
    ]);
  });

  it('the app subnet delegated to another service', async () => {
    const d = await prodWith(
      'modules/network.bicep',
      "delegation: 'Microsoft.App/environments'",
      "delegation: 'Microsoft.Web/serverFarms'",
    );
    expect(privateProblems(d)).toEqual([
      'eastus2 snet-app: delegated to Microsoft.Web/serverFarms, not Microsoft.App/environments',
      'centralus snet-app: delegated to Microsoft.Web/serverFarms, not Microsoft.App/environments',
    ]);
  });

  it('the app not integrated into its subnet', async () => {
    const d = await prodWith(
      'modules/functionapp.bicep',
      'virtualNetworkSubnetResourceId: privateNetworking ? virtualNetworkSubnetResourceId : null',
      'virtualNetworkSubnetResourceId: null',
    );
    expect(privateProblems(d)).toEqual([
      'app eastus2: not integrated into vnet-algesta-prod-eastus2/snet-app',
      'app centralus: not integrated into vnet-algesta-prod-centralus/snet-app',
    ]);
  });

  it("the app's inbound open to the internet", async () => {
    const d = await prodWith(
      'modules/functionapp.bicep',
      "ipSecurityRestrictionsDefaultAction: inboundRestricted ? 'Deny' : 'Allow'",
      "ipSecurityRestrictionsDefaultAction: 'Allow'",
    );
    expect(privateProblems(d)).toEqual([
      'app eastus2: inbound not denied by default',
      'app centralus: inbound not denied by default',
    ]);
  });

  it("the app's access rule naming the private-endpoint subnet instead of the gateway's", async () => {
    const d = await prodWith(
      'modules/region.bicep',
      'inboundSubnetResourceId: gatewaySubnetResourceId',
      'inboundSubnetResourceId: privateEndpointSubnetResourceId',
    );
    expect(privateProblems(d)).toEqual([
      expect.stringMatching(/^app eastus2: inbound allowed from .*snet-private-endpoints.*, not only its gateway subnet$/),
      expect.stringMatching(/^app centralus: inbound allowed from .*snet-private-endpoints.*, not only its gateway subnet$/),
    ]);
  });

  it("overlapping regions' address spaces", async () => {
    const d = await prodWith('env/prod.bicepparam', "    vnet: '10.41.0.0/22'", "    vnet: '10.40.0.0/22'");
    expect(privateProblems(d)).toEqual([
      "centralus snet-app: 10.41.0.0/24 is outside the network's 10.40.0.0/22",
      "centralus snet-private-endpoints: 10.41.1.0/24 is outside the network's 10.40.0.0/22",
      "centralus snet-gateway: 10.41.2.0/24 is outside the network's 10.40.0.0/22",
      'the networks of eastus2 (10.40.0.0/22) and centralus (10.40.0.0/22) overlap',
    ]);
  });

  it('dev: the check without private networking names a data resource made private', async () => {
    const path = join(INFRA, 'modules/keyvault.bicep');
    const original = readFileSync(path, 'utf8');
    const changed = original.replace(
      "publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'",
      "publicNetworkAccess: 'Disabled'",
    );
    expect(changed).not.toBe(original);
    const d = Deployment.of(await loadProject({ [path]: changed }), 'dev');
    expect(openProblems(d)).toEqual(['infra/modules/keyvault.bicep vault: public network access Disabled']);
  });
});
