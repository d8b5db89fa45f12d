/**
 * The Azure CLI commands of the rollout (infra/scripts/rollout.ts), each through the one runner of
 * az.ts, so that test/infra/rollout.test.ts sees them as a fake `az` on PATH records them.
 */
import { azJson, type Az } from './az.ts';
import type { FrontDoor, RegionApp } from './deployment-outputs.ts';

/** `az afd origin <verb>` for one origin of the Front Door's origin group, then `more` arguments. */
export const originCommand = (verb: 'show' | 'update', fd: FrontDoor, origin: string, ...more: string[]): string[] => [
  'afd',
  'origin',
  verb,
  '--resource-group',
  fd.resourceGroup,
  '--profile-name',
  fd.profile,
  '--origin-group-name',
  fd.originGroup,
  '--origin-name',
  origin,
  ...more,
];

/**
 * `az afd origin update --enabled-state Enabled|Disabled` (learn.microsoft.com/cli/azure/afd/origin,
 * "az afd origin update"); the answer is the origin (AFDOrigin), whose enabledState must be the one
 * asked for.
 */
export function setOrigin(run: Az, fd: FrontDoor, origin: string, state: 'Enabled' | 'Disabled'): void {
  const answer = azJson<{ enabledState?: string }>(run, originCommand('update', fd, origin, '--enabled-state', state));
  if (answer.enabledState !== state)
    throw new Error(`origin ${origin} is ${answer.enabledState ?? 'in no state'} after the update`);
}

const settingsUri = (app: Pick<RegionApp, 'name' | 'resourceGroup'>, action: '/list' | '') =>
  // {subscriptionId} is filled in by az rest from the signed-in subscription (az rest --uri help).
  `/subscriptions/{subscriptionId}/resourceGroups/${app.resourceGroup}/providers/Microsoft.Web/sites/${app.name}` +
  `/config/appsettings${action}?api-version=2024-04-01`;

/** The app's settings (Web Apps - List Application Settings: a StringDictionary); names and Key Vault references only. */
export function listSettings(run: Az, app: RegionApp): Record<string, string> {
  const answer = azJson<{ properties?: Record<string, string> }>(run, [
    'rest',
    '--method',
    'post',
    '--uri',
    settingsUri(app, '/list'),
  ]);
  if (!answer.properties) throw new Error(`no properties in the app settings of ${app.name}`);
  return answer.properties;
}

/** PUT replaces the whole set (Web Apps - Update Application Settings): settings added since go again. */
export function putSettings(run: Az, app: RegionApp, file: string): void {
  azJson(run, ['rest', '--method', 'put', '--uri', settingsUri(app, ''), '--body', `@${file}`]);
}

interface TaggedSite {
  readonly name: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly type: string;
  readonly tags?: Record<string, string> | null;
}

/** The env's Function Apps by tag, in any resource group (a failed deployment has no outputs). */
export function findAppsByTag(run: Az, envName: string): RegionApp[] {
  // One tag per `az resource list --tag`; the type and the service tag are filtered here.
  const resources = azJson<TaggedSite[]>(run, ['resource', 'list', '--tag', `azd-env-name=${envName}`]);
  return resources
    .filter((r) => r.type.toLowerCase() === 'microsoft.web/sites' && r.tags?.['azd-service-name'] === 'api')
    .map((r) => {
      const site = azJson<{ defaultHostName?: string }>(run, [
        'functionapp',
        'show',
        '--resource-group',
        r.resourceGroup,
        '--name',
        r.name,
      ]);
      if (!site.defaultHostName) throw new Error(`${r.name} has no defaultHostName`);
      return {
        name: r.name,
        resourceGroup: r.resourceGroup,
        region: r.location,
        url: `https://${site.defaultHostName}`,
        origin: '',
        // After a failed infrastructure deployment the rollout never ran, so no gateway got new routes.
        gateway: '',
        // No outputs to name the region's gateway: checked at the app's own host, which with private
        // networking answers only the gateway's subnet (docs/infrastructure.md, "The pipeline's path").
        checkUrl: `https://${site.defaultHostName}`,
      };
    });
}
