/**
 * The Function App carries only what the Flex Consumption plan accepts. ARM refuses the rest with
 * error 51021 at deployment time, which neither `az bicep build` nor the what-if shows: the first
 * deployment of every environment failed on `siteConfig.ftpsState` (issue 22).
 *
 * Sources (details in support/flex.ts):
 * - https://learn.microsoft.com/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations
 * - ARM 51021 verbatim: microsoft/azure-pipelines-tasks#21032; Azure/terraform-azurerm-avm-res-web-site#345
 *   and #360 (quoting Microsoft Q&A 2277522 and 2275500: blocking is intended in every region)
 * - the AVM web/site module's default siteConfig (alwaysOn: true, ftpsState: 'FtpsOnly'):
 *   Azure/bicep-registry-modules avm/res/web/site/main.bicep
 * - Microsoft's Flex samples (functions-quickstart-typescript-azd sets no siteConfig) and the portal's
 *   Flex settings (Azure/azure-functions-ux#7660)
 *
 * The fixture cases change functionapp.bicep's text in memory (never infra/ on disk) and expect the
 * checker to name the change: a checker that passed them would pass a refused deployment.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { INFRA } from './support/bicep';
import type { Project } from './support/evaluate';
import {
  AVM_SITE_DEFAULT_SITE_CONFIG,
  FLEX_REFUSED_SITE_CONFIG,
  FLEX_REFUSED_SITE_PROPERTIES,
  flexProblems,
  flexSiteParamProblems,
} from './support/flex';
import { Deployment, ENVIRONMENTS, loadProject } from './support/infra';

const FUNCTION_APP = join(INFRA, 'modules/functionapp.bicep');
const SITE_CONFIG = "siteConfig: union(\n      {\n        minTlsVersion: '1.2'\n      },\n      accessRestrictions\n    )";

let project: Project;
beforeAll(async () => {
  project = await loadProject();
});

/** The prod deployment with functionapp.bicep's text changed in memory. */
async function withFunctionApp(change: (text: string) => string): Promise<Deployment> {
  const text = readFileSync(FUNCTION_APP, 'utf8');
  const changed = change(text);
  expect(changed, 'the fixture must change functionapp.bicep').not.toBe(text);
  return Deployment.of(await loadProject({ [FUNCTION_APP]: changed }), 'prod');
}

/** siteConfig with one more line. */
const withSiteConfigLine = (line: string) => (text: string) =>
  text.replace(SITE_CONFIG, SITE_CONFIG.replace("minTlsVersion: '1.2'", `minTlsVersion: '1.2'\n        ${line}`));

describe('the Function App on Flex Consumption', () => {
  it.each(ENVIRONMENTS)('%s: sets no site property Flex Consumption refuses', (env) => {
    expect(flexProblems(Deployment.of(project, env))).toEqual([]);
  });

  it('passes its own siteConfig, so the AVM default (alwaysOn, ftpsState) never applies', () => {
    const site = Deployment.of(project, 'prod').app().site;
    // minTlsVersion and the access restrictions of issue 24 (network.test.ts checks their values).
    expect(Object.keys(site.params.siteConfig as object)).toEqual([
      'minTlsVersion',
      'ipSecurityRestrictionsDefaultAction',
      'ipSecurityRestrictions',
      'scmIpSecurityRestrictionsUseMain',
      'scmIpSecurityRestrictionsDefaultAction',
    ]);
    expect(site.params.basicPublishingCredentialsPolicies).toEqual([{ name: 'scm', allow: false }]);
  });
});

describe('the Flex check fails on a refused property (fixtures)', () => {
  it('siteConfig.ftpsState, the property that failed the first deployment', async () => {
    const d = await withFunctionApp(withSiteConfigLine("ftpsState: 'Disabled'"));
    expect(flexProblems(d)).toEqual([
      'infra/modules/functionapp.bicep app: siteConfig.ftpsState: refused on Flex Consumption — FTPS is not supported on Flex (ARM 51021)',
    ]);
  });

  const samples: Record<string, string> = {
    ftpsState: "'FtpsOnly'",
    use32BitWorkerProcess: 'false',
    preWarmedInstanceCount: '1',
    netFrameworkVersion: "'v8.0'",
    functionsRuntimeScaleMonitoringEnabled: 'false',
    linuxFxVersion: "'NODE|22'",
    functionAppScaleLimit: '100',
    windowsFxVersion: "'NODE|22'",
    javaVersion: "'17'",
    powerShellVersion: "'7.4'",
    vnetRouteAllEnabled: 'false',
  };
  it('knows a sample for every refused siteConfig property', () => {
    expect(
      Object.keys(samples)
        .map((k) => k.toLowerCase())
        .sort(),
    ).toEqual(Object.keys(FLEX_REFUSED_SITE_CONFIG).sort());
  });

  it.each(Object.entries(samples))('siteConfig.%s', async (key, value) => {
    const problems = flexProblems(await withFunctionApp(withSiteConfigLine(`${key}: ${value}`)));
    expect(problems).toEqual([expect.stringContaining(`siteConfig.${key}: refused on Flex Consumption`)]);
  });

  it('access restrictions (issue 24) only with the values ARM takes', () => {
    expect(
      flexSiteParamProblems({
        siteConfig: {
          ipSecurityRestrictionsDefaultAction: 'Block',
          ipSecurityRestrictions: {},
          scmIpSecurityRestrictionsUseMain: 'no',
        },
      }),
    ).toEqual([
      expect.stringContaining('siteConfig.ipSecurityRestrictionsDefaultAction = "Block": not valid'),
      expect.stringContaining('siteConfig.ipSecurityRestrictions = {}: not valid'),
      expect.stringContaining('siteConfig.scmIpSecurityRestrictionsUseMain = "no": not valid'),
    ]);
  });

  it('whatever the case ARM is given the name in', () => {
    expect(flexSiteParamProblems({ siteConfig: { FtpsState: 'Disabled', LinuxFxVersion: 'NODE|22' } })).toEqual([
      expect.stringContaining('siteConfig.FtpsState: refused'),
      expect.stringContaining('siteConfig.LinuxFxVersion: refused'),
    ]);
  });

  it('alwaysOn: true, and a property nobody has shown Flex to accept (http20Enabled)', async () => {
    const d = await withFunctionApp(withSiteConfigLine('alwaysOn: true\n      http20Enabled: true'));
    expect(flexProblems(d)).toEqual([
      expect.stringContaining('siteConfig.alwaysOn = true: not valid on Flex Consumption'),
      expect.stringContaining('siteConfig.http20Enabled: not known to be accepted on Flex Consumption'),
    ]);
    // alwaysOn: false (the platform's own value) passes.
    expect(flexSiteParamProblems({ siteConfig: { alwaysOn: false, minTlsVersion: '1.2' } })).toEqual([]);
  });

  it("no siteConfig at all: the AVM module's default is refused", async () => {
    const d = await withFunctionApp((t) => t.replace(`    ${SITE_CONFIG}\n`, ''));
    expect(d.app().site.params).not.toHaveProperty('siteConfig');
    const problems = flexProblems(d);
    expect(Object.keys(AVM_SITE_DEFAULT_SITE_CONFIG)).toEqual(['alwaysOn', 'minTlsVersion', 'ftpsState']);
    expect(problems).toEqual([
      expect.stringMatching(/siteConfig \(the AVM module's default, because none is passed\)\.alwaysOn = true: not valid/),
      expect.stringMatching(/siteConfig \(the AVM module's default, because none is passed\)\.ftpsState: refused/),
    ]);
  });

  it.each(Object.keys(FLEX_REFUSED_SITE_PROPERTIES))('the site property %s', async (key) => {
    const d = await withFunctionApp((t) => t.replace('    httpsOnly: true\n', `    httpsOnly: true\n    ${key}: null\n`));
    expect(flexProblems(d)).toEqual([expect.stringContaining(`${key}: not valid on Flex Consumption`)]);
  });

  it('an FTP publishing policy, and a publishing policy that allows passwords', async () => {
    const d = await withFunctionApp((t) =>
      t.replace(
        "        name: 'scm'\n        allow: false\n      }\n",
        "        name: 'scm'\n        allow: true\n      }\n      {\n        name: 'ftp'\n        allow: false\n      }\n",
      ),
    );
    expect(flexProblems(d)).toEqual([
      expect.stringContaining('basicPublishingCredentialsPolicies scm: allows passwords'),
      expect.stringContaining('basicPublishingCredentialsPolicies ftp: Flex Consumption has no such endpoint'),
    ]);
  });
});
