/**
 * The production posture of issue 23 as the contract tests see it: availability zones for the Flex
 * plans, Cosmos DB and Service Bus; warm HTTP instances; the Cosmos DB restore window; the Cosmos DB
 * data-plane logs. Read from what each environment's parameter file makes of main.bicep and its
 * modules, so a change to either the parameters or the Bicep that drops one of them is named.
 *
 * Sources (docs/infrastructure.md, "Production posture", has the decisions and costs):
 * - Flex zone redundancy, its storage prerequisite and its always-ready minimum:
 *   https://learn.microsoft.com/azure/reliability/reliability-functions?pivots=flex-consumption-plan
 * - always-ready groups (`http`, `durable`, `blob`, `function:<name>`):
 *   https://learn.microsoft.com/azure/azure-functions/flex-consumption-how-to#set-always-ready-instance-counts
 * - Cosmos DB zone redundancy per location: https://learn.microsoft.com/azure/reliability/reliability-cosmos-db
 * - Service Bus zone redundancy in every region with availability zones:
 *   https://learn.microsoft.com/azure/reliability/reliability-service-bus
 * - Cosmos DB resource logs in resource-specific tables: https://learn.microsoft.com/azure/cosmos-db/monitor-resource-logs
 */
import type { ModuleInstance, Value } from './evaluate';
import { isObject, sampleOf } from './evaluate';
import { type Deployment, get } from './infra';
import { registryModulesIn } from './regions';

/**
 * Regions this project has checked to have availability zones (learn.microsoft.com/azure/reliability/
 * regions-list: "East US 2" and "Central US" both have them). A region not listed must be checked
 * there, and added, before production may use it: the check below names it otherwise.
 */
export const AVAILABILITY_ZONE_REGIONS: ReadonlySet<string> = new Set(['eastus2', 'centralus']);

/** The Cosmos DB data-plane log categories production sends, and the resource-specific table of each. */
export const COSMOS_DATA_PLANE_LOGS = {
  DataPlaneRequests: 'CDBDataPlaneRequests',
  QueryRuntimeStatistics: 'CDBQueryRuntimeStatistics',
  PartitionKeyRUConsumption: 'CDBPartitionKeyRUConsumption',
} as const;

/** The expression main.bicep passes for the primary region's Log Analytics workspace. */
export const PRIMARY_WORKSPACE = 'monitoring.outputs.workspaceResourceId';

/** The HTTP functions' always-ready group (flex-consumption-how-to, "Set always ready instance counts"). */
const HTTP_GROUP = 'http';

export interface RegionPosture {
  readonly location: string;
  /** The Flex plan's zoneRedundant as the serverfarm module is given it. */
  readonly planZoneRedundant: Value | undefined;
  /** Always-ready instances of the `http` group (0 when none is named). */
  readonly alwaysReadyHttp: number;
  readonly hostStorageSkuName: Value | undefined;
}

export interface CosmosPosture {
  /** Each location of the account, zone-redundant as the AVM module would write it. */
  readonly locations: { readonly name: string; readonly zoneRedundant: Value | undefined }[];
  readonly backupTier: Value | undefined;
  /** Each diagnostic setting: its destination type, categories and workspace expression in main.bicep. */
  readonly diagnostics: {
    readonly destinationType: Value | undefined;
    readonly categories: string[];
  }[];
  /** What main.bicep passes as the account's workspace (a Bicep expression). */
  readonly workspace: string | undefined;
}

export interface ServiceBusPosture {
  readonly location: string;
  readonly sku: Value | undefined;
  readonly zoneRedundant: Value | undefined;
}

export interface Posture {
  readonly regions: RegionPosture[];
  readonly cosmos: CosmosPosture;
  readonly serviceBus: ServiceBusPosture[];
}

function locationOf(m: ModuleInstance): string {
  return sampleOf(m.params.location ?? null) ?? String(m.params.location);
}

function alwaysReadyHttp(site: ModuleInstance): number {
  const groups = get(site.params, 'functionAppConfig', 'scaleAndConcurrency', 'alwaysReady');
  if (!Array.isArray(groups)) return 0;
  const http = groups.find((g) => isObject(g) && g.name === HTTP_GROUP);
  return isObject(http) && typeof http.instanceCount === 'number' ? http.instanceCount : 0;
}

/**
 * The account's locations as avm/res/document-db/database-account 0.20.1 writes them: its
 * `failoverLocations` (each `isZoneRedundant` defaulting to true) when given, otherwise the one
 * location with the module's `zoneRedundant`.
 */
function cosmosLocations(params: Record<string, Value>): CosmosPosture['locations'] {
  const failover = params.failoverLocations;
  if (Array.isArray(failover) && failover.length > 0)
    return failover.filter(isObject).map((l) => ({
      name: String(l.locationName),
      zoneRedundant: l.isZoneRedundant === undefined ? true : l.isZoneRedundant,
    }));
  return [{ name: sampleOf(params.location ?? null) ?? '', zoneRedundant: params.zoneRedundant }];
}

/** The right-hand side of `name:` in a module call's Bicep text. */
function argumentText(call: ModuleInstance | undefined, name: string): string | undefined {
  const m = call && new RegExp(`\\b${name}:\\s*([^\\s]+)`).exec(call.node.text);
  return m?.[1];
}

export function postureOf(d: Deployment): Posture {
  const regions = d.regions().map((region) => {
    const [plan, ...more] = registryModulesIn(region.call, 'avm/res/web/serverfarm');
    if (!plan || more.length > 0) throw new Error(`${d.environment} ${region.symbol}: expected one Flex plan`);
    return {
      location: String(region.location),
      planZoneRedundant: plan.params.zoneRedundant,
      alwaysReadyHttp: alwaysReadyHttp(region.site),
      hostStorageSkuName: region.call.params.hostStorageSkuName,
    };
  });
  const account = d.registryModule('avm/res/document-db/database-account').params;
  const settings = Array.isArray(account.diagnosticSettings) ? account.diagnosticSettings.filter(isObject) : [];
  const cosmos: CosmosPosture = {
    locations: cosmosLocations(account),
    backupTier: account.backupPolicyContinuousTier,
    diagnostics: settings.map((s) => ({
      destinationType: s.logAnalyticsDestinationType,
      categories: (Array.isArray(s.logCategoriesAndGroups) ? s.logCategoriesAndGroups : [])
        .filter(isObject)
        .map((c) => String(c.category ?? c.categoryGroup)),
    })),
    workspace: argumentText(
      d.main.modules().find((m) => m.path === 'modules/cosmos.bicep'),
      'logAnalyticsWorkspaceId',
    ),
  };
  const serviceBus = d.serviceBusNamespaces().map((n) => ({
    location: locationOf(n),
    sku: get(n.params, 'skuObject', 'name'),
    zoneRedundant: n.params.zoneRedundant,
  }));
  return { regions, cosmos, serviceBus };
}

const zoneRegion = (what: string, location: string): string[] =>
  AVAILABILITY_ZONE_REGIONS.has(location)
    ? []
    : [`${what} in ${location}: not a region this project has checked to have availability zones`];

/** Rules of the parameters in any environment (ARM refuses the first; the second is Microsoft's prerequisite). */
export function postureParameterProblems(d: Deployment): string[] {
  return postureOf(d).regions.flatMap((r) => {
    if (r.planZoneRedundant !== true) return [];
    const problems: string[] = [];
    if (r.alwaysReadyHttp === 1)
      problems.push(
        `${d.environment} ${r.location}: a zone-redundant plan takes 0 (the platform's 2) or at least 2 always-ready instances per group, not 1`,
      );
    if (r.hostStorageSkuName !== 'Standard_ZRS')
      problems.push(
        `${d.environment} ${r.location}: a zone-redundant plan needs zone-redundant host storage (Standard_ZRS), not ${String(r.hostStorageSkuName)}`,
      );
    return problems;
  });
}

/** What production must have: every region zone-redundant and warm, 30 days of restore, data-plane logs. */
export function productionPostureProblems(d: Deployment): string[] {
  const p = postureOf(d);
  const problems: string[] = [];
  for (const r of p.regions) {
    if (r.planZoneRedundant !== true) problems.push(`Flex plan in ${r.location}: not zone-redundant`);
    problems.push(...zoneRegion('Flex plan', r.location));
    if (r.alwaysReadyHttp < 2)
      problems.push(`Function App in ${r.location}: ${r.alwaysReadyHttp} always-ready HTTP instance(s), fewer than 2`);
  }
  for (const l of p.cosmos.locations) {
    if (l.zoneRedundant !== true) problems.push(`Cosmos DB location ${l.name}: not zone-redundant`);
    problems.push(...zoneRegion('Cosmos DB location', l.name));
  }
  if (p.cosmos.backupTier !== 'Continuous30Days')
    problems.push(`Cosmos DB continuous backup: ${String(p.cosmos.backupTier)}, not Continuous30Days`);
  const wanted = Object.keys(COSMOS_DATA_PLANE_LOGS);
  const logs = p.cosmos.diagnostics.find((s) => wanted.every((c) => s.categories.includes(c)));
  if (!logs) problems.push(`Cosmos DB diagnostic settings: no setting sends ${wanted.join(', ')}`);
  else if (logs.destinationType !== 'Dedicated')
    problems.push(
      `Cosmos DB data-plane logs: destination type ${String(logs.destinationType)}, not Dedicated (resource-specific tables)`,
    );
  if (p.cosmos.workspace !== PRIMARY_WORKSPACE)
    problems.push(
      `Cosmos DB logs go to ${String(p.cosmos.workspace)}, not the primary region's workspace (${PRIMARY_WORKSPACE})`,
    );
  for (const n of p.serviceBus) {
    if (n.sku !== 'Premium') problems.push(`Service Bus namespace in ${n.location}: ${String(n.sku)}, not Premium`);
    if (n.zoneRedundant !== true) problems.push(`Service Bus namespace in ${n.location}: zoneRedundant is not true`);
    problems.push(...zoneRegion('Service Bus namespace', n.location));
  }
  return problems;
}

/** What dev (and staging) must not pay for: zones on the plan, warm instances, 30-day backups, data-plane logs. */
export function cheapPostureProblems(d: Deployment): string[] {
  const p = postureOf(d);
  const problems: string[] = [];
  for (const r of p.regions) {
    if (r.planZoneRedundant !== false) problems.push(`Flex plan in ${r.location}: zone-redundant`);
    if (r.alwaysReadyHttp !== 0)
      problems.push(`Function App in ${r.location}: ${r.alwaysReadyHttp} always-ready HTTP instance(s)`);
  }
  if (p.cosmos.backupTier !== 'Continuous7Days')
    problems.push(`Cosmos DB continuous backup: ${String(p.cosmos.backupTier)}, not Continuous7Days`);
  const dataPlane = p.cosmos.diagnostics.flatMap((s) => s.categories.filter((c) => c in COSMOS_DATA_PLANE_LOGS));
  if (dataPlane.length > 0) problems.push(`Cosmos DB data-plane logs on: ${dataPlane.join(', ')}`);
  return problems;
}

/** A registered function as far as per-function scaling cares: its name and trigger type. */
export interface TriggeredFunction {
  readonly name: string;
  readonly type: string;
  /** For a blob trigger: `EventGrid` when it is Event Grid based (the only kind Flex Consumption runs). */
  readonly source?: string;
}

const DURABLE_TRIGGERS = new Set(['orchestrationTrigger', 'activityTrigger', 'entityTrigger']);

/**
 * The per-function scaling groups of an app on Flex Consumption: all HTTP functions together
 * (`http`), all Durable ones (`durable`), all Event Grid blob ones (`blob`), every other function on
 * its own (`function:<name>`) (flex-consumption-plan#per-function-scaling; the names:
 * flex-consumption-how-to#set-always-ready-instance-counts). A zone-redundant plan keeps two
 * always-ready instances of each.
 */
export function perFunctionScalingGroups(functions: readonly TriggeredFunction[]): string[] {
  const group = (f: TriggeredFunction): string =>
    f.type === 'httpTrigger'
      ? 'http'
      : DURABLE_TRIGGERS.has(f.type)
        ? 'durable'
        : f.type === 'blobTrigger' && f.source === 'EventGrid'
          ? 'blob'
          : `function:${f.name}`;
  return [...new Set(functions.map(group))].sort();
}

/** GB-s of always-ready baseline a month (730 h) for `instances` instances of `memoryMB`. */
export function alwaysReadyBaselineGbSeconds(instances: number, memoryMB: number): number {
  return instances * (memoryMB / 1024) * 730 * 3600;
}

/**
 * Where the written cost of zone redundancy disagrees with the app: the group count and the GB-s
 * figure, in docs/infrastructure.md, main.bicep and prod.bicepparam.
 */
export function zoneCostTextProblems(groups: number, memoryMB: number, texts: Readonly<Record<string, string>>): string[] {
  const gbs = alwaysReadyBaselineGbSeconds(groups * 2, memoryMB).toLocaleString('en-US');
  const wanted: Record<string, string[]> = {
    'docs/infrastructure.md': [`today **${groups} groups**`, `**${gbs} GB-s**`],
    'infra/main.bicep': [`${groups} groups x 2 x ${memoryMB / 1024} GB x 2,628,000 s = ${gbs} GB-s`],
    'infra/env/prod.bicepparam': [`${gbs} GB-s`],
  };
  return Object.entries(wanted).flatMap(([file, phrases]) =>
    phrases.filter((p) => !(texts[file] ?? '').includes(p)).map((p) => `${file} does not say "${p}"`),
  );
}
