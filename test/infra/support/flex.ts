/**
 * What a Function App on the Flex Consumption plan may carry. ARM refuses a Flex site that sets a
 * property from the old hosting plans with error 51021 ("The following list of … site configuration
 * properties (Site.SiteConfig.FtpsState, …) for Flex Consumption sites is invalid"), and only at
 * deployment time: `az bicep build` and what-if say nothing. This checker sees it offline, on the
 * values the deployment would send to the AVM web/site module.
 *
 * Sources:
 * - Microsoft, "Flex Consumption plan deprecations" (the table of site properties and settings not to
 *   use on Flex): https://learn.microsoft.com/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations
 * - the ARM 51021 refusals, verbatim: microsoft/azure-pipelines-tasks#21032 (FtpsState,
 *   Use32BitWorkerProcess, NetFrameworkVersion, FunctionsRuntimeScaleMonitoringEnabled); Microsoft
 *   Q&A 2277522 and 2275500, quoted in Azure/terraform-azurerm-avm-res-web-site#360 (the same plus
 *   PreWarmedInstanceCount; blocking is intended in every region); #345 there (LinuxFxVersion).
 * - the AVM web/site module's default `siteConfig` when the caller passes none:
 *   `{ alwaysOn: true, minTlsVersion: '1.2', ftpsState: 'FtpsOnly' }` (Azure/bicep-registry-modules,
 *   avm/res/web/site/main.bicep), so leaving siteConfig out is itself a refused deployment.
 * - Microsoft's Flex Consumption samples set no siteConfig at all (Azure-Samples/
 *   functions-quickstart-typescript-azd, infra/core/host/functions-flexconsumption.bicep); issue 22
 *   cites one that sets only `alwaysOn: false`.
 * - The portal hides FTP basic-auth publishing, HTTP 2.0 and Always On for Flex apps
 *   (Azure/azure-functions-ux#7660): nothing there applies to a Flex site.
 */
import { type BicepObject, type Value, isObject } from './evaluate';
import type { Deployment } from './infra';

/** siteConfig properties Flex refuses (lower-case, as ARM compares them) and why. */
export const FLEX_REFUSED_SITE_CONFIG: Readonly<Record<string, string>> = {
  ftpsstate: 'FTPS is not supported on Flex (ARM 51021)',
  use32bitworkerprocess: '32-bit workers are not supported on Flex (ARM 51021)',
  prewarmedinstancecount: 'replaced by alwaysReady in functionAppConfig.scaleAndConcurrency (ARM 51021)',
  netframeworkversion: 'replaced by functionAppConfig.runtime.version (ARM 51021)',
  functionsruntimescalemonitoringenabled: 'Flex scales per function by itself (ARM 51021)',
  linuxfxversion: 'replaced by functionAppConfig.runtime (ARM 51021)',
  functionappscalelimit: 'replaced by functionAppConfig.scaleAndConcurrency.maximumInstanceCount',
  windowsfxversion: 'Flex is Linux only',
  javaversion: 'replaced by functionAppConfig.runtime.version',
  powershellversion: 'replaced by functionAppConfig.runtime.version',
  vnetrouteallenabled: 'networking on Flex is the virtual network integration, not site properties',
};

/**
 * siteConfig properties known to be accepted on Flex. Anything else is reported until someone adds it
 * here with the source that says Flex takes it: an unknown property fails only at deployment.
 */
export const FLEX_ACCEPTED_SITE_CONFIG: Readonly<Record<string, (value: Value) => boolean>> = {
  // Not in the deprecation list; the AVM module's own default sets it.
  minTlsVersion: () => true,
  // "Not valid" on Flex; `false` is the platform's own value (what a caller of the AVM module may
  // send instead of the module's `true`).
  alwaysOn: (v) => v === false,
  // Access restrictions (issue 24: the app accepts only its region's gateway). "Inbound IP
  // restrictions" are available on Flex Consumption (learn.microsoft.com/azure/azure-functions/
  // functions-networking-options#inbound-networking-features, the plan/feature table).
  ipSecurityRestrictions: (v) => Array.isArray(v),
  ipSecurityRestrictionsDefaultAction: (v) => v === 'Allow' || v === 'Deny',
  scmIpSecurityRestrictionsUseMain: (v) => typeof v === 'boolean',
  scmIpSecurityRestrictionsDefaultAction: (v) => v === 'Allow' || v === 'Deny',
};

/** Site properties (module parameters of avm/res/web/site) listed as not valid on Flex. */
export const FLEX_REFUSED_SITE_PROPERTIES: Readonly<Record<string, string>> = {
  containerSize: 'renamed instanceMemoryMB in functionAppConfig.scaleAndConcurrency',
  dnsConfiguration: 'Flex uses the DNS of its integrated virtual network',
  vnetContentShareEnabled: 'Flex has no content share',
  vnetImagePullEnabled: 'not used for networking on Flex',
  vnetRouteAllEnabled: 'not used for networking on Flex',
  vnetBackupRestoreEnabled: 'not used for networking on Flex',
};

/** basicPublishingCredentialsPolicies Flex has: SCM (deployment) only; there is no FTP. */
export const FLEX_PUBLISHING_POLICIES: readonly string[] = ['scm'];

/** What the AVM web/site module deploys as siteConfig when the caller passes none. */
export const AVM_SITE_DEFAULT_SITE_CONFIG: Readonly<BicepObject> = {
  alwaysOn: true,
  minTlsVersion: '1.2',
  ftpsState: 'FtpsOnly',
};

/** Problems of the site params given to avm/res/web/site, for a site on a Flex Consumption plan. */
export function flexSiteParamProblems(params: BicepObject): string[] {
  const problems: string[] = [];
  const given = Object.hasOwn(params, 'siteConfig');
  const siteConfig = given ? params.siteConfig : AVM_SITE_DEFAULT_SITE_CONFIG;
  const from = given ? 'siteConfig' : "siteConfig (the AVM module's default, because none is passed)";
  if (!isObject(siteConfig)) problems.push(`${from} is not an object this check can read`);
  else
    for (const [key, value] of Object.entries(siteConfig)) {
      const refused = FLEX_REFUSED_SITE_CONFIG[key.toLowerCase()];
      const accepted = FLEX_ACCEPTED_SITE_CONFIG[key];
      if (refused) problems.push(`${from}.${key}: refused on Flex Consumption — ${refused}`);
      else if (!accepted) problems.push(`${from}.${key}: not known to be accepted on Flex Consumption (add it with a source)`);
      else if (!accepted(value)) problems.push(`${from}.${key} = ${JSON.stringify(value)}: not valid on Flex Consumption`);
    }
  for (const [key, why] of Object.entries(FLEX_REFUSED_SITE_PROPERTIES))
    if (Object.hasOwn(params, key)) problems.push(`${key}: not valid on Flex Consumption — ${why}`);
  const policies = params.basicPublishingCredentialsPolicies;
  for (const policy of Array.isArray(policies) ? policies : []) {
    if (!isObject(policy)) continue;
    if (!FLEX_PUBLISHING_POLICIES.includes(String(policy.name)))
      problems.push(`basicPublishingCredentialsPolicies ${String(policy.name)}: Flex Consumption has no such endpoint`);
    else if (policy.allow !== false) problems.push(`basicPublishingCredentialsPolicies ${String(policy.name)}: allows passwords`);
  }
  return problems;
}

/** The Flex checks on every site of a deployment whose plan is Flex Consumption (FC1). */
export function flexProblems(d: Deployment): string[] {
  const flexPlans = d.registryModules('avm/res/web/serverfarm').filter((p) => p.params.skuName === 'FC1');
  if (flexPlans.length === 0) return ['no Flex Consumption (FC1) plan: this check would be vacuous'];
  // Every region's app is the same call of functionapp.bicep: a problem there is named once.
  return [
    ...new Set(
      d
        .registryModules('avm/res/web/site')
        .flatMap((site) => flexSiteParamProblems(site.params).map((p) => `${site.instance.file.name} ${site.symbol}: ${p}`)),
    ),
  ];
}
