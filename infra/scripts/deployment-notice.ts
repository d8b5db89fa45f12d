/**
 * Tells the on-call group that a deployment failed or rolled back: one custom event,
 * `algesta.deployment.failed`, sent to the environment's primary Application Insights component;
 * the "Deployment failed" log alert (infra/modules/alerts.bicep) pages the `<prefix>-oncall` action
 * group when it sees one (docs/operations.md, "Deployment failed"). A failure of the Bicep step
 * itself is also caught by the activity log alert on failed deployments, without this script.
 *
 * The component accepts only Microsoft Entra-authenticated telemetry (`disableLocalAuth`,
 * infra/modules/monitoring.bicep), so the event goes to the ingestion endpoint with a bearer token
 * of the pipeline's identity for https://monitor.azure.com, which holds Monitoring Metrics Publisher
 * on the component (alerts.bicep; learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication).
 * The endpoint and the token's scope are the ones Microsoft's exporter uses
 * (@azure/monitor-opentelemetry-exporter: `<IngestionEndpoint>/v2.1/track`, scope
 * `https://monitor.azure.com/.default`). Node builtins and az.ts only: the agent runs it with
 * `node --experimental-strip-types`, without npm install.
 *
 * A notice never changes the deployment's outcome: `notifyDeploymentFailure` logs a warning when it
 * cannot send, and returns.
 */
import { azJson, type Az } from './az.ts';

export const NOTICE_EVENT = 'algesta.deployment.failed';

export interface DeploymentNotice {
  /** The parameter file's name (dev, staging, prod): environmentName in main.bicep. */
  readonly environment: string;
  /** The step that failed: drain, publish, readiness, smoke test, enable, infrastructure, ... */
  readonly step: string;
  /** The region it failed in, `front-door` or `all`. */
  readonly region: string;
  readonly reason: string;
  /** Whether every region touched is back on the previous package. */
  readonly rolledBack: boolean;
}

/** Where the notice goes: the primary's component (main.bicep names it appi-algesta-<env> in rg-algesta-<env>). */
export function componentOf(environment: string): { resourceGroup: string; name: string } {
  return { resourceGroup: `rg-algesta-${environment}`, name: `appi-algesta-${environment}` };
}

/** The instrumentation key and ingestion endpoint of a connection string. */
export function parseConnectionString(connectionString: string): { iKey: string; ingestionEndpoint: string } {
  const parts = new Map(
    connectionString
      .split(';')
      .map((p) => p.split('='))
      .filter((kv) => kv.length >= 2)
      .map(([k, ...v]) => [k!.trim().toLowerCase(), v.join('=').trim()] as const),
  );
  const iKey = parts.get('instrumentationkey');
  const ingestionEndpoint = parts.get('ingestionendpoint');
  if (!iKey || !ingestionEndpoint) throw new Error('the connection string has no InstrumentationKey or IngestionEndpoint');
  return { iKey, ingestionEndpoint: ingestionEndpoint.replace(/\/+$/, '') };
}

/** The event as the track API takes it (an Application Insights envelope with EventData). */
export function noticeEnvelope(notice: DeploymentNotice, iKey: string, time: Date, run: string): object[] {
  return [
    {
      name: 'Microsoft.ApplicationInsights.Event',
      time: time.toISOString(),
      iKey,
      tags: { 'ai.cloud.role': 'algesta-pipeline' },
      data: {
        baseType: 'EventData',
        baseData: {
          ver: 2,
          name: NOTICE_EVENT,
          properties: {
            environment: notice.environment,
            step: notice.step,
            region: notice.region,
            // Long az errors are cut: the pipeline log has the whole text.
            reason: notice.reason.slice(0, 500),
            rolledBack: String(notice.rolledBack),
            run,
          },
        },
      },
    },
  ];
}

export interface NoticeEffects {
  readonly az: Az;
  readonly log: (line: string) => void;
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
  /** The pipeline run (Build.BuildNumber), shown with the alert. */
  readonly run?: string;
}

/** Sends the notice; throws when it cannot (no component, no token, ingestion refused). */
export async function sendDeploymentNotice(notice: DeploymentNotice, effects: NoticeEffects): Promise<void> {
  const component = componentOf(notice.environment);
  const connectionString = azJson<string>(effects.az, [
    'resource',
    'show',
    '--resource-group',
    component.resourceGroup,
    '--name',
    component.name,
    '--resource-type',
    'Microsoft.Insights/components',
    '--query',
    'properties.ConnectionString',
  ]);
  const { iKey, ingestionEndpoint } = parseConnectionString(connectionString);
  const token = azJson<string>(effects.az, [
    'account',
    'get-access-token',
    '--resource',
    'https://monitor.azure.com',
    '--query',
    'accessToken',
  ]);
  const body = JSON.stringify(noticeEnvelope(notice, iKey, (effects.now ?? (() => new Date()))(), effects.run ?? ''));
  const response = await (effects.fetch ?? fetch)(`${ingestionEndpoint}/v2.1/track`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const answer = await response.text();
  if (!response.ok) throw new Error(`ingestion answered ${response.status}: ${answer.slice(0, 300)}`);
  // 200 with itemsAccepted < itemsReceived: the event was dropped (the body says why).
  const accepted = /"itemsAccepted"\s*:\s*(\d+)/.exec(answer)?.[1];
  if (accepted === '0') throw new Error(`ingestion accepted nothing: ${answer.slice(0, 300)}`);
}

/** Sends the notice and logs the outcome; a notice that cannot be sent is a warning, never a failure. */
export async function notifyDeploymentFailure(notice: DeploymentNotice, effects: NoticeEffects): Promise<boolean> {
  try {
    await sendDeploymentNotice(notice, effects);
    effects.log(`on-call notified: ${NOTICE_EVENT} (${notice.step} ${notice.region}, rolled back: ${notice.rolledBack})`);
    return true;
  } catch (err) {
    effects.log(
      `##vso[task.logissue type=warning]The on-call notice could not be sent (${err instanceof Error ? err.message : String(err)}); ` +
        'the failed deployment is still reported by the pipeline and, for the Bicep step, by the activity log alert.',
    );
    return false;
  }
}
