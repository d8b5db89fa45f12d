/**
 * The infrastructure as the tests see it: infra/ parsed once, and each environment's deployment
 * (its parameter file applied to main.bicep) with every module and resource it would create.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INFRA, filesUnder } from './bicep';
import {
  type BicepObject,
  Instance,
  type ModuleInstance,
  Project,
  type ResourceInstance,
  type Value,
  isObject,
  sampleOf,
} from './evaluate';

export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export const INFRA_FILES = (): string[] => filesUnder(INFRA, /\.bicep(param)?$/);

/** What `azd up` puts in the environment when a developer provisions dev. */
export const AZD_ENV = {
  AZURE_ENV_NAME: 'dev',
  AZURE_LOCATION: 'eastus2',
  AZURE_PRINCIPAL_ID: '11111111-1111-1111-1111-111111111111',
};

export async function loadProject(overrides: Readonly<Record<string, string>> = {}): Promise<Project> {
  return Project.load(INFRA_FILES(), overrides);
}

/**
 * An environment's deployment with one file of infra/ (`file` relative to it) changed in memory: the
 * contract tests' fixtures. A change that changes nothing, or a file the project does not read, is an
 * error, so a fixture that no longer matches the Bicep cannot pass by testing the unchanged files.
 */
export async function withChanged(file: string, env: Environment, change: (text: string) => string): Promise<Deployment> {
  const path = join(INFRA, file);
  if (!INFRA_FILES().includes(path)) throw new Error(`the fixture changes ${file}, which is not a Bicep file of infra/`);
  const text = readFileSync(path, 'utf8');
  const changed = change(text);
  if (changed === text) throw new Error(`the fixture must change ${file}: its change matched nothing`);
  return Deployment.of(await loadProject({ [path]: changed }), env);
}

/** A deployment whose parameter file has its `param name = value` line replaced. */
export const withParam = (env: Environment, name: string, value: string): Promise<Deployment> =>
  withChanged(`env/${env}.bicepparam`, env, (t) =>
    t.replace(new RegExp(`^param ${name} = .*$`, 'm'), `param ${name} = ${value}`),
  );

export class Deployment {
  constructor(
    readonly environment: Environment,
    readonly main: Instance,
  ) {}

  static of(
    project: Project,
    environment: Environment,
    env: Readonly<Record<string, string>> = environment === 'dev' ? AZD_ENV : {},
  ): Deployment {
    return new Deployment(environment, project.deployment(join(INFRA, 'env', `${environment}.bicepparam`), env));
  }

  /** Every module call that is deployed (conditions that are false left out), depth first. */
  modules(): ModuleInstance[] {
    return deployedModulesUnder(this.main);
  }

  /**
   * The outputs as `az deployment sub create --query properties.outputs` returns them
   * (`{ NAME: { value } }`): values known only at deployment get their sample.
   */
  outputsAsDeployed(names: readonly string[]): Record<string, { value: unknown }> {
    const deployed = (v: Value | undefined): unknown =>
      Array.isArray(v)
        ? v.map(deployed)
        : isObject(v)
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deployed(x)]))
          : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
            ? v
            : sampleOf(v ?? null);
    return Object.fromEntries(names.map((name) => [name, { value: deployed(this.main.output(name)) }]));
  }

  /** Every resource declared directly (not inside registry modules) that is deployed, or declared at all. */
  resources({ declared = false } = {}): ResourceInstance[] {
    return [this.main, ...this.modules().flatMap((m) => (m.child ? [m.child] : []))].flatMap((i) =>
      i.resources().filter((r) => declared || r.condition !== false),
    );
  }

  /** Calls of a registry module, e.g. 'avm/res/document-db/database-account'. */
  registryModules(name: string): ModuleInstance[] {
    return this.modules().filter((m) => m.path.startsWith(`br/public:${name}:`));
  }

  registryModule(name: string): ModuleInstance {
    const found = this.registryModules(name);
    if (found.length !== 1) throw new Error(`${this.environment}: expected one call of ${name}, found ${found.length}`);
    return found[0]!;
  }

  /**
   * Each region's app stack (main.bicep's calls of modules/region.bicep that are deployed), the primary
   * first: its Function App module call and application settings.
   */
  regions(): RegionApp[] {
    const calls = this.main.modules().filter((m) => m.path === 'modules/region.bicep' && m.condition !== false);
    return calls.map((call) => {
      const sites = deployedModulesUnder(call.child!).filter((m) => m.path.startsWith('br/public:avm/res/web/site:'));
      if (sites.length !== 1)
        throw new Error(`${this.environment} ${call.symbol}: expected one Function App, found ${sites.length}`);
      const site = sites[0]!;
      return { symbol: call.symbol, location: call.params.location ?? null, call, site, settings: settingsOf(site) };
    });
  }

  /**
   * The Service Bus namespaces (avm/res/service-bus/namespace calls), the primary first: the one that
   * declares the entities; a Geo-DR secondary declares none.
   */
  serviceBusNamespaces(): ModuleInstance[] {
    const found = this.registryModules('avm/res/service-bus/namespace');
    const declares = (m: ModuleInstance) => Array.isArray(m.params.topics) && m.params.topics.length > 0;
    return [...found.filter(declares), ...found.filter((m) => !declares(m))];
  }

  /** The primary region's app (the only one in a single-region environment). */
  app(): RegionApp {
    const [primary] = this.regions();
    if (!primary) throw new Error(`${this.environment}: no region deploys a Function App`);
    return primary;
  }

  /** The primary Function App's application settings as deployed. */
  appSettings(): BicepObject {
    return this.app().settings;
  }
}

export interface RegionApp {
  /** main.bicep's module symbol: `primary` or `secondary`. */
  readonly symbol: string;
  /** The region, as main.bicep passes it. */
  readonly location: Value;
  readonly call: ModuleInstance;
  /** The Function App (avm/res/web/site) call. */
  readonly site: ModuleInstance;
  readonly settings: BicepObject;
}

function settingsOf(site: ModuleInstance): BicepObject {
  const configs = site.params.configs;
  const appsettings = Array.isArray(configs) ? configs.find((c) => isObject(c) && c.name === 'appsettings') : undefined;
  if (!isObject(appsettings) || !isObject(appsettings.properties))
    throw new Error('the Function App has no evaluable appsettings config');
  return appsettings.properties;
}

/** The module calls under `instance` that are deployed (conditions that are false left out), depth first. */
function deployedModulesUnder(instance: Instance): ModuleInstance[] {
  return instance
    .modules()
    .filter((m) => m.condition !== false)
    .flatMap((m) => [m, ...(m.child ? deployedModulesUnder(m.child) : [])]);
}

export function get(value: Value | undefined, ...path: (string | number)[]): Value | undefined {
  let v: Value | undefined = value;
  for (const key of path) {
    if (typeof key === 'number') v = Array.isArray(v) ? v[key] : undefined;
    else v = isObject(v) ? v[key] : undefined;
  }
  return v;
}
