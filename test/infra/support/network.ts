/**
 * The private inside of issue 24, as the contract tests read it from a deployment: each region's
 * network (modules/network.bicep), the data resources' public access and private endpoints (the AVM
 * modules' own `privateEndpoints` parameters), and the Function App's integration and inbound rules.
 * `privateProblems` lists what keeps a deployment with `privateNetworking` from being private;
 * `openProblems` what a deployment without it would deploy of the network anyway.
 */
import { type BicepObject, type ModuleInstance, type Value, isObject, sampleOf } from './evaluate';
import type { Deployment } from './infra';

/** The zone each private endpoint's DNS zone group must write to, by sub-resource (group ID). */
export const PRIVATE_DNS_ZONES: Readonly<Record<string, string>> = {
  Sql: 'privatelink.documents.azure.com',
  blob: 'privatelink.blob.core.windows.net',
  queue: 'privatelink.queue.core.windows.net',
  table: 'privatelink.table.core.windows.net',
  vault: 'privatelink.vaultcore.azure.net',
  namespace: 'privatelink.servicebus.windows.net',
};

/** Subnets every region's network has, with the delegation Microsoft documents for each (network.bicep). */
export const SUBNETS: Readonly<Record<string, string | undefined>> = {
  'snet-app': 'Microsoft.App/environments',
  'snet-private-endpoints': undefined,
  'snet-gateway': 'Microsoft.Web/serverFarms',
};

/**
 * The one data resource that keeps a public endpoint with private networking, and why: browsers
 * upload and download files straight from it with single-blob SAS URLs (docs/files.md); the app itself
 * reaches it through its private endpoints.
 */
export const PUBLIC_BY_DESIGN = { files: 'browsers use single-blob SAS URLs on its public endpoint' } as const;

interface RegionNetwork {
  readonly location: string;
  readonly vnetName: string;
  readonly call: ModuleInstance;
}

const text = (v: Value | undefined): string => (v === undefined ? '' : (sampleOf(v) ?? ''));
const subnetId = (net: RegionNetwork, subnet: string) => `/virtualNetworks/${net.vnetName}/subnets/${subnet}`;

/** main.bicep's deployed calls of modules/network.bicep, one per region. */
export function networks(d: Deployment): RegionNetwork[] {
  return d.main
    .modules()
    .filter((m) => m.path === 'modules/network.bicep' && m.condition !== false)
    .map((call) => ({ location: String(call.params.location), vnetName: String(call.params.vnetName), call }));
}

/** The regions' locations, primary first. */
function regionLocations(d: Deployment): string[] {
  return d.regions().map((r) => String(r.location));
}

/** [first, last] address of an IPv4 CIDR range, as numbers. */
export function cidrRange(cidr: string): [number, number] {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error(`not an IPv4 CIDR range: ${cidr}`);
  const start = m.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(m[5]));
  return [start - (start % size), start - (start % size) + size - 1];
}

const overlaps = (a: string, b: string) => {
  const [a0, a1] = cidrRange(a);
  const [b0, b1] = cidrRange(b);
  return a0 <= b1 && b0 <= a1;
};
const inside = (inner: string, outer: string) => {
  const [i0, i1] = cidrRange(inner);
  const [o0, o1] = cidrRange(outer);
  return o0 <= i0 && i1 <= o1;
};

/** Subnets, their security groups and delegations, the address plan and the zones of each region's network. */
function networkProblems(nets: readonly RegionNetwork[]): string[] {
  const problems: string[] = [];
  for (const net of nets) {
    const modules = net.call.child!.modules().filter((m) => m.condition !== false);
    const vnet = modules.find((m) => m.path.startsWith('br/public:avm/res/network/virtual-network:'));
    if (!vnet) {
      problems.push(`${net.location}: no virtual network`);
      continue;
    }
    const space = vnet.params.addressPrefixes;
    const subnets = Array.isArray(vnet.params.subnets) ? vnet.params.subnets.filter(isObject) : [];
    for (const [name, delegation] of Object.entries(SUBNETS)) {
      const subnet = subnets.find((s) => s.name === name);
      if (!subnet) {
        problems.push(`${net.location}: no subnet ${name}`);
        continue;
      }
      if (subnet.networkSecurityGroupResourceId == null) problems.push(`${net.location} ${name}: no network security group`);
      if ((subnet.delegation ?? undefined) !== delegation)
        problems.push(`${net.location} ${name}: delegated to ${String(subnet.delegation)}, not ${String(delegation)}`);
      if (Array.isArray(space) && typeof space[0] === 'string' && !inside(String(subnet.addressPrefix), space[0]))
        problems.push(`${net.location} ${name}: ${String(subnet.addressPrefix)} is outside the network's ${space[0]}`);
    }
    for (const [i, a] of subnets.entries())
      for (const b of subnets.slice(i + 1))
        if (overlaps(String(a.addressPrefix), String(b.addressPrefix)))
          problems.push(`${net.location}: subnets ${String(a.name)} and ${String(b.name)} overlap`);
    const gateway = subnets.find((s) => s.name === 'snet-gateway');
    if (gateway && !(Array.isArray(gateway.serviceEndpoints) && gateway.serviceEndpoints.includes('Microsoft.Web')))
      problems.push(`${net.location} snet-gateway: no Microsoft.Web service endpoint (the app's access rule names it)`);
    const zones = modules.filter((m) => m.path.startsWith('br/public:avm/res/network/private-dns-zone:'));
    for (const zone of Object.values(PRIVATE_DNS_ZONES)) {
      const found = zones.find((z) => z.params.name === zone);
      const links = found && Array.isArray(found.params.virtualNetworkLinks) ? found.params.virtualNetworkLinks : [];
      if (!found) problems.push(`${net.location}: no private DNS zone ${zone}`);
      else if (links.length === 0) problems.push(`${net.location}: ${zone} is linked to no network`);
    }
  }
  for (const [i, a] of nets.entries())
    for (const b of nets.slice(i + 1)) {
      const [sa, sb] = [a, b].map((n) => {
        const vnet = n.call.child!.modules().find((m) => m.path.startsWith('br/public:avm/res/network/virtual-network:'));
        return Array.isArray(vnet?.params.addressPrefixes) ? String(vnet.params.addressPrefixes[0]) : '';
      });
      if (sa && sb && overlaps(sa, sb)) problems.push(`the networks of ${a.location} (${sa}) and ${b.location} (${sb}) overlap`);
    }
  return problems;
}

/**
 * A resource's private endpoints: for each network in `nets`, exactly one of each service in that
 * network's snet-private-endpoints, with a DNS zone group to the service's privatelink zone.
 */
function endpointProblems(
  what: string,
  params: BicepObject,
  services: readonly string[],
  nets: readonly RegionNetwork[],
): string[] {
  const problems: string[] = [];
  const endpoints = Array.isArray(params.privateEndpoints) ? params.privateEndpoints.filter(isObject) : [];
  for (const net of nets)
    for (const service of services) {
      const here = endpoints.filter(
        (e) => e.service === service && text(e.subnetResourceId).endsWith(subnetId(net, 'snet-private-endpoints')),
      );
      if (here.length !== 1) {
        problems.push(
          `${what}: ${here.length} private endpoints for ${service} in ${net.location}'s snet-private-endpoints, not 1`,
        );
        continue;
      }
      const endpoint = here[0]!;
      if (endpoint.location !== undefined && endpoint.location !== net.location)
        problems.push(`${what}: the ${service} endpoint in ${net.location}'s network is placed in ${String(endpoint.location)}`);
      const configs = isObject(endpoint.privateDnsZoneGroup)
        ? endpoint.privateDnsZoneGroup.privateDnsZoneGroupConfigs
        : undefined;
      const zones = Array.isArray(configs) ? configs.filter(isObject).map((c) => text(c.privateDnsZoneResourceId)) : [];
      if (!zones.some((z) => z.endsWith(`/privateDnsZones/${PRIVATE_DNS_ZONES[service]}`)))
        problems.push(
          `${what}: the ${service} endpoint in ${net.location} has no DNS zone group to ${PRIVATE_DNS_ZONES[service]}`,
        );
    }
  return problems;
}

const storageModulesIn = (call: ModuleInstance | undefined) =>
  call?.child?.modules().filter((m) => m.path.startsWith('br/public:avm/res/storage/storage-account:')) ?? [];

/** What keeps a deployment with private networking from being private; [] when nothing does. */
export function privateProblems(d: Deployment): string[] {
  const nets = networks(d);
  const locations = regionLocations(d);
  const problems: string[] = [];
  const missing = locations.filter((l) => !nets.some((n) => n.location === l));
  if (missing.length > 0) return [`no network in ${missing.join(', ')}`];
  problems.push(...networkProblems(nets));

  const cosmos = d.registryModule('avm/res/document-db/database-account').params;
  if (!isObject(cosmos.networkRestrictions) || cosmos.networkRestrictions.publicNetworkAccess !== 'Disabled')
    problems.push('Cosmos DB: public network access is not Disabled');
  problems.push(...endpointProblems('Cosmos DB', cosmos, ['Sql'], nets));

  const vault = d.registryModule('avm/res/key-vault/vault').params;
  if (vault.publicNetworkAccess !== 'Disabled') problems.push('Key Vault: public network access is not Disabled');
  if (!isObject(vault.networkAcls) || vault.networkAcls.defaultAction !== 'Deny')
    problems.push("Key Vault: the firewall's default action is not Deny");
  problems.push(...endpointProblems('Key Vault', vault, ['vault'], nets));

  for (const ns of d.serviceBusNamespaces()) {
    const what = `Service Bus ${text(ns.params.name)}`;
    if (!isObject(ns.params.skuObject) || ns.params.skuObject.name !== 'Premium')
      problems.push(`${what}: not Premium (private endpoints need Premium)`);
    if (ns.params.publicNetworkAccess !== 'Disabled') problems.push(`${what}: public network access is not Disabled`);
    if (!isObject(ns.params.networkRuleSets) || ns.params.networkRuleSets.publicNetworkAccess !== 'Disabled')
      problems.push(`${what}: its network rule set does not disable public access`);
    problems.push(...endpointProblems(what, ns.params, ['namespace'], nets));
  }

  const files = d.main.modules().find((m) => m.symbol === 'storage');
  const [filesAccount] = storageModulesIn(files);
  if (!filesAccount) problems.push('no files account');
  else {
    if (filesAccount.params.allowSharedKeyAccess !== false)
      problems.push(`files account: shared keys allowed (its public endpoint is for ${PUBLIC_BY_DESIGN.files} only)`);
    problems.push(...endpointProblems('files account', filesAccount.params, ['blob'], nets));
  }

  for (const region of d.regions()) {
    const location = String(region.location);
    const net = nets.find((n) => n.location === location)!;
    const [host] = storageModulesIn(region.call);
    const what = `host storage ${location}`;
    if (!host) problems.push(`${what}: not found`);
    else {
      if (host.params.publicNetworkAccess !== 'Disabled') problems.push(`${what}: public network access is not Disabled`);
      if (!isObject(host.params.networkAcls) || host.params.networkAcls.defaultAction !== 'Deny')
        problems.push(`${what}: the firewall's default action is not Deny`);
      problems.push(...endpointProblems(what, host.params, ['blob', 'queue', 'table'], [net]));
    }
    const site = region.site.params;
    if (!text(site.virtualNetworkSubnetResourceId).endsWith(subnetId(net, 'snet-app')))
      problems.push(`app ${location}: not integrated into ${net.vnetName}/snet-app`);
    problems.push(...inboundProblems(`app ${location}`, site.siteConfig, subnetId(net, 'snet-gateway')));
  }
  return problems;
}

/** The app's inbound: everything denied but its region's gateway subnet. */
function inboundProblems(what: string, siteConfig: Value | undefined, gatewaySubnet: string): string[] {
  if (!isObject(siteConfig)) return [`${what}: no siteConfig to read`];
  const problems: string[] = [];
  if (siteConfig.ipSecurityRestrictionsDefaultAction !== 'Deny') problems.push(`${what}: inbound not denied by default`);
  const rules = Array.isArray(siteConfig.ipSecurityRestrictions) ? siteConfig.ipSecurityRestrictions.filter(isObject) : [];
  const allows = rules.filter((r) => r.action !== 'Deny');
  if (allows.length !== 1 || !text(allows[0]!.vnetSubnetResourceId).endsWith(gatewaySubnet))
    problems.push(
      `${what}: inbound allowed from ${JSON.stringify(allows.map((r) => text(r.vnetSubnetResourceId) || r.ipAddress || r.tag))}, not only its gateway subnet`,
    );
  return problems;
}

/** What a deployment without private networking would still deploy of it ([] when none of it). */
export function openProblems(d: Deployment): string[] {
  const problems: string[] = [];
  if (networks(d).length > 0) problems.push('a network is deployed');
  for (const name of ['avm/res/network/virtual-network', 'avm/res/network/private-dns-zone'])
    if (d.registryModules(name).length > 0) problems.push(`${name} is deployed`);
  const data = [
    ...d.registryModules('avm/res/document-db/database-account'),
    ...d.registryModules('avm/res/key-vault/vault'),
    ...d.registryModules('avm/res/storage/storage-account'),
    ...d.registryModules('avm/res/service-bus/namespace'),
  ];
  for (const m of data) {
    const what = `${m.instance.file.name} ${m.symbol}`;
    if (Array.isArray(m.params.privateEndpoints) && m.params.privateEndpoints.length > 0)
      problems.push(`${what}: private endpoints`);
    const access = isObject(m.params.networkRestrictions)
      ? m.params.networkRestrictions.publicNetworkAccess
      : m.params.publicNetworkAccess;
    if (access !== 'Enabled') problems.push(`${what}: public network access ${String(access)}`);
  }
  for (const region of d.regions()) {
    if (region.site.params.virtualNetworkSubnetResourceId != null)
      problems.push(`app ${String(region.location)}: integrated into a network`);
    const sc = region.site.params.siteConfig;
    if (!isObject(sc) || sc.ipSecurityRestrictionsDefaultAction !== 'Allow')
      problems.push(`app ${String(region.location)}: inbound restricted`);
  }
  return problems;
}
