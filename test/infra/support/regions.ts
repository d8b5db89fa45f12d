/**
 * The second region (issue 20) as the contract tests see it: what each environment's parameter file
 * makes of main.bicep's `secondaryLocation` and `serviceBusGeoRecovery`, and the rule that the two
 * regions' apps run with the same settings but for the region's own resources.
 */
import { type ModuleInstance, ResourceRef, Unknown, type Value, deepEqual, sampleOf } from './evaluate';
import type { Deployment, RegionApp } from './infra';

/**
 * The settings that name the region's own resources, and may (must) differ between the regions:
 * its host storage, its Application Insights, its name. Any other difference is a region that would
 * behave differently from the other after a failover.
 */
export const REGION_SETTINGS: ReadonlySet<string> = new Set([
  'AzureWebJobsStorage__accountName',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'ALGESTA_REGION',
]);

/** A setting's value as far as it is known before deployment (an unknown by its source and sample). */
function shown(value: Value | undefined): string {
  if (value === undefined) return '(not set)';
  if (value instanceof Unknown) return `<${value.text}${value.sample === undefined ? '' : ` ~ ${value.sample}`}>`;
  return JSON.stringify(value);
}

function same(a: Value | undefined, b: Value | undefined): boolean {
  if (a instanceof Unknown || b instanceof Unknown)
    return a instanceof Unknown && b instanceof Unknown && a.text === b.text && a.sample === b.sample;
  if (a === undefined || b === undefined) return a === b;
  return deepEqual(a, b);
}

/** Every setting that differs between two regions' apps and is not one of REGION_SETTINGS. */
export function settingsDifferences(primary: RegionApp, other: RegionApp): string[] {
  const keys = [...new Set([...Object.keys(primary.settings), ...Object.keys(other.settings)])].sort();
  return keys
    .filter((key) => !REGION_SETTINGS.has(key) && !same(primary.settings[key], other.settings[key]))
    .map(
      (key) =>
        `setting ${key} differs between the regions: ${String(primary.location)} ${shown(primary.settings[key])}, ${String(other.location)} ${shown(other.settings[key])}`,
    );
}

/** The main.bicep parameters of the second region, as the parameter file gives them. */
export function regionParameters(d: Deployment): {
  secondaryLocation: string;
  serviceBusSkuName: string;
  serviceBusGeoRecovery: boolean;
} {
  return {
    secondaryLocation: String(d.main.symbol('secondaryLocation')),
    serviceBusSkuName: String(d.main.symbol('serviceBusSkuName')),
    serviceBusGeoRecovery: d.main.symbol('serviceBusGeoRecovery') === true,
  };
}

/** Parameter combinations ARM would refuse only when it deploys. */
export function parameterProblems(d: Deployment): string[] {
  const p = regionParameters(d);
  const problems: string[] = [];
  if (p.serviceBusGeoRecovery && p.serviceBusSkuName !== 'Premium')
    problems.push(
      `${d.environment}: serviceBusGeoRecovery needs serviceBusSkuName 'Premium' (Geo-DR pairs Premium namespaces only)`,
    );
  if (p.serviceBusGeoRecovery && p.secondaryLocation === '')
    problems.push(`${d.environment}: serviceBusGeoRecovery needs a secondaryLocation for the secondary namespace`);
  if (p.secondaryLocation !== '' && p.secondaryLocation === d.main.symbol('location'))
    problems.push(`${d.environment}: secondaryLocation is the primary location`);
  return problems;
}

/** The resource group (its name) a call of main.bicep is deployed to. */
export function resourceGroupOf(d: Deployment, symbol: string): string | undefined {
  const scope = d.main.modules().find((m) => m.symbol === symbol)?.body.scope;
  return scope instanceof ResourceRef ? sampleOf(scope.resource.body.name ?? null) : undefined;
}

/** The registry modules a call deploys (its own and its local modules', depth first), by AVM name. */
export function registryModulesIn(call: ModuleInstance, name: string): ModuleInstance[] {
  const out: ModuleInstance[] = [];
  const visit = (m: ModuleInstance): void => {
    if (m.condition === false) return;
    if (m.path.startsWith(`br/public:${name}:`)) out.push(m);
    for (const inner of m.child?.modules() ?? []) visit(inner);
  };
  visit(call);
  return out;
}
