/**
 * Issue 23, "Seeing the system", as contracts on the deployments the parameter files describe: the
 * workbook (deployed, its definition complete), every alert the issue names with its threshold, per
 * region or namespace, routed to the on-call action group, and the deployment-failure notices. The
 * fixture cases remove a piece in memory (never on disk) and show the contract reports it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { INFRA, REPO } from './support/bicep';
import { type Project, Unknown } from './support/evaluate';
import { Deployment, ENVIRONMENTS, INFRA_FILES, loadProject } from './support/infra';
import {
  alertProblems,
  deploymentNoticeProblems,
  slaFirstStepSeconds,
  WORKBOOK_SECTIONS,
  workbookProblems,
} from './support/monitoring';

const ALERTS = join(INFRA, 'modules/alerts.bicep');
const WORKBOOK_JSON = join(INFRA, 'monitoring/workbook.json');

let project: Project;
beforeAll(async () => {
  project = await loadProject();
});

/** The project with alerts.bicep changed in memory. */
async function withAlerts(change: (text: string) => string): Promise<Project> {
  const text = readFileSync(ALERTS, 'utf8');
  const changed = change(text);
  expect(changed, 'the fixture must change alerts.bicep').not.toBe(text);
  return loadProject({ [ALERTS]: changed });
}

/** alerts.bicep without the module declared as `module <symbol> ...` (up to the next blank line at column 0 after it). */
const without = (symbol: string) => (text: string) =>
  text.replace(new RegExp(`\\nmodule ${symbol} [\\s\\S]*?\\n[}\\]]\\n`), '\n');

describe('the workbook', () => {
  it.each(ENVIRONMENTS)(
    '%s: one workbook over every region, the Cosmos DB account and every namespace, from workbook.json',
    (env) => {
      const d = Deployment.of(project, env);
      const workbooks = d.resources().filter((r) => r.type === 'Microsoft.Insights/workbooks');
      expect(workbooks).toHaveLength(1);
      const { body } = workbooks[0]!;
      expect(body.kind).toBe('shared');
      const data = (body.properties as { serializedData: Unknown }).serializedData;
      expect(data).toBeInstanceOf(Unknown);
      // The definition with each placeholder replaced (the IDs are known only when Azure deploys).
      expect(data.text).toMatch(/^replace\(/);
      for (const placeholder of ['__APP_INSIGHTS_IDS__', '__COSMOS_ACCOUNT_IDS__', '__SERVICE_BUS_NAMESPACE_IDS__'])
        expect(data.text).toContain(`'"${placeholder}"'`);
      const bicep = readFileSync(join(INFRA, 'modules/workbook.bicep'), 'utf8');
      expect(bicep).toContain("loadTextContent('../monitoring/workbook.json')");
      // Every placeholder in the JSON is one the Bicep fills, and the reverse.
      const inJson = new Set(readFileSync(WORKBOOK_JSON, 'utf8').match(/"__[A-Z_]+__"/g));
      const inBicep = new Set(bicep.match(/'"__[A-Z_]+__"'/g)?.map((p) => p.slice(1, -1)));
      expect([...inJson].sort()).toEqual([...inBicep].sort());
      // What fills them: every region's component and every namespace.
      const workbook = d.modules().find((m) => m.path === 'modules/workbook.bicep')!;
      expect(workbook.params.appInsightsResourceIds).toHaveLength(d.regions().length);
      expect(workbook.params.serviceBusNamespaceResourceIds).toHaveLength(d.serviceBusNamespaces().length);
    },
  );

  it('workbook.json parses and has every section, each reading the right tables and metrics', () => {
    expect(workbookProblems(readFileSync(WORKBOOK_JSON, 'utf8'))).toEqual([]);
    expect(Object.keys(WORKBOOK_SECTIONS)).toEqual([
      'section-requests',
      'section-cosmos',
      'section-service-bus',
      'section-partners',
      'section-outbox',
    ]);
  });

  it('a section removed, a query changed, a metric split dropped or an unfilled placeholder is reported (fixtures)', () => {
    const json = readFileSync(WORKBOOK_JSON, 'utf8');
    const parsed = JSON.parse(json) as { items: { name: string; content: { items?: { content: Record<string, unknown> }[] } }[] };
    const edit = (f: (w: typeof parsed) => void) => {
      const copy = structuredClone(parsed);
      f(copy);
      return JSON.stringify(copy);
    };
    expect(workbookProblems(edit((w) => (w.items = w.items.filter((i) => i.name !== 'section-outbox'))))).toContain(
      'no section section-outbox',
    );
    const cosmos = (w: typeof parsed) => w.items.find((i) => i.name === 'section-cosmos')!.content.items!;
    expect(workbookProblems(edit((w) => delete cosmos(w)[1]!.content.filters)).join('\n')).toMatch(
      /section-cosmos: no metric chart TotalRequests by CollectionName where StatusCode=429/,
    );
    expect(workbookProblems(edit((w) => delete cosmos(w)[0]!.content.splitBy)).join('\n')).toMatch(
      /no metric chart TotalRequestUnits by CollectionName/,
    );
    const requests = (w: typeof parsed) => w.items.find((i) => i.name === 'section-requests')!.content.items!;
    expect(
      workbookProblems(
        edit((w) => {
          const q = requests(w)[0]!.content;
          q.query = String(q.query).replace('percentile(duration, 99)', 'percentile(duration, 90)');
        }),
      ).join('\n'),
    ).toMatch(/section-requests: no query matching/);
    expect(workbookProblems(json.replace('"__COSMOS_ACCOUNT_IDS__"', '"__COSMOS_IDS__"')).join('\n')).toMatch(
      /a placeholder workbook.bicep does not fill: "__COSMOS_IDS__"/,
    );
    expect(workbookProblems('{ "version": ')[0]).toMatch(/does not parse/);
  });
});

describe('the alerts of issue 23', () => {
  it("the SLA's first step, read from docs/sla.md, is 22.5 minutes", () => {
    expect(slaFirstStepSeconds()).toBe(1350);
  });

  it.each(ENVIRONMENTS)(
    "%s: any dead letter, message age over the SLA's first step, messages not draining, 5xx rate, Cosmos 429 per container, breaker open > 5 min, outbox backlog: per region, to on-call",
    (env) => {
      expect(alertProblems(Deployment.of(project, env))).toEqual([]);
    },
  );

  it.each(ENVIRONMENTS)('%s: a failed infrastructure deployment and a failed or rolled-back rollout page on-call', (env) => {
    expect(deploymentNoticeProblems(Deployment.of(project, env))).toEqual([]);
    // On the primary's component, the one deployment-notice.ts sends to (rg-algesta-<env>/appi-algesta-<env>).
    const alerts = readFileSync(ALERTS, 'utf8');
    expect(alerts).toContain('var primaryApp = apps[0]');
    expect(alerts).toMatch(/module deploymentNotices [\s\S]*?scopes: \[primaryApp\.appInsightsResourceId\]/);
    expect(readFileSync(join(REPO, 'infra/main.bicep'), 'utf8')).toMatch(
      /appInsightsResourceId: monitoring\.outputs\.appInsightsResourceId[\s\S]*appInsights: 'appi-algesta-\$\{environmentName\}'|appInsights: 'appi-algesta-\$\{environmentName\}'[\s\S]*apps: concat\(\s*\[\s*\{\s*location: location\s*appInsightsResourceId: monitoring\.outputs\.appInsightsResourceId/,
    );
    // The deployment the activity log alert watches is the one deploy.yml creates.
    expect(readFileSync(join(REPO, 'infra/pipelines/deploy.yml'), 'utf8')).toMatch(
      /- name: deploymentName\n\s+value: algesta-\$\{\{ parameters\.parameterFile \}\}/,
    );
  });

  it('an alert removed, a threshold changed or an alert no longer routed to on-call is reported (fixtures)', async () => {
    const report = async (change: (t: string) => string) =>
      alertProblems(Deployment.of(await withAlerts(change), 'prod')).join('\n');
    expect(await report(without('breakerOpen'))).toMatch(
      /breaker open: 0 alerts on algesta\.partner\.circuit_open, not one per region \(2\)/,
    );
    expect(await report(without('messageAge'))).toMatch(/message age: 0 alerts/);
    expect(await report(without('outboxBacklog'))).toMatch(/outbox backlog: 0 alerts/);
    expect(await report(without('notDraining'))).toMatch(/messages not draining: 0 alerts for 2 namespaces/);
    expect(await report((t) => t.replace('var slaFirstStepSeconds = 1350', 'var slaFirstStepSeconds = 3600'))).toMatch(
      /message age .*: threshold 3600, not 1350/,
    );
    expect(await report((t) => t.replace('var outboxBacklogSeconds = 600', 'var outboxBacklogSeconds = 1800'))).toMatch(
      /outbox backlog .*: threshold 1800, not 600/,
    );
    // Dead letters only past a count: not "any".
    expect(
      await report((t) =>
        t.replace(
          "metricName: 'DeadletteredMessages'\n            dimensions: [\n              {\n                name: 'EntityName'\n                operator: 'Include'\n                values: ['*']\n              }\n            ]\n            operator: 'GreaterThan'\n            threshold: 0",
          "metricName: 'DeadletteredMessages'\n            dimensions: [\n              {\n                name: 'EntityName'\n                operator: 'Include'\n                values: ['*']\n              }\n            ]\n            operator: 'GreaterThan'\n            threshold: 5",
        ),
      ),
    ).toMatch(/dead letters: not "any dead letter"/);
    expect(
      await report((t) =>
        t.replace(
          /(module breakerOpen [\s\S]*?)actionGroupResourceIds: \[actionGroup\.outputs\.resourceId\]/,
          "$1actionGroupResourceIds: ['/subscriptions/x/resourceGroups/y/providers/Microsoft.Insights/actionGroups/other']",
        ),
      ),
    ).toMatch(/breaker open .*: not routed to the on-call action group/);
  });

  it('the deployment alerts removed or pointed elsewhere are reported (fixtures)', async () => {
    const report = async (change: (t: string) => string) =>
      deploymentNoticeProblems(Deployment.of(await withAlerts(change), 'prod')).join('\n');
    expect(await report(without('deploymentFailed'))).toMatch(/failed deployments: 0 activity log alerts/);
    expect(await report(without('deploymentNotices'))).toMatch(/deployment notices: 0 alerts on algesta\.deployment\.failed/);
    expect(
      await report((t) =>
        t.replace(
          "subscriptionResourceId('Microsoft.Resources/deployments', namePrefix)",
          "subscriptionResourceId('Microsoft.Resources/deployments', 'other')",
        ),
      ),
    ).toMatch(/failed deployments: not matched to the deployment Microsoft.Resources\/deployments\/algesta-prod/);
  });

  it('dev keeps its alerts and its workbook (the files list every module main.bicep calls)', () => {
    const d = Deployment.of(project, 'dev');
    expect(alertProblems(d)).toEqual([]);
    expect(d.resources().filter((r) => r.type === 'Microsoft.Insights/workbooks')).toHaveLength(1);
    expect(INFRA_FILES()).toContain(join(INFRA, 'modules/workbook.bicep'));
  });
});
