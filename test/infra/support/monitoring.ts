/**
 * What "seeing the system" (issue 23) requires of a deployment, as a list of problems: the alerts it
 * names, each with its threshold, once per region (or namespace) and routed to the on-call action
 * group; the deployment-failure notices; and the workbook with every section, each querying the
 * right tables and metrics. test/infra/workbook.test.ts runs it on the parameter files and on
 * fixtures with a piece removed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './bicep';
import { type BicepObject, Unknown, type Value } from './evaluate';
import { type Deployment, get } from './infra';

/** The SLA's first step in seconds: 75 % of a P1 order's acknowledge clock (docs/sla.md). */
export function slaFirstStepSeconds(): number {
  const sla = readFileSync(join(REPO, 'docs/sla.md'), 'utf8');
  const p1Acknowledge = /^\| `acknowledge` \|[^|]+\| (\d+) min /m.exec(sla)?.[1];
  const atRisk = /At (\d+) % of a running clock the order raises `order\.sla-at-risk`/.exec(sla)?.[1];
  if (!p1Acknowledge || !atRisk) throw new Error('docs/sla.md no longer states the P1 acknowledge clock or the at-risk mark');
  return (Number(p1Acknowledge) * 60 * Number(atRisk)) / 100;
}

const toActionGroup = (v: Value | undefined) => v instanceof Unknown && v.text === 'actionGroup.outputs.resourceId';

interface LogAlert {
  readonly name: string;
  readonly query: string;
  readonly threshold: Value | undefined;
  readonly operator: Value | undefined;
  readonly scope: Value | undefined;
  readonly routed: boolean;
}

function logAlerts(d: Deployment): LogAlert[] {
  return d.registryModules('avm/res/insights/scheduled-query-rule').map(({ params: p }) => ({
    name: String(p.name instanceof Unknown ? p.name.text : p.name),
    query: String(get(p, 'criterias', 'allOf', 0, 'query')),
    threshold: get(p, 'criterias', 'allOf', 0, 'threshold'),
    operator: get(p, 'criterias', 'allOf', 0, 'operator'),
    scope: get(p, 'scopes', 0),
    routed: toActionGroup(get(p, 'actions', 'actionGroupResourceIds', 0)),
  }));
}

/** The names the code gives its instruments (shared/platform/telemetry-sdk.ts). */
function instrumentsInCode(): Set<string> {
  const sdk = readFileSync(join(REPO, 'shared/platform/telemetry-sdk.ts'), 'utf8');
  return new Set([...sdk.matchAll(/create(?:Counter|Histogram|ObservableGauge)\(\s*'([^']+)'/g)].map((m) => m[1]!));
}

export function alertProblems(d: Deployment): string[] {
  const problems: string[] = [];
  const regions = d.regions().length;
  const namespaces = d.serviceBusNamespaces().length;
  const logs = logAlerts(d);
  const code = instrumentsInCode();

  const onMetric = (label: string, metric: string, threshold: number, measure: RegExp) => {
    if (!code.has(metric)) problems.push(`${label}: the code creates no instrument ${metric}`);
    const found = logs.filter((a) => a.query.startsWith(`customMetrics | where name == "${metric}"`));
    if (found.length !== regions) problems.push(`${label}: ${found.length} alerts on ${metric}, not one per region (${regions})`);
    for (const a of found) {
      if (a.threshold !== threshold) problems.push(`${label} ${a.name}: threshold ${String(a.threshold)}, not ${threshold}`);
      if (a.operator !== 'GreaterThan') problems.push(`${label} ${a.name}: operator ${String(a.operator)}`);
      if (!measure.test(a.query)) problems.push(`${label} ${a.name}: the query does not compute ${measure}`);
      if (!a.routed) problems.push(`${label} ${a.name}: not routed to the on-call action group`);
    }
  };
  onMetric('message age', 'algesta.messages.delivery_lag', slaFirstStepSeconds(), /max\(valueMax\)/);
  onMetric('breaker open', 'algesta.partner.circuit_open', 5, /openMinutes = \(lastOpen - iff\(isnull\(lastClosed\)/);
  onMetric('outbox backlog', 'algesta.outbox.oldest_unrelayed_age', 600, /max\(valueMax\)/);

  const metricAlerts = d.registryModules('avm/res/insights/metric-alert').map((m) => m.params);
  const criteria = (p: BicepObject) => (get(p, 'criteria', 'allof') as BicepObject[] | undefined) ?? [];
  const deadLetters = metricAlerts.filter((p) => criteria(p).some((c) => c.metricName === 'DeadletteredMessages'));
  if (deadLetters.length !== namespaces) problems.push(`dead letters: ${deadLetters.length} alerts for ${namespaces} namespaces`);
  for (const p of deadLetters) {
    const c = criteria(p)[0]!;
    if (c.threshold !== 0 || c.operator !== 'GreaterThan') problems.push('dead letters: not "any dead letter" (> 0)');
    if (!toActionGroup(get(p, 'actions', 0))) problems.push('dead letters: not routed to the on-call action group');
  }
  const topic = /var topicName = '([^']+)'/.exec(readFileSync(join(REPO, 'infra/modules/servicebus.bicep'), 'utf8'))?.[1];
  const notDraining = metricAlerts.filter((p) => criteria(p).some((c) => c.metricName === 'CompleteMessage'));
  if (notDraining.length !== namespaces)
    problems.push(`messages not draining: ${notDraining.length} alerts for ${namespaces} namespaces`);
  for (const p of notDraining) {
    const byMetric = Object.fromEntries(criteria(p).map((c) => [String(c.metricName), c]));
    const active = byMetric.ActiveMessages;
    const completed = byMetric.CompleteMessage;
    if (active?.timeAggregation !== 'Minimum' || active.operator !== 'GreaterThan' || active.threshold !== 0)
      problems.push('messages not draining: active messages are not "above zero all along"');
    if (completed?.timeAggregation !== 'Total' || completed.operator !== 'LessThan' || completed.threshold !== 1)
      problems.push('messages not draining: completions are not "none"');
    for (const c of [active, completed])
      if (JSON.stringify(get(c ?? {}, 'dimensions', 0, 'values')) !== JSON.stringify([topic]))
        problems.push(`messages not draining: not on the topic ${topic}`);
    if (!toActionGroup(get(p, 'actions', 0))) problems.push('messages not draining: not routed to the on-call action group');
  }
  const throttling = metricAlerts.filter((p) => criteria(p).some((c) => c.metricName === 'TotalRequests'));
  if (throttling.length !== 1) problems.push(`Cosmos 429: ${throttling.length} alerts, not 1`);
  for (const p of throttling) {
    const dims = (get(p, 'criteria', 'allof', 0, 'dimensions') as BicepObject[] | undefined) ?? [];
    if (!dims.some((x) => x.name === 'StatusCode' && JSON.stringify(x.values) === '["429"]'))
      problems.push('Cosmos 429: not on status code 429');
    if (!dims.some((x) => x.name === 'CollectionName')) problems.push('Cosmos 429: not per container');
  }
  const http5xx = logs.filter((a) => /countif\(toint\(resultCode\) >= 500\)/.test(a.query));
  if (http5xx.length !== regions) problems.push(`HTTP 5xx rate: ${http5xx.length} alerts, not one per region`);
  for (const a of http5xx) if (a.threshold !== 5 || !a.routed) problems.push(`HTTP 5xx rate ${a.name}: threshold or routing`);
  return problems;
}

export function deploymentNoticeProblems(d: Deployment): string[] {
  const problems: string[] = [];
  const notice = readFileSync(join(REPO, 'infra/scripts/deployment-notice.ts'), 'utf8');
  const event = /export const NOTICE_EVENT = '([^']+)'/.exec(notice)?.[1];
  const logs = logAlerts(d);
  // The primary's component: the scope of the primary's function-failures alert (no region in its name).
  const primary = logs.find((a) => a.name === `algesta-${d.environment}-function-failures`)?.scope;
  const onEvent = logs.filter((a) => a.query.startsWith(`customEvents | where name == "${event}"`));
  if (onEvent.length !== 1) problems.push(`deployment notices: ${onEvent.length} alerts on ${event}, not 1`);
  for (const a of onEvent) {
    if (a.threshold !== 0 || a.operator !== 'GreaterThan') problems.push('deployment notices: not "any notice"');
    // On the primary's component: the one deployment-notice.ts sends to (appi-algesta-<env>).
    if (!(a.scope instanceof Unknown && primary instanceof Unknown && a.scope.text === primary.text))
      problems.push('deployment notices: not on an Application Insights component');
    if (!a.routed) problems.push('deployment notices: not routed to the on-call action group');
  }
  const activity = d.registryModules('avm/res/insights/activity-log-alert').map((m) => m.params);
  const failed = activity.filter((p) => {
    const conditions = (p.conditions as BicepObject[] | undefined) ?? [];
    const has = (field: string, value: string) => conditions.some((c) => c.field === field && c.equals === value);
    return (
      has('operationName', 'Microsoft.Resources/deployments/write') &&
      has('status', 'Failed') &&
      has('category', 'Administrative')
    );
  });
  if (failed.length !== 1) problems.push(`failed deployments: ${failed.length} activity log alerts, not 1`);
  for (const p of failed) {
    const resource = ((p.conditions as BicepObject[]).find((c) => c.field === 'resourceId')?.equals ?? null) as Value;
    // The deployment the pipeline runs: az deployment sub create --name algesta-<parameter file>.
    const expected = `Microsoft.Resources/deployments/algesta-${d.environment}`;
    if (!(resource instanceof Unknown && (resource.sample ?? '').endsWith(expected)))
      problems.push(`failed deployments: not matched to the deployment ${expected}`);
    if (!toActionGroup(get(p, 'actions', 0, 'actionGroupId')))
      problems.push('failed deployments: not routed to the on-call action group');
  }
  return problems;
}

/** A workbook section: its item name in workbook.json and what its queries must read. */
export const WORKBOOK_SECTIONS: Record<string, { readonly queries: readonly RegExp[]; readonly metrics: readonly string[] }> = {
  'section-requests': {
    queries: [
      /^requests\n[\s\S]*percentile\(duration, 50\)[\s\S]*percentile\(duration, 95\)[\s\S]*percentile\(duration, 99\)[\s\S]*by region = appName, function = operation_Name/,
      /^requests\n[\s\S]*where success == false[\s\S]*function = operation_Name/,
    ],
    metrics: [],
  },
  'section-cosmos': {
    queries: [],
    metrics: ['TotalRequestUnits by CollectionName', 'TotalRequests by CollectionName where StatusCode=429'],
  },
  'section-service-bus': {
    queries: [/^customMetrics\n\| where name == "algesta\.messages\.delivery_lag"[\s\S]*customDimensions\["consumer"\]/],
    metrics: ['ActiveMessages by EntityName', 'DeadletteredMessages by EntityName'],
  },
  'section-partners': {
    queries: [
      /^dependencies\n[\s\S]*failures = countif\(success == false\)[\s\S]*percentile\(duration, 95\)[\s\S]*partner = target/,
      /^customMetrics\n\| where name == "algesta\.partner\.failures"/,
      /^customMetrics\n\| where name == "algesta\.partner\.circuit_open"/,
    ],
    metrics: [],
  },
  'section-outbox': {
    queries: [/^customMetrics\n\| where name in \("algesta\.outbox\.unrelayed", "algesta\.outbox\.oldest_unrelayed_age"\)/],
    metrics: [],
  },
};

interface WorkbookItem {
  readonly type: number;
  readonly name?: string;
  readonly content: {
    readonly items?: WorkbookItem[];
    readonly query?: string;
    readonly crossComponentResources?: unknown;
    readonly resourceIds?: unknown;
    readonly metrics?: { metric: string }[];
    readonly splitBy?: { dimension: string }[];
    readonly filters?: { key: string; values: string[] }[];
  };
}

/** The placeholders workbook.bicep fills, with sample IDs of the right resource types. */
export const WORKBOOK_SAMPLES: Record<string, string[]> = {
  __APP_INSIGHTS_IDS__: ['/subscriptions/s/resourceGroups/rg/providers/Microsoft.Insights/components/appi-a'],
  __COSMOS_ACCOUNT_IDS__: ['/subscriptions/s/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-a'],
  __SERVICE_BUS_NAMESPACE_IDS__: ['/subscriptions/s/resourceGroups/rg/providers/Microsoft.ServiceBus/namespaces/sb-a'],
};

export function workbookProblems(json: string): string[] {
  const problems: string[] = [];
  let filled = json;
  for (const [placeholder, ids] of Object.entries(WORKBOOK_SAMPLES))
    filled = filled.split(`"${placeholder}"`).join(JSON.stringify(ids));
  let workbook: { version?: string; items?: WorkbookItem[] };
  try {
    workbook = JSON.parse(filled) as typeof workbook;
  } catch (err) {
    return [`workbook.json does not parse: ${String(err)}`];
  }
  if (workbook.version !== 'Notebook/1.0') problems.push(`workbook version ${workbook.version}`);
  const leftover = /"__[A-Z_]+__"/.exec(filled);
  if (leftover) problems.push(`a placeholder workbook.bicep does not fill: ${leftover[0]}`);
  for (const [name, want] of Object.entries(WORKBOOK_SECTIONS)) {
    const section = workbook.items?.find((i) => i.name === name);
    if (!section) {
      problems.push(`no section ${name}`);
      continue;
    }
    const items = section.content.items ?? [];
    const queries = items.filter((i) => i.type === 3);
    for (const q of queries)
      if (JSON.stringify(q.content.crossComponentResources) !== JSON.stringify(WORKBOOK_SAMPLES.__APP_INSIGHTS_IDS__))
        problems.push(`${name}/${q.name}: not across every region's Application Insights`);
    for (const re of want.queries)
      if (!queries.some((q) => re.test(q.content.query ?? ''))) problems.push(`${name}: no query matching ${re}`);
    const metrics = items
      .filter((i) => i.type === 10)
      .flatMap((i) =>
        (i.content.metrics ?? []).map((m) => {
          const where = (i.content.filters ?? []).map((f) => ` where ${f.key}=${f.values.join(',')}`).join('');
          return `${m.metric.split('-').at(-1)} by ${(i.content.splitBy ?? []).map((s) => s.dimension).join(',')}${where}`;
        }),
      );
    for (const m of want.metrics)
      if (!metrics.includes(m)) problems.push(`${name}: no metric chart ${m} (has ${metrics.join('; ')})`);
  }
  return problems;
}
