/**
 * The deployment's outputs as the rollout reads them: the contract of main.bicep with the pipeline
 * (design point 7 of issue 20). `az deployment sub create --query properties.outputs` writes them as
 * `{ NAME: { type, value } }`; infra/scripts/rollout.ts turns them into a plan here.
 */

/** One entry of the AZURE_FUNCTION_APPS output (main.bicep), in rollout order. */
export interface RegionApp {
  readonly name: string;
  readonly resourceGroup: string;
  readonly region: string;
  readonly url: string;
  /** The Front Door origin that sends traffic to this app; '' without Front Door. */
  readonly origin: string;
  /**
   * This region's API Management gateway (same resource group as the app), '' without one: the
   * rollout imports the app's routes into it (gateway-import.ts). Absent from older outputs.
   */
  readonly gateway: string;
  /**
   * Where the pipeline checks this region (readiness, smoke test, version): its gateway's URL when it
   * has one, else `url`. With private networking the app's own host answers only its gateway's subnet,
   * so the gateway is the one way in from the agent. Absent from older outputs: `url`.
   */
  readonly checkUrl: string;
}

export interface FrontDoor {
  readonly profile: string;
  readonly resourceGroup: string;
  readonly originGroup: string;
  readonly url: string;
}

export interface Plan {
  readonly apps: readonly RegionApp[];
  readonly frontDoor?: FrontDoor;
  /** The dashboard's origin, for the smoke test's CORS check ('' = no CORS check). */
  readonly dashboardOrigin: string;
  /**
   * AZURE_FRONT_DOOR_ID: the profile's frontDoorId, which each gateway requires as X-Azure-FDID
   * (infra/gateway/policies/global.xml); '' without a gateway, and in older outputs.
   */
  readonly frontDoorId: string;
}

/**
 * The headers the pipeline sends when it checks `app` at its checkUrl: the gateway refuses any request
 * without this profile's X-Azure-FDID (but GET /api/health/ready), and accepts the pipeline as it
 * accepts Front Door. None for an app checked at its own host (no gateway in its region).
 */
export function checkHeaders(plan: Pick<Plan, 'frontDoorId'>, app: RegionApp): Record<string, string> {
  return app.gateway && plan.frontDoorId ? { 'X-Azure-FDID': plan.frontDoorId } : {};
}

/** The outputs of main.bicep the rollout reads (design point 7 of issue 20). */
export const ROLLOUT_OUTPUTS = [
  'AZURE_FUNCTION_APPS',
  'AZURE_FRONT_DOOR_PROFILE',
  'AZURE_FRONT_DOOR_RESOURCE_GROUP',
  'AZURE_FRONT_DOOR_ORIGIN_GROUP',
  'AZURE_FRONT_DOOR_URL',
  'AZURE_DASHBOARD_ORIGINS',
  'AZURE_FRONT_DOOR_ID',
] as const;

/**
 * What a template without AZURE_FUNCTION_APPS (one region, before the multi-region outputs) gives:
 * the single app, read as a one-region plan without Front Door.
 */
export const SINGLE_APP_OUTPUTS = [
  'AZURE_FUNCTION_APP_NAME',
  'AZURE_FUNCTION_APP_URL',
  'AZURE_RESOURCE_GROUP',
  'AZURE_LOCATION',
] as const;

/** Reads the deployment outputs (`az deployment sub create --query properties.outputs`). */
export function planFromOutputs(outputs: Record<string, { value?: unknown } | undefined>): Plan {
  const value = (name: string): unknown => outputs[name]?.value;
  const text = (name: string): string => {
    const v = value(name);
    return typeof v === 'string' ? v : '';
  };
  const single = (): unknown[] | undefined =>
    SINGLE_APP_OUTPUTS.every((n) => text(n))
      ? [
          {
            name: text('AZURE_FUNCTION_APP_NAME'),
            resourceGroup: text('AZURE_RESOURCE_GROUP'),
            region: text('AZURE_LOCATION'),
            url: text('AZURE_FUNCTION_APP_URL'),
            origin: '',
            gateway: '',
            checkUrl: text('AZURE_FUNCTION_APP_URL'),
          },
        ]
      : undefined;
  const apps = value('AZURE_FUNCTION_APPS') ?? single();
  if (!Array.isArray(apps) || apps.length === 0) throw new Error('the outputs have no AZURE_FUNCTION_APPS array');
  const plan: RegionApp[] = apps.map((a: Record<string, unknown>, i) => {
    const field = (k: string): string => (typeof a[k] === 'string' ? (a[k] as string) : '');
    for (const k of ['name', 'resourceGroup', 'region', 'url'])
      if (!field(k)) throw new Error(`AZURE_FUNCTION_APPS[${i}] has no ${k}`);
    return {
      name: field('name'),
      resourceGroup: field('resourceGroup'),
      region: field('region'),
      url: field('url').replace(/\/+$/, ''),
      origin: field('origin'),
      gateway: field('gateway'),
      checkUrl: (field('checkUrl') || field('url')).replace(/\/+$/, ''),
    };
  });
  const profile = text('AZURE_FRONT_DOOR_PROFILE');
  const dashboardOrigin = text('AZURE_DASHBOARD_ORIGINS').split(',')[0]?.trim() ?? '';
  const frontDoorId = text('AZURE_FRONT_DOOR_ID');
  if (!profile) {
    if (plan.length > 1) throw new Error('several regions but no AZURE_FRONT_DOOR_PROFILE: nothing could drain them');
    return { apps: plan, dashboardOrigin, frontDoorId };
  }
  for (const app of plan) if (!app.origin) throw new Error(`${app.region}: no Front Door origin for ${app.name}`);
  const frontDoor = {
    profile,
    resourceGroup: text('AZURE_FRONT_DOOR_RESOURCE_GROUP'),
    originGroup: text('AZURE_FRONT_DOOR_ORIGIN_GROUP'),
    url: text('AZURE_FRONT_DOOR_URL').replace(/\/+$/, ''),
  };
  if (!frontDoor.resourceGroup || !frontDoor.originGroup) throw new Error('Front Door outputs are incomplete');
  return { apps: plan, frontDoor, dashboardOrigin, frontDoorId };
}
