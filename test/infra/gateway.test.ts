/**
 * Issue 24's gateway and edge: the API Management policy file against the OpenAPI document the app
 * serves and the claims shared/ reads from a token, and each environment's gateways and Front Door
 * WAF as the Bicep deploys them. Each check has a fixture showing it fails on a broken copy.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentForGateway } from '../../infra/scripts/gateway-import';
import { TOKEN_CLAIMS } from '../../shared/platform/auth/token-verifier';
import { REPO } from './support/bicep';
import type { Project } from './support/evaluate';
import { isObject, sampleOf } from './support/evaluate';
import {
  attributeProblems,
  dailyQuotaLimitProblems,
  edgeProblems,
  gatewaysOf,
  type OpenApi,
  operationsOf,
  policyProblems,
  wafsOf,
} from './support/gateway';
import { Deployment, loadProject, withChanged } from './support/infra';

const POLICIES = join(REPO, 'infra/gateway/policies');
const GLOBAL = join(POLICIES, 'global.xml');
const xml = readFileSync(GLOBAL, 'utf8');
// The document the app serves: test/e2e/api.test.ts checks GET /api/v1/openapi.json answers exactly this file.
const served = JSON.parse(readFileSync(join(REPO, 'client/openapi.json'), 'utf8')) as OpenApi;
// The partner webhooks' routes as the functions register them.
const webhookRoutes = readdirSync(join(REPO, 'functions/webhooks'))
  .map((f) => /route: '(webhooks\/[a-z]+)'/.exec(readFileSync(join(REPO, 'functions/webhooks', f), 'utf8'))?.[1])
  .filter((r): r is string => r !== undefined);

let project: Project;
beforeAll(async () => {
  project = await loadProject();
});

describe('the gateway policy files', () => {
  it('every policy file is well-formed XML', () => {
    const files = readdirSync(POLICIES).filter((f) => f.endsWith('.xml'));
    expect(files).toEqual(['global.xml']);
    for (const f of files) expect(XMLValidator.validate(readFileSync(join(POLICIES, f), 'utf8')), f).toBe(true);
    expect(XMLValidator.validate('<policies><inbound></policies>')).not.toBe(true);
    // What the validator lets through: "<" in an attribute (a C# generic in an expression).
    for (const f of files) expect(attributeProblems(readFileSync(join(POLICIES, f), 'utf8')), f).toEqual([]);
    expect(
      attributeProblems(xml.replace('GetValueOrDefault("quotaUsed", "0")', 'GetValueOrDefault<string>("quotaUsed", "0")')),
    ).toEqual([expect.stringMatching(/^<set-variable value=".*GetValueOrDefault<string>.*: "<" in an attribute value/)]);
  });

  it('covers every operation of the served document: webhooks by their own limits, anonymous ones per address, the rest behind validate-jwt; claims, keys and refusals as the app has them', () => {
    expect(webhookRoutes.sort()).toEqual(['webhooks/docusign', 'webhooks/jelou', 'webhooks/sendgrid']);
    const ops = operationsOf(served);
    expect(ops.length).toBeGreaterThan(60);
    expect(ops.filter((o) => o.anonymous).map((o) => o.operationId)).toEqual(
      expect.arrayContaining(['health', 'health-ready', 'openapi', 'webhooks-docusign']),
    );
    expect(policyProblems(xml, served, webhookRoutes)).toEqual([]);
  });

  it('uses exactly the claim names shared/ reads (TOKEN_CLAIMS)', () => {
    // The import makes a rename in shared/ fail here: the policy would read the old name.
    const renamed = { ...TOKEN_CLAIMS, clientId: 'tenantId' };
    expect(renamed.clientId).not.toBe(TOKEN_CLAIMS.clientId);
    expect(xml).toContain(`jwt.Claims.GetValueOrDefault("${TOKEN_CLAIMS.clientId}"`);
    expect(xml).toContain(`jwt.Claims.GetValueOrDefault("${TOKEN_CLAIMS.providerId}"`);
    for (const c of TOKEN_CLAIMS.userId) expect(xml).toContain(`jwt.Claims.GetValueOrDefault("${c}"`);
  });

  describe('fixtures: broken copies of the policy are caught', () => {
    const broken = (from: string | RegExp, to: string): string[] => {
      const changed = xml.replace(from, to);
      expect(changed, 'the fixture must change the policy').not.toBe(xml);
      return policyProblems(changed, served, webhookRoutes);
    };

    it('without the X-Azure-FDID check', () => {
      expect(broken('"X-Azure-FDID"', '"X-Forwarded-Host"')).toContain(
        'the first inbound policy does not refuse requests whose X-Azure-FDID is not {{front-door-id}}',
      );
    });

    it('a new anonymous-looking path outside the anonymous pattern is still behind validate-jwt; an authenticated one inside is caught', () => {
      const doc = structuredClone(served);
      doc.paths['/api/health/deep'] = { get: { operationId: 'health-deep', security: [] } };
      expect(policyProblems(xml, doc, webhookRoutes)).toContain(
        'GET /api/health/deep (health-deep): the anonymous operation is not in exactly one branch',
      );
      const widened = xml.replace('(health|health/ready|', '(health|health/ready|v1/me|');
      expect(policyProblems(widened, served, webhookRoutes)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^GET \/api\/v1\/me \(.*\): an authenticated operation skips validate-jwt/),
        ]),
      );
    });

    it('a webhook without its own limit, or a claim name shared/ does not read', () => {
      expect(broken('counter-key="webhook-jelou"', 'counter-key="webhook-docusign"')).toContain(
        'POST /api/webhooks/jelou (webhooks-jelou): its branch does not limit it on a counter of its own (webhook-docusign)',
      );
      expect(broken('GetValueOrDefault("clientId"', 'GetValueOrDefault("client_id"').join('\n')).toMatch(
        /the limit keys read the claims client_id, oid, providerId, sub, shared\/ reads clientId, oid, providerId, sub/,
      );
    });

    it("an unknown route answered with API Management's own 404 instead of the not-found problem (the smoke test at each gateway expects it)", () => {
      expect(broken('context.LastError.Source == "configuration"', 'context.LastError.Source == "forward-request"')).toContain(
        'on-error does not answer configuration failures',
      );
      expect(broken('https://api.algesta.co/problems/not-found', 'https://api.algesta.co/problems/missing')).toContain(
        'configuration: problem type https://api.algesta.co/problems/missing, want https://api.algesta.co/problems/not-found',
      );
    });

    it('a 429 that is not the problem document, or without Retry-After', () => {
      // Both 429 answers (on-error's and the daily quota's, which must stay identical) changed alike.
      expect(broken(/https:\/\/api\.algesta\.co\/problems\/rate-limited/g, 'https://api.algesta.co/problems/too-many')).toContain(
        'rate-limit-by-key: problem type https://api.algesta.co/problems/too-many, want https://api.algesta.co/problems/rate-limited',
      );
      expect(broken(/<set-header name="Retry-After"/g, '<set-header name="X-Retry-After"')).toContain(
        'rate-limit-by-key: the 429 answer has no Retry-After header',
      );
      expect(broken('calls="{{limit-user-calls}}"', 'calls="100"')).toContain(
        'rate-limit-by-key calls="100" is not a named value',
      );
    });

    it('a Front Door check that exempts more than the health probe', () => {
      expect(
        broken(
          'Equals("/api/health/ready", StringComparison.OrdinalIgnoreCase))\'>',
          'Equals("/api/v1/orders", StringComparison.OrdinalIgnoreCase))\'>',
        ),
      ).toContain('the Front Door check exempts /api/v1/orders');
    });

    it('preflights sent to validate-jwt', () => {
      expect(broken('@(context.Request.Method == "OPTIONS")', '@(context.Request.Method == "TRACE")')).toContain(
        'CORS preflights (OPTIONS) do not pass without a token, limited per client address',
      );
    });

    it('a client address taken from a header a caller can set', () => {
      expect(broken('"X-Azure-ClientIP"', '"X-Forwarded-For"')).toContain(
        'the client address is not X-Azure-ClientIP read after the Front Door check',
      );
    });

    it('a quota-by-key, which the v2 tiers do not offer', () => {
      expect(
        broken(
          '<rate-limit-by-key calls="{{limit-tenant-calls-5min}}" renewal-period="300"',
          '<quota-by-key calls="{{limit-tenant-calls-5min}}" renewal-period="86400"',
        ),
      ).toContain('quota-by-key: not available in Basic v2 / Standard v2');
    });

    describe('the daily quota', () => {
      it('missing', () => {
        expect(broken(/<cache-lookup-value [^>]*\/>/, '')).toContain(
          'daily quota: no cache-lookup-value, refusal at {{limit-tenant-calls-day}} and cache-store-value after validate-jwt',
        );
      });

      it('keyed on the user, or on the month instead of the UTC day, or on local time', () => {
        expect(
          broken('"quota:" + (string)context.Variables["tenantKey"]', '"quota:" + (string)context.Variables["userKey"]'),
        ).toEqual([expect.stringMatching(/^daily quota: the counter key is .*userKey.*, not the tenant key and the UTC day$/)]);
        expect(broken('.ToString("yyyy-MM-dd"))', '.ToString("yyyy-MM"))')).toEqual([
          expect.stringMatching(/^daily quota: the counter key is .*"yyyy-MM"\)\), not the tenant key and the UTC day$/),
        ]);
        expect(broken('value="@(DateTime.UtcNow)"', 'value="@(DateTime.Now)"')).toEqual([
          'daily quota: quotaNow is @(DateTime.Now), not the UTC time',
        ]);
      });

      it('a limit that is not the named value, or a 429 that reports another one', () => {
        expect(broken('int.Parse("{{limit-tenant-calls-day}}")', 'int.Parse("50000")')).toContain(
          'daily quota: no cache-lookup-value, refusal at {{limit-tenant-calls-day}} and cache-store-value after validate-jwt',
        );
        expect(
          broken(
            '<set-variable name="limitCalls" value="{{limit-tenant-calls-day}}" />',
            '<set-variable name="limitCalls" value="50000" />',
          ),
        ).toEqual([expect.stringMatching(/^daily quota: the 429 would report .*"limitCalls":"50000"/)]);
      });

      it("a refusal that is not the rate limits' 429, or retries before midnight", () => {
        // The first Retry-After header of the file is now the quota's.
        expect(broken('<set-header name="Retry-After"', '<set-header name="X-Retry-After"')).toEqual([
          "daily quota: its refusal is not on-error's 429 for a rate limit",
        ]);
        expect(
          broken(
            '<set-variable name="retryAfter" value=\'@((int)context.Variables["quotaResetSeconds"])\' />',
            '<set-variable name="retryAfter" value="60" />',
          ),
        ).toEqual(['daily quota: its refusal does not retry after the seconds to the next UTC midnight']);
        expect(broken('TimeOfDay.TotalSeconds', 'TimeOfDay.TotalMinutes')).toEqual([
          expect.stringMatching(/^daily quota: quotaResetSeconds is .*, not the seconds to the next UTC midnight$/),
        ]);
      });

      it('an entry that outlives its day by more than the margin, or another cache', () => {
        expect(broken('["quotaResetSeconds"] + 300)', '["quotaResetSeconds"] + 86400)')).toEqual([
          expect.stringMatching(/^daily quota: the entry lives .* \+ 86400\), not the rest of the day plus at most 3600 s$/),
        ]);
        expect(broken(/duration='[^']+'/, 'duration="172800"')).toEqual([
          'daily quota: the entry lives 172800, not the rest of the day plus at most 3600 s',
        ]);
        expect(broken(/caching-type="internal"/g, 'caching-type="prefer-external"')).toEqual([
          'daily quota: cache-lookup-value is not on the built-in cache',
          'daily quota: cache-store-value is not on the built-in cache',
        ]);
      });

      it('a cache fault that would throw (a 500) instead of counting 0', () => {
        expect(
          broken(
            'int.Parse(context.Variables.GetValueOrDefault("quotaUsed", "0") ?? "0")',
            'int.Parse((string)context.Variables["quotaUsed"])',
          ),
        ).toEqual([
          'daily quota: quotaCount is @(int.Parse((string)context.Variables["quotaUsed"])), which does not read a missing or null count as 0',
        ]);
      });

      it('a store that does not add one, or comes before the refusal', () => {
        expect(broken('["quotaCount"] + 1).ToString()', '["quotaCount"] + 0).ToString()')).toEqual([
          expect.stringMatching(/^daily quota: the store writes .* \+ 0\)\.ToString\(\)\), not the count plus one$/),
        ]);
        const store = /\n *<cache-store-value [^>]*\/>/.exec(xml)![0];
        const moved = xml
          .replace(store, '')
          .replace(
            '\n        <choose>\n          <when condition=\'@((int)context.Variables["quotaCount"]',
            `${store}\n        <choose>\n          <when condition='@((int)context.Variables["quotaCount"]`,
          );
        expect(moved).not.toBe(xml);
        expect(policyProblems(moved, served, webhookRoutes)).toEqual([
          'daily quota: not in the order key, lookup, refusal, store',
        ]);
      });
    });

    it('validate-jwt with another audience', () => {
      expect(broken('<audience>{{auth-audience}}</audience>', '<audience>api://other</audience>')).toContain(
        'validate-jwt audiences api://other',
      );
    });
  });
});

describe('the document the gateway imports (infra/scripts/gateway-import.ts)', () => {
  it('is the served one with /api moved to the API path and a CORS preflight on every path', () => {
    const doc = documentForGateway(served) as unknown as OpenApi;
    expect(Object.keys(doc.paths)).toEqual(Object.keys(served.paths).map((p) => p.slice('/api'.length)));
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(item.options, path).toMatchObject({ security: [] });
      const { options: _options, ...rest } = item;
      expect(rest).toEqual(served.paths[`/api${path}`]);
    }
    const ids = operationsOf(doc).map((o) => o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(() => documentForGateway({ openapi: '3.1.0', paths: { '/health': {} } })).toThrow(/not under \/api\//);
  });
});

describe('the gateways and the edge per environment', () => {
  it('prod: a Standard v2 gateway in each region, Front Door Premium with the managed rule sets, the WAF on the endpoint', () => {
    const d = Deployment.of(project, 'prod');
    expect(gatewaysOf(d).map((g) => [g.params.sku, g.params.location])).toEqual([
      ['StandardV2', 'eastus2'],
      ['StandardV2', 'centralus'],
    ]);
    expect(edgeProblems(d, xml, true)).toEqual([]);
  });

  it('staging: a Basic v2 gateway in each region, Front Door Standard with the WAF custom rules (no managed rule sets)', () => {
    const d = Deployment.of(project, 'staging');
    expect(gatewaysOf(d).map((g) => [g.params.sku, g.params.location])).toEqual([
      ['BasicV2', 'eastus2'],
      ['BasicV2', 'centralus'],
    ]);
    expect(edgeProblems(d, xml, false)).toEqual([]);
    expect(wafsOf(d)[0]!.params.managedRules).toEqual({ managedRuleSets: [] });
  });

  it('dev: no gateway, no Front Door, no WAF (the app is reached directly, as under npm start)', () => {
    const d = Deployment.of(project, 'dev');
    expect(gatewaysOf(d)).toEqual([]);
    expect(wafsOf(d)).toEqual([]);
    expect(d.registryModules('avm/res/cdn/profile')).toEqual([]);
    expect(d.main.output('AZURE_GATEWAYS')).toEqual([]);
  });

  it("validate-jwt's issuer and audience are the values the app's AUTH_ISSUER and AUTH_AUDIENCE get", () => {
    for (const env of ['staging', 'prod'] as const) {
      const d = Deployment.of(project, env);
      const settings = d.appSettings();
      for (const g of gatewaysOf(d)) {
        const named = Object.fromEntries(
          (g.params.namedValues as { name: string; value: unknown }[]).map((n) => [n.name, n.value]),
        );
        expect(sampleOf(named['auth-issuer'] as never)).toBe(sampleOf(settings.AUTH_ISSUER!));
        expect(named['auth-audience']).toBe(settings.AUTH_AUDIENCE);
        expect(sampleOf(named['auth-openid-config'] as never)).toBe(
          `${sampleOf(settings.AUTH_ISSUER!)}/.well-known/openid-configuration`,
        );
        // The Front Door id is read from the profile main.bicep deploys (the AVM module has no output for it).
        expect((named['front-door-id'] as { text: string }).text).toMatch(
          /^reference\(frontDoorProfileResourceId, '2025-06-01'\)\.frontDoorId$/,
        );
      }
      expect(d.main.file.text.match(/frontDoorProfileResourceId: frontDoor!\.outputs\.profileResourceId/g)).toHaveLength(2);
    }
  });

  it("each gateway forwards to its own region's app, and the outputs name it for the pipeline", () => {
    const d = Deployment.of(project, 'prod');
    expect(d.regions()).toHaveLength(2);
    const main = d.main.file.text;
    expect(main).toMatch(/name: names\.gateway\n(?:.*\n){2}\s+functionAppHostName: primary\.outputs\.defaultHostName/);
    expect(main).toMatch(
      /name: secondaryNames\.gateway\n(?:.*\n){2}\s+functionAppHostName: secondary!\.outputs\.defaultHostName/,
    );
    for (const g of gatewaysOf(d)) {
      const backend = (g.params.backends as { name: string; url: unknown }[])[0]!;
      expect(sampleOf(backend.url as never)).toMatch(/^https:\/\/.+\/api$/);
    }
    const out = d.outputsAsDeployed(['AZURE_GATEWAYS', 'AZURE_FUNCTION_APPS']);
    const gateways = out.AZURE_GATEWAYS!.value as { name: string; region: string; resourceGroup: string; url: string }[];
    const apps = out.AZURE_FUNCTION_APPS!.value as { gateway: string; region: string; resourceGroup: string }[];
    expect(gateways.map((g) => g.region)).toEqual(['centralus', 'eastus2']);
    for (const [i, app] of apps.entries()) {
      expect(app.gateway).toBe(gateways[i]!.name);
      expect(app.resourceGroup).toBe(gateways[i]!.resourceGroup);
      expect(gateways[i]!.url).toBe(`https://${gateways[i]!.name}.azure-api.net`);
    }
  });

  it('no gateway without a second region (it accepts only the Front Door profile, which needs one)', async () => {
    const d = await withChanged('env/prod.bicepparam', 'prod', (t) =>
      t.replace("param secondaryLocation = 'centralus'", "param secondaryLocation = ''"),
    );
    expect(gatewaysOf(d)).toEqual([]);
  });

  describe('fixtures: a broken edge is caught', () => {
    it('without the gateway', async () => {
      const d = await withChanged('env/prod.bicepparam', 'prod', (t) =>
        t.replace("param gatewaySkuName = 'StandardV2'", "param gatewaySkuName = ''"),
      );
      expect(edgeProblems(d, xml, true)).toEqual(
        expect.arrayContaining([
          '0 gateways for 2 regions',
          expect.stringMatching(/^Front Door origin api-eastus2 is .*, not a gateway$/),
        ]),
      );
    });

    it('without the WAF association, the managed rule sets or the per-address rule', async () => {
      const unassociated = await withChanged('modules/frontdoor.bicep', 'prod', (t) =>
        t.replace(
          "patternsToMatch: ['/*']\n          }\n        ]\n      }\n    ]",
          "patternsToMatch: ['/api/v1/*']\n          }\n        ]\n      }\n    ]",
        ),
      );
      expect(edgeProblems(unassociated, xml, true)).toContain(
        'the WAF policy is not associated with the endpoint (no security policy for /*)',
      );
      const standard = await withChanged('env/prod.bicepparam', 'prod', (t) =>
        t.replace("param frontDoorSkuName = 'Premium_AzureFrontDoor'", "param frontDoorSkuName = 'Standard_AzureFrontDoor'"),
      );
      expect(edgeProblems(standard, xml, true)).toEqual(
        expect.arrayContaining([
          'Front Door sku Standard_AzureFrontDoor',
          'no managed rule set Microsoft_DefaultRuleSet@2.1',
          'no managed rule set Microsoft_BotManagerRuleSet@1.0',
        ]),
      );
      const noRate = await withChanged('modules/frontdoor.bicep', 'prod', (t) =>
        t.replace("ruleType: 'RateLimitRule'", "ruleType: 'MatchRule'"),
      );
      expect(edgeProblems(noRate, xml, true)).toContain('no per-address rate limit rule');
    });

    it('a gateway whose policy is not the file', async () => {
      const d = await withChanged('modules/gateway.bicep', 'prod', (t) =>
        t.replace("value: loadTextContent('../gateway/policies/global.xml')", "value: '<policies/>'"),
      );
      expect(edgeProblems(d, xml, true)).toContain(
        'gateway in eastus2: its global policy is not infra/gateway/policies/global.xml',
      );
    });
  });
});

describe('the limits as parameters', () => {
  it('each environment with a gateway sets every limit, and the policy reads each through a named value', () => {
    for (const env of ['staging', 'prod'] as const) {
      const d = Deployment.of(project, env);
      const limits = d.main.symbol('gatewayLimits');
      expect(isObject(limits)).toBe(true);
      for (const v of Object.values(limits as object)) expect(v).toBeGreaterThan(0);
      const named = (gatewaysOf(d)[0]!.params.namedValues as { name: string; value: unknown }[]).map((n) => n.name);
      for (const ref of new Set([...xml.matchAll(/\{\{([a-z0-9-]+)\}\}/g)].map((m) => m[1]!))) expect(named).toContain(ref);
    }
  });

  it("the daily quota's named value is gatewayLimits.tenantCallsPerDay, a number that binds", () => {
    for (const env of ['staging', 'prod'] as const) expect(dailyQuotaLimitProblems(Deployment.of(project, env)), env).toEqual([]);
    expect(Deployment.of(project, 'prod').main.symbol('gatewayLimits')).toMatchObject({ tenantCallsPerDay: 50000 });
  });

  describe('fixtures: a daily quota fed by something else is caught', () => {
    it('the named value follows the param file, and one that reads another limit is caught', async () => {
      const raised = await withChanged('env/prod.bicepparam', 'prod', (t) =>
        t.replace('tenantCallsPerDay: 50000', 'tenantCallsPerDay: 80000'),
      );
      expect(dailyQuotaLimitProblems(raised)).toEqual([]);
      const miswired = await withChanged('modules/gateway.bicep', 'prod', (t) =>
        t.replace("value: '${limits.tenantCallsPerDay}'", "value: '${limits.tenantCallsPer5Minutes}'"),
      );
      expect(dailyQuotaLimitProblems(miswired)).toEqual([
        'gateway in eastus2: {{limit-tenant-calls-day}} is 1500, not gatewayLimits.tenantCallsPerDay',
        'gateway in centralus: {{limit-tenant-calls-day}} is 1500, not gatewayLimits.tenantCallsPerDay',
      ]);
    });

    it('a daily number the five-minute limit already bounds, or below one window', async () => {
      const loose = await withChanged('env/staging.bicepparam', 'staging', (t) =>
        t.replace('tenantCallsPerDay: 50000', 'tenantCallsPerDay: 500000'),
      );
      expect(dailyQuotaLimitProblems(loose)).toEqual([
        'gatewayLimits.tenantCallsPerDay 500000 does not bind between 1500 and 432000',
      ]);
      const tight = await withChanged('env/staging.bicepparam', 'staging', (t) =>
        t.replace('tenantCallsPerDay: 50000', 'tenantCallsPerDay: 1000'),
      );
      expect(dailyQuotaLimitProblems(tight)).toEqual([
        'gatewayLimits.tenantCallsPerDay 1000 does not bind between 1500 and 432000',
      ]);
    });
  });
});
