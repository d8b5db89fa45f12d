import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './support/bicep';
import { type BicepObject, type Project, Unknown, sampleOf } from './support/evaluate';
import { Deployment, ENVIRONMENTS, get, loadProject } from './support/infra';

let project: Project;
beforeAll(async () => {
  project = await loadProject();
});

/** GitHub's anchors of a Markdown file's headings. */
function anchors(path: string): Set<string> {
  return new Set(
    [...readFileSync(path, 'utf8').matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

/**
 * Regions whose availability test does not probe where the pipeline checks the region: its gateway's
 * URL (the gateway module's name, <name>.azure-api.net) when the gateway is on, else the app's host.
 */
function probeProblems(d: Deployment): string[] {
  const apps = d.modules().find((m) => m.path === 'modules/alerts.bicep')!.params.apps as BicepObject[];
  const gateways = d.modules().filter((m) => m.path === 'modules/gateway.bicep');
  return apps.flatMap((app) => {
    const gateway = gateways.find((g) => g.params.location === app.location);
    const actual = sampleOf(app.checkUrl ?? null);
    const source = app.checkUrl instanceof Unknown ? app.checkUrl.text : '';
    if (gateway) {
      const expected = `https://${sampleOf(gateway.params.name ?? null)}.azure-api.net`;
      return actual === expected
        ? []
        : [`${String(app.location)}: the web test probes ${actual} instead of its gateway ${expected}`];
    }
    // No gateway: the app's own host (the site's defaultHostName, known only once deployed).
    return /^https:\/\/[^/]+$/.test(actual ?? '') && /\.defaultHostName\}'$/.test(source)
      ? []
      : [`${String(app.location)}: the web test probes ${source || actual} instead of the app's host`];
  });
}

const actionGroup = (text: string) => text === 'actionGroup.outputs.resourceId';

describe('alerts', () => {
  it.each(ENVIRONMENTS)(
    '%s: function failures, HTTP 5xx rate, dead letters, Cosmos 429 and availability, each to the action group',
    (env) => {
      const d = Deployment.of(project, env);
      const logAlerts = d.registryModules('avm/res/insights/scheduled-query-rule').map((m) => m.params);
      const metricAlerts = d.registryModules('avm/res/insights/metric-alert').map((m) => m.params);
      const query = (p: BicepObject) => String(get(p, 'criterias', 'allOf', 0, 'query'));
      const metric = (p: BicepObject) => String(get(p, 'criteria', 'allof', 0, 'metricName'));

      // Each region's app is watched like the primary's: once per region.
      const regions = d.regions().length;
      expect(
        logAlerts.filter((p) => /success == false/.test(query(p))),
        'function failures',
      ).toHaveLength(regions);
      expect(
        logAlerts.filter((p) => />= 500/.test(query(p)) && /total/.test(query(p))),
        'HTTP 5xx rate',
      ).toHaveLength(regions);
      // And every namespace's dead letters.
      expect(metricAlerts.filter((p) => metric(p) === 'DeadletteredMessages')).toHaveLength(d.serviceBusNamespaces().length);
      const deadLetters = metricAlerts.find((p) => metric(p) === 'DeadletteredMessages');
      expect(get(deadLetters, 'criteria', 'allof', 0, 'threshold'), 'dead letters > 0').toBe(0);
      expect(get(deadLetters, 'criteria', 'allof', 0, 'operator')).toBe('GreaterThan');
      const throttling = metricAlerts.find((p) => metric(p) === 'TotalRequests');
      expect(get(throttling, 'criteria', 'allof', 0, 'dimensions', 0)).toEqual({
        name: 'StatusCode',
        operator: 'Include',
        values: ['429'],
      });
      const availability = metricAlerts.filter(
        (p) => get(p, 'criteria', 'odata.type') === 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria',
      );
      expect(availability, 'availability').toHaveLength(regions);

      for (const p of logAlerts)
        expect(get(p, 'actions', 'actionGroupResourceIds', 0)).toSatisfy((v) => v instanceof Unknown && actionGroup(v.text));
      for (const p of metricAlerts) expect(get(p, 'actions', 0)).toSatisfy((v) => v instanceof Unknown && actionGroup(v.text));
    },
  );

  it.each(ENVIRONMENTS)(
    '%s: an availability test calls GET /api/health/ready on each region, through its gateway when it has one, from several locations',
    (env) => {
      const d = Deployment.of(project, env);
      const tests = d.registryModules('avm/res/insights/webtest').map((m) => m.params);
      expect(tests).toHaveLength(d.regions().length);
      const gatewayOn = env !== 'dev';
      for (const test of tests) {
        expect(test.kind).toBe('standard');
        // The gateway forwards GET /api/health/ready without X-Azure-FDID (global.xml's one exemption);
        // with private networking the app's own host answers only the gateway's subnet.
        expect(sampleOf(get(test, 'request', 'RequestUrl') ?? null)).toMatch(
          gatewayOn
            ? /^https:\/\/apim-algesta-[a-z0-9]+\.azure-api\.net\/api\/health\/ready$/
            : /^https:\/\/[^/]+\/api\/health\/ready$/,
        );
        expect((get(test, 'request', 'RequestUrl') as Unknown).text).toContain('app.checkUrl');
        expect(get(test, 'validationRules', 'ExpectedHttpStatusCode')).toBe(200);
      }
      // One test per region: each region's gateway URL (the gateway module's output) when the gateway
      // is on, else its Function App host name (the web/site module's output).
      const apps = d.modules().find((m) => m.path === 'modules/alerts.bicep')!.params.apps as BicepObject[];
      expect(apps.map((a) => (a.functionAppHostName as Unknown).text)).toEqual(
        d.regions().map(() => 'app.outputs.defaultHostname'),
      );
      expect(probeProblems(d)).toEqual([]);
      expect(apps.map((a) => a.location)).toEqual(d.regions().map((r) => r.location));
      // The route it probes is the app's readiness endpoint.
      expect(readFileSync(`${REPO}/functions/http/health.ts`, 'utf8')).toContain("route: 'health/ready'");
    },
  );

  it('a web test that probed the app host while the gateway is on fails the rule, naming the region', async () => {
    const main = readFileSync(`${REPO}/infra/main.bicep`, 'utf8');
    const changed = main.replace('checkUrl: primaryApp.checkUrl', "checkUrl: 'https://${primary.outputs.defaultHostName}'");
    expect(changed).not.toBe(main);
    const d = Deployment.of(await loadProject({ [`${REPO}/infra/main.bicep`]: changed }), 'prod');
    expect(probeProblems(d)).toEqual([
      expect.stringMatching(/^eastus2: the web test probes https:\/\/.* instead of its gateway https:\/\/apim-algesta-/),
    ]);
  });

  it.each(ENVIRONMENTS)(
    "%s: SLA breaches, partner failures and workflow dead letters alert on the app's own counters, by the names the code gives them",
    (env) => {
      // The counters as the code creates them (shared/platform/telemetry-sdk.ts) and the attributes it sets.
      const sdk = readFileSync(`${REPO}/shared/platform/telemetry-sdk.ts`, 'utf8');
      const counters = new Set([...sdk.matchAll(/createCounter\('([^']+)'/g)].map((m) => m[1]!));
      const d = Deployment.of(project, env);
      const regions = d.regions().length;
      const logAlerts = d.registryModules('avm/res/insights/scheduled-query-rule').map((m) => m.params);
      const onCounter = (name: string) => {
        expect(counters.has(name), `the code creates ${name}`).toBe(true);
        const alerts = logAlerts.filter((p) => String(get(p, 'criterias', 'allOf', 0, 'query')).includes(`name == "${name}"`));
        // Once per region: whichever region runs the work emits the counter to its own Application Insights.
        expect(alerts, name).toHaveLength(regions);
        const alert = alerts[0];
        const query = String(get(alert!, 'criterias', 'allOf', 0, 'query'));
        expect(query).toMatch(/^customMetrics \| where name == /);
        expect(get(alert!, 'criterias', 'allOf', 0, 'operator')).toBe('GreaterThan');
        for (const a of alerts)
          expect(get(a, 'scopes', 0)).toSatisfy((v) => v instanceof Unknown && v.text === 'appInsights.outputs.resourceId');
        return { query, alert: alert! };
      };
      const sla = onCounter('algesta.sla.breaches');
      expect(sla.query).toContain('customDimensions["priority"]');
      expect(sdk).toMatch(/slaBreaches\.add\(1, \{ clock: a\.clock, priority: a\.priority \}\)/);
      expect(get(sla.alert, 'criterias', 'allOf', 0, 'threshold')).toBe(0);
      const partner = onCounter('algesta.partner.failures');
      expect(partner.query).toContain('customDimensions["partner"]');
      expect(get(partner.alert, 'criterias', 'allOf', 0, 'threshold')).toBe(5);
      const dead = onCounter('algesta.messages.dead_lettered');
      expect(dead.query).toContain('customDimensions["consumer"]');
      expect(dead.query).toContain('customDimensions["event_type"]');
      expect(sdk).toContain('{ consumer: a.consumer, event_type: a.eventType }');
      expect(get(dead.alert, 'criterias', 'allOf', 0, 'threshold')).toBe(0);
    },
  );

  it('every alert points to its section of the runbook', () => {
    const sections = anchors(`${REPO}/docs/operations.md`);
    const d = Deployment.of(project, 'prod');
    const alerts = [
      ...d.registryModules('avm/res/insights/scheduled-query-rule'),
      ...d.registryModules('avm/res/insights/metric-alert'),
      ...d.registryModules('avm/res/insights/activity-log-alert'),
    ];
    // Nine per region (function failures, 5xx rate, SLA breaches, partner failures, workflow dead
    // letters, availability, message age, breaker open, outbox backlog), two per namespace (dead
    // letters, messages not draining; two namespaces with Geo-DR), Cosmos throttling once, and the
    // deployment's two (the rollout's notices, the failed infrastructure deployment).
    expect(alerts).toHaveLength(9 * 2 + 2 * 2 + 1 + 2);
    for (const a of alerts) {
      const link = /docs\/operations\.md#([a-z0-9-]+)/.exec(String(a.params.alertDescription))?.[1];
      expect(link, a.symbol).toBeDefined();
      expect(sections.has(link!), `docs/operations.md#${link}`).toBe(true);
    }
  });
});
