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
  readonly id: string;
  readonly name: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly type: string;
  readonly tags?: Record<string, string> | null;
}

/**
 * One property of a resource as Azure Resource Manager returns it (`properties.<name>`): the API
 * Management service's `gatewayUrl` (learn.microsoft.com/rest/api/apimanagement/api-management-service/get)
 * and the Front Door profile's `frontDoorId` (learn.microsoft.com/rest/api/frontdoor/azurefrontdoorstandardpremium/profiles/get).
 */
function armProperty(run: Az, id: string, name: string): string {
  const value = azJson<unknown>(run, ['resource', 'show', '--ids', id, '--query', `properties.${name}`]);
  return typeof value === 'string' ? value : '';
}

/** What `rollback-only` finds by tag: the apps, each with its region's gateway, and the profile's id. */
export interface TaggedDeployment {
  readonly apps: RegionApp[];
  /** The Front Door profile's frontDoorId, which the gateways require as X-Azure-FDID; '' without. */
  readonly frontDoorId: string;
}

/**
 * The env's Function Apps by tag, in any resource group (a failed deployment has no outputs), each
 * with the API Management gateway of its resource group when there is one (main.bicep gives both the
 * environment's tags): with private networking the app's own host answers only that gateway's subnet,
 * so the rollback checks the region through the gateway, as the rollout does.
 */
export function findDeploymentByTag(run: Az, envName: string): TaggedDeployment {
  // One tag per `az resource list --tag`; the types and the service tag are filtered here.
  const resources = azJson<TaggedSite[]>(run, ['resource', 'list', '--tag', `azd-env-name=${envName}`]);
  const ofType = (type: string) => resources.filter((r) => r.type.toLowerCase() === type);
  const gateways = ofType('microsoft.apimanagement/service');
  const apps = ofType('microsoft.web/sites')
    .filter((r) => r.tags?.['azd-service-name'] === 'api')
    .map((r): RegionApp => {
      const site = azJson<{ defaultHostName?: string }>(run, [
        'functionapp',
        'show',
        '--resource-group',
        r.resourceGroup,
        '--name',
        r.name,
      ]);
      if (!site.defaultHostName) throw new Error(`${r.name} has no defaultHostName`);
      const url = `https://${site.defaultHostName}`;
      const gateway = gateways.find((g) => g.resourceGroup.toLowerCase() === r.resourceGroup.toLowerCase());
      return {
        name: r.name,
        resourceGroup: r.resourceGroup,
        region: r.location,
        url,
        origin: '',
        // The rollback imports the previous package's document into it again: the routes the last
        // successful run imported, since the rollout never ran after it.
        gateway: gateway?.name ?? '',
        checkUrl: (gateway && armProperty(run, gateway.id, 'gatewayUrl').replace(/\/+$/, '')) || url,
      };
    });
  const profile = ofType('microsoft.cdn/profiles')[0];
  const frontDoorId = profile && apps.some((a) => a.gateway) ? armProperty(run, profile.id, 'frontDoorId') : '';
  return { apps, frontDoorId };
}
