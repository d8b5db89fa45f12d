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

      const failures = logAlerts.find((p) => /success == false/.test(query(p)));
      expect(failures, 'function failures').toBeDefined();
      const http5xx = logAlerts.find((p) => />= 500/.test(query(p)) && /total/.test(query(p)));
      expect(http5xx, 'HTTP 5xx rate').toBeDefined();
      const deadLetters = metricAlerts.find((p) => metric(p) === 'DeadletteredMessages');
      expect(get(deadLetters, 'criteria', 'allof', 0, 'threshold'), 'dead letters > 0').toBe(0);
      expect(get(deadLetters, 'criteria', 'allof', 0, 'operator')).toBe('GreaterThan');
      const throttling = metricAlerts.find((p) => metric(p) === 'TotalRequests');
      expect(get(throttling, 'criteria', 'allof', 0, 'dimensions', 0)).toEqual({
        name: 'StatusCode',
        operator: 'Include',
        values: ['429'],
      });
      const availability = metricAlerts.find(
        (p) => get(p, 'criteria', 'odata.type') === 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria',
      );
      expect(availability, 'availability').toBeDefined();

      for (const p of logAlerts)
        expect(get(p, 'actions', 'actionGroupResourceIds', 0)).toSatisfy((v) => v instanceof Unknown && actionGroup(v.text));
      for (const p of metricAlerts) expect(get(p, 'actions', 0)).toSatisfy((v) => v instanceof Unknown && actionGroup(v.text));
    },
  );

  it.each(ENVIRONMENTS)(
    '%s: the availability test calls GET /api/health/ready on the Function App from several regions',
    (env) => {
      const d = Deployment.of(project, env);
      const test = d.registryModule('avm/res/insights/webtest').params;
      expect(test.kind).toBe('standard');
      expect(sampleOf(get(test, 'request', 'RequestUrl') ?? null)).toMatch(/^https:\/\/[^/]+\/api\/health\/ready$/);
      expect((get(test, 'request', 'RequestUrl') as Unknown).text).toContain('functionAppHostName');
      expect(get(test, 'validationRules', 'ExpectedHttpStatusCode')).toBe(200);
      // The route it probes is the app's readiness endpoint.
      expect(readFileSync(`${REPO}/functions/http/health.ts`, 'utf8')).toContain("route: 'health/ready'");
    },
  );

  it.each(ENVIRONMENTS)(
    "%s: SLA breaches, partner failures and workflow dead letters alert on the app's own counters, by the names the code gives them",
    (env) => {
      // The counters as the code creates them (shared/platform/telemetry-sdk.ts) and the attributes it sets.
      const sdk = readFileSync(`${REPO}/shared/platform/telemetry-sdk.ts`, 'utf8');
      const counters = new Set([...sdk.matchAll(/createCounter\('([^']+)'/g)].map((m) => m[1]!));
      const logAlerts = Deployment.of(project, env)
        .registryModules('avm/res/insights/scheduled-query-rule')
        .map((m) => m.params);
      const onCounter = (name: string) => {
        expect(counters.has(name), `the code creates ${name}`).toBe(true);
        const alert = logAlerts.find((p) => String(get(p, 'criterias', 'allOf', 0, 'query')).includes(`name == "${name}"`));
        expect(alert, name).toBeDefined();
        const query = String(get(alert!, 'criterias', 'allOf', 0, 'query'));
        expect(query).toMatch(/^customMetrics \| where name == /);
        expect(get(alert!, 'criterias', 'allOf', 0, 'operator')).toBe('GreaterThan');
        expect(get(alert!, 'scopes', 0)).toSatisfy((v) => v instanceof Unknown && v.text === 'appInsights.outputs.resourceId');
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
    ];
    expect(alerts).toHaveLength(8);
    for (const a of alerts) {
      const link = /docs\/operations\.md#([a-z0-9-]+)/.exec(String(a.params.alertDescription))?.[1];
      expect(link, a.symbol).toBeDefined();
      expect(sections.has(link!), `docs/operations.md#${link}`).toBe(true);
    }
  });
});
