import { beforeAll, describe, expect, it } from 'vitest';
import * as config from '../../shared/platform/config';
import { FLEX_UNSUPPORTED, settingsForSchema, settingsProblems } from './support/contracts';
import { SETTINGS } from './support/definitions';
import type { Project } from './support/evaluate';
import { Deployment, ENVIRONMENTS, get, loadProject } from './support/infra';

let project: Project;
beforeAll(async () => {
  project = await loadProject();
});

describe('Function App settings', () => {
  it('finds the trigger connections in the code', () => {
    expect(SETTINGS.triggerConnections).toEqual(['COSMOS', 'SERVICEBUS']);
  });

  it.each(ENVIRONMENTS)(
    '%s: every setting config.ts reads is set (identity-based, secrets from Key Vault), and nothing else',
    (env) => {
      expect(settingsProblems(SETTINGS, Deployment.of(project, env))).toEqual([]);
    },
  );

  it.each(ENVIRONMENTS)("%s: the code's own schema accepts the settings", (env) => {
    const settings = config.parseSettings(settingsForSchema(Deployment.of(project, env)));
    expect(settings.APP_ENV).toBe(env);
    expect(settings.AUTH_MODE).toBe('entra');
    expect(settings.AUTH_JWKS_URI).toMatch(/^https:\/\/login\.microsoftonline\.com\/.+\/discovery\/v2\.0\/keys$/);
    expect(settings.CORS_ALLOWED_ORIGINS.length).toBeGreaterThan(0);
    for (const origin of settings.CORS_ALLOWED_ORIGINS)
      expect(origin).toMatch(env === 'dev' ? /^https?:\/\/[^/]+$/ : /^https:\/\/[^/]+$/);
  });

  it.each(ENVIRONMENTS)(
    '%s: Flex Consumption, Node.js 22, deployed from a container with the app identity, in every region',
    (env) => {
      const d = Deployment.of(project, env);
      const plans = d.registryModules('avm/res/web/serverfarm');
      expect(plans).toHaveLength(d.regions().length);
      for (const plan of plans) expect(plan.params.skuName).toBe('FC1');
      for (const { site: call, settings } of d.regions()) {
        const site = call.params;
        expect(site.kind).toBe('functionapp,linux');
        expect(get(site, 'functionAppConfig', 'runtime')).toEqual({ name: 'node', version: '22' });
        expect(get(site, 'functionAppConfig', 'deployment', 'storage', 'authentication', 'type')).toBe('UserAssignedIdentity');
        expect(get(site, 'keyVaultAccessIdentityResourceId')).toEqual(
          get(site, 'managedIdentities', 'userAssignedResourceIds', 0),
        );
        expect(site.httpsOnly).toBe(true);
        for (const key of FLEX_UNSUPPORTED) expect(settings).not.toHaveProperty(key);
      }
    },
  );

  it.each(ENVIRONMENTS)("%s: the platform's CORS stays off, so the app's own CORS answers", (env) => {
    for (const { site } of Deployment.of(project, env).regions()) expect(get(site.params, 'siteConfig', 'cors')).toBeUndefined();
  });
});
