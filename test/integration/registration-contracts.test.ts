import { Cron } from 'croner';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_ENTRY, buildBundle } from '../../scripts/build';
import { type BicepObject, Unknown, type Project, isObject, sampleOf } from '../infra/support/evaluate';
import { Deployment, ENVIRONMENTS, type RegionApp, get, loadProject } from '../infra/support/infra';
import { loadEntryAsWorker } from '../support/worker/load-entry';
import {
  type ConnectionContext,
  type Registration,
  type SettingValue,
  connectionProblems,
  functionNameProblems,
  hostJsonProblems,
  leaseProblems,
  ncrontabProblems,
  rawBindings,
  registrationProblems,
  routeTemplateProblems,
} from '../support/worker/registration-contracts';

/**
 * Deploy-time contracts of every registration of the deployed bundle: what the Functions host and
 * the extension bundle [4.*, 5.0.0) accept, and what the Function App that infra/ deploys gives
 * them. The bundle is built and loaded the way the Azure worker loads it (load-entry.ts), so the
 * checks see the bindings exactly as `@azure/functions` hands them to the host.
 *
 * The rules and their sources — Microsoft's documentation and the host's, the worker's and the
 * extensions' source — are in test/support/worker/registration-contracts.ts, one citation per
 * rule. Nothing expected here is taken from this project's code: the last block feeds the same
 * checkers deliberately wrong registrations, settings and host.json, to show each rule finds them.
 */

// Inside node_modules so that the bundle's external packages resolve from the project.
const outdir = join('node_modules', '.cache', `registration-contracts-test-${process.pid}`);
let functions: Registration[] = [];
let project: Project;

beforeAll(async () => {
  await buildBundle({ outdir, quiet: true });
  functions = [...(await loadEntryAsWorker(join(outdir, BUNDLE_ENTRY))).functions];
  project = await loadProject();
}, 120_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const triggerOf = (fn: Registration) => rawBindings(fn).find((b) => b.direction === 'in' && /trigger$/i.test(String(b.type)));

// ---------------------------------------------------------------- infra as the checkers take it

/** A region's Function App settings: literals as they are, deployment-time values by their expression. */
function settingsOf(region: RegionApp): Record<string, SettingValue> {
  return Object.fromEntries(
    Object.entries(region.settings).map(([key, value]): [string, SettingValue] => {
      if (typeof value === 'string') return [key, { literal: value }];
      if (value instanceof Unknown)
        return [key, { expression: value.text, ...(value.sample !== undefined ? { sample: value.sample } : {}) }];
      return [key, { expression: JSON.stringify(value) }];
    }),
  );
}

/** `<module>.outputs.clientId` of the one user-assigned identity a region's Function App runs as. */
function appIdentityClientId(d: Deployment, region: RegionApp): string {
  const ids = get(region.site.params, 'managedIdentities', 'userAssignedResourceIds');
  const id = Array.isArray(ids) && ids.length === 1 && ids[0] instanceof Unknown ? ids[0].text : '';
  const module = /^(\w+)\.outputs\.resourceId$/.exec(id)?.[1];
  if (!module) throw new Error(`${d.environment}: the Function App does not run as one user-assigned identity module (${id})`);
  return `${module}.outputs.clientId`;
}

/** Every region's app runs the same bundle, so each region's settings must resolve its connections. */
function contextsOf(d: Deployment): [string, ConnectionContext][] {
  return d
    .regions()
    .map(
      (r) =>
        [r.symbol, { settings: settingsOf(r), appIdentityClientId: appIdentityClientId(d, r) }] as [string, ConnectionContext],
    );
}

/** What the triggers watch exists in the deployment: containers, lease containers, topics, subscriptions. */
function targetProblems(fns: readonly Registration[], d: Deployment): string[] {
  const out: string[] = [];
  const containers = new Set<string>();
  const databases = d.registryModule('avm/res/document-db/database-account').params.sqlDatabases;
  for (const db of Array.isArray(databases) ? databases.filter(isObject) : [])
    for (const c of Array.isArray(db.containers) ? db.containers.filter(isObject) : [])
      containers.add(`${String(db.name)}/${String(c.name)}`);
  // The primary namespace declares the entities (a Geo-DR secondary gets them by replication).
  const namespace = d.serviceBusNamespaces()[0]!.params;
  const topics = new Map<string, Map<string, BicepObject>>();
  for (const t of Array.isArray(namespace.topics) ? namespace.topics.filter(isObject) : [])
    topics.set(
      String(t.name),
      new Map((Array.isArray(t.subscriptions) ? t.subscriptions.filter(isObject) : []).map((s) => [String(s.name), s])),
    );
  const settings = d.appSettings();
  for (const fn of fns)
    for (const b of rawBindings(fn)) {
      if (b.type === 'cosmosDBTrigger') {
        const watched = `${String(b.databaseName)}/${String(b.containerName)}`;
        // [cosmos] leaseDatabaseName defaults to databaseName, leaseContainerName to "leases".
        const leases = `${String(b.leaseDatabaseName ?? b.databaseName)}/${String(b.leaseContainerName ?? 'leases')}`;
        if (!containers.has(watched)) out.push(`${fn.name}: watches ${watched}, which is not provisioned`);
        if (!containers.has(leases))
          out.push(`${fn.name}: keeps its leases in ${leases}, which is not provisioned (the host may not create it)`);
      }
      if (b.type === 'serviceBusTrigger') {
        const subscriptions = topics.get(String(b.topicName));
        if (!subscriptions) out.push(`${fn.name}: topic ${String(b.topicName)} is not provisioned`);
        const subscription = subscriptions?.get(String(b.subscriptionName));
        if (subscriptions && !subscription)
          out.push(`${fn.name}: subscription ${String(b.topicName)}/${String(b.subscriptionName)} is not provisioned`);
        // [bus] isSessionsEnabled: true for a session-aware subscription, false (the default) otherwise.
        else if (subscription && (subscription.requiresSession === true) !== (b.isSessionsEnabled === true))
          out.push(
            `${fn.name}: isSessionsEnabled is ${String(b.isSessionsEnabled ?? false)} but the subscription's requiresSession is ${String(subscription.requiresSession ?? false)}`,
          );
        const fqdn = sampleOf(settings[`${String(b.connection)}__fullyQualifiedNamespace`] ?? null);
        // With a Geo-DR alias the app connects to the alias, which points at whichever namespace is primary.
        const alias = get(namespace, 'disasterRecoveryConfig', 'name');
        const name = sampleOf(alias ?? namespace.name ?? null);
        if (fqdn && name && !fqdn.startsWith(`${name}.`))
          out.push(
            `${fn.name}: ${String(b.connection)}__fullyQualifiedNamespace ${fqdn} is not the provisioned namespace ${name}`,
          );
      }
    }
  return out;
}

// ---------------------------------------------------------------- the deployed bundle

describe('registrations of the deployed bundle against what the host and bundle [4.*, 5.0.0) accept', () => {
  it('loads every function with the trigger types the contracts cover', () => {
    expect(functions.length).toBeGreaterThan(40);
    const types = new Set(functions.map((fn) => String(triggerOf(fn)?.type)));
    expect([...types].sort()).toEqual(['cosmosDBTrigger', 'httpTrigger', 'serviceBusTrigger', 'timerTrigger']);
  });

  it('every function: a valid name, exactly one trigger, documented binding types, property names and values', () => {
    expect(functions.flatMap(registrationProblems)).toEqual([]);
  });

  it('function names are unique the way the host compares them (ignoring case)', () => {
    expect(functionNameProblems(functions)).toEqual([]);
  });

  it('Cosmos DB triggers sharing a lease container each have their own prefix', () => {
    expect(leaseProblems(functions)).toEqual([]);
  });

  it('timer schedules are six-field NCRONTAB, and croner (seconds first too) reads them the same', () => {
    const timers = functions.map((fn) => [fn.name, triggerOf(fn)] as const).filter(([, t]) => t?.type === 'timerTrigger');
    expect(timers.length).toBeGreaterThan(0);
    for (const [name, t] of timers) {
      const schedule = String(t?.schedule);
      expect(ncrontabProblems(schedule), name).toEqual([]);
      // A second reader of the same grammar: six fields, seconds first; the next two runs exist.
      const runs = new Cron(schedule, { paused: true }).nextRuns(2, new Date('2025-01-01T00:00:00Z'));
      expect(runs, name).toHaveLength(2);
    }
  });

  for (const env of ENVIRONMENTS) {
    it(`${env}: every connection resolves to an identity-based connection of the app's user-assigned identity`, () => {
      const contexts = contextsOf(Deployment.of(project, env));
      expect(contexts.length).toBe(env === 'dev' ? 1 : 2);
      for (const [region, context] of contexts) expect(connectionProblems(functions, context), region).toEqual([]);
    });

    it(`${env}: the containers, lease containers, topic and subscriptions the triggers use are provisioned`, () => {
      expect(targetProblems(functions, Deployment.of(project, env))).toEqual([]);
    });
  }

  it('host.json matches the documented host.json 2.x keys, bundle [4.*, 5.0.0), Flex Consumption limits', () => {
    expect(hostJsonProblems(JSON.parse(readFileSync('host.json', 'utf8')))).toEqual([]);
  });
});

// ---------------------------------------------------------------- the checkers find what they should

/** Bindings shaped as `@azure/functions` 4.x emits them, correct to begin with. */
const fn = (
  name: string,
  trigger: Record<string, unknown>,
  extra: Record<string, Record<string, unknown>> = {},
): Registration => ({
  name,
  bindings: {
    trigger1: {
      direction: 'in',
      properties: { supportsDeferredBinding: 'false' },
      ...trigger,
    } as unknown as Registration['bindings'][string],
    ...(extra as Registration['bindings']),
  },
});
const cosmos = (over: Record<string, unknown> = {}) =>
  fn('relay', {
    type: 'cosmosDBTrigger',
    connection: 'COSMOS',
    databaseName: 'orders',
    containerName: 'orders',
    leaseDatabaseName: 'platform',
    leaseContainerName: 'leases',
    createLeaseContainerIfNotExists: false,
    ...over,
  });
const timer = (schedule: string) => fn('sweep', { type: 'timerTrigger', schedule });
const http = (over: Record<string, unknown> = {}) =>
  fn(
    'orders-get',
    { type: 'httpTrigger', route: 'v1/orders/{orderId}', methods: ['GET'], authLevel: 'anonymous', ...over },
    { $return: { type: 'http', direction: 'out' } },
  );
const bus = (over: Record<string, unknown> = {}) =>
  fn('consumer', {
    type: 'serviceBusTrigger',
    connection: 'SERVICEBUS',
    topicName: 'events',
    subscriptionName: 'orders',
    ...over,
  });

const problems = (r: Registration) => registrationProblems(r).join('\n');

describe('the checkers find deliberate mistakes', () => {
  it('accept the well-formed fixtures', () => {
    for (const r of [cosmos(), timer('0 */5 * * * *'), http(), bus()]) expect(registrationProblems(r)).toEqual([]);
  });

  it('cosmosDBTrigger: the 3.x names are refused, and the 4.x ones are required', () => {
    const wrong = cosmos({ containerName: undefined, collectionName: 'orders', leaseCollectionName: 'leases' });
    const text = problems(JSON.parse(JSON.stringify(wrong)) as Registration);
    expect(text).toMatch(/collectionName is not read by this version; use containerName/);
    expect(text).toMatch(/leaseCollectionName is not read by this version; use leaseContainerName/);
    expect(text).toMatch(/required property containerName is missing/);
    expect(problems(cosmos({ startFromTime: 'yesterday' }))).toMatch(/startFromTime must be an ISO 8601/);
    expect(problems(cosmos({ maxItemsPerInvocation: 0 }))).toMatch(/maxItemsPerInvocation must be a positive integer/);
    expect(problems(cosmos({ LeaseContainerName: 'x' }))).toMatch(/spelled differently from the documented leaseContainerName/);
  });

  it('timerTrigger: five fields, out-of-range values, Quartz syntax and runOnStartup are findings', () => {
    expect(problems(timer('*/5 * * * *'))).toMatch(/has 5 fields/);
    expect(ncrontabProblems('0 0 24 * * *')).toEqual([expect.stringMatching(/hour "24": 24 is outside 0-23/)]);
    expect(ncrontabProblems('0 0 9 * * 7')).toEqual([expect.stringMatching(/day-of-week "7": 7 is outside 0-6/)]);
    expect(ncrontabProblems('0 0 12 ? * MON')).toEqual([expect.stringMatching(/day "\?"/)]);
    expect(ncrontabProblems('0 0 12 L * *')).not.toEqual([]);
    expect(ncrontabProblems('0 0/0 * * * *')).toEqual([expect.stringMatching(/step "0"/)]);
    expect(ncrontabProblems('0 30 9 * Jan Mon-Fri')).toEqual([]);
    expect(ncrontabProblems('5,8,10 * 9-17 */2 * *')).toEqual([]);
    expect(problems(fn('t', { type: 'timerTrigger', schedule: '0 0 * * * *', runOnStartup: true }))).toMatch(
      /runOnStartup is true/,
    );
    expect(problems(fn('t', { type: 'timerTrigger' }))).toMatch(/required property schedule is missing/);
  });

  it('httpTrigger: authLevel, methods and route templates', () => {
    expect(problems(http({ authLevel: 'Anonymous' }))).toMatch(/authLevel must be one of anonymous \| function \| admin/);
    expect(problems(http({ methods: ['GET', 'FETCH'] }))).toMatch(/methods must be HTTP methods/);
    expect(problems(http({ methods: [] }))).toMatch(/non-empty array/);
    expect(problems(http({ webHookType: 'genericJson' }))).toMatch(/webHookType is not read/);
    expect(routeTemplateProblems('v1/{id}/items/{id}')).toEqual([expect.stringMatching(/"id" appears twice/)]);
    expect(routeTemplateProblems('{*rest}/tail')).toEqual([expect.stringMatching(/catch-all/)]);
    expect(routeTemplateProblems('v1/{id:number}')).toEqual([expect.stringMatching(/unknown route constraint "number"/)]);
    expect(routeTemplateProblems('v1//orders')).toEqual([expect.stringMatching(/empty segment/)]);
    expect(routeTemplateProblems('v1/{id')).toEqual([expect.stringMatching(/unclosed/)]);
    expect(routeTemplateProblems('v1/{a}{b}')).toEqual([expect.stringMatching(/two parameters/)]);
    expect(routeTemplateProblems('files/{name}.{ext?}/{id:int:min(1)}/{*rest}')).toEqual([]);
    expect(problems(http({ route: 'v1/{id:number}' }))).toMatch(/route must be a valid ASP.NET Core route template/);
  });

  it('serviceBusTrigger: cardinality, 4.x names, typos and the queue/topic rule', () => {
    expect(problems(bus({ cardinality: 'single' }))).toMatch(/cardinality must be one of one \| many/);
    expect(problems(bus({ autoComplete: false }))).toMatch(/autoComplete is not read by this version; use autoCompleteMessages/);
    expect(problems(bus({ isSessionEnabled: true }))).toMatch(/unknown property isSessionEnabled/);
    expect(problems(bus({ subscriptionName: undefined }))).toMatch(/both topicName and subscriptionName/);
    expect(problems(bus({ queueName: 'q' }))).toMatch(/not both/);
    expect(problems(bus({ connection: undefined }))).toMatch(/required property connection is missing/);
    expect(problems(bus({ cardinality: 'many', autoCompleteMessages: false, isSessionsEnabled: true }))).toBe('');
  });

  it('binding types, binding names, triggers and retry policies', () => {
    expect(problems(fn('x', { type: 'cosmosDbTrigger', connection: 'C' }))).toMatch(/documented name is cosmosDBTrigger/);
    expect(problems(fn('x', { type: 'blobTrigger', path: 'a/{name}' }))).toMatch(/no contract for binding type "blobTrigger"/);
    expect(problems(http({ cardinality: 'one' }))).toMatch(/cardinality is not a setting of this binding type/);
    expect(problems(http({ properties: { deferred: 'yes' } }))).toMatch(/unknown key properties.deferred/);
    const twoTriggers = fn(
      'x',
      { type: 'timerTrigger', schedule: '0 0 * * * *' },
      { other: { type: 'timerTrigger', direction: 'in', schedule: '0 0 * * * *' } },
    );
    expect(problems(twoTriggers)).toMatch(/has 2 trigger bindings/);
    expect(
      problems(fn('x', { type: 'timerTrigger', schedule: '0 0 * * * *' }, { 'my-out': { type: 'http', direction: 'out' } })),
    ).toMatch(/binding name does not match/);
    expect(
      problems(fn('x', { type: 'timerTrigger', schedule: '0 0 * * * *' }, { $return: { type: 'http', direction: 'in' } })),
    ).toMatch(/\$return binding must have direction out/);
    expect(problems({ ...bus(), retryOptions: { retryStrategy: 'fixedDelay', maxRetryCount: 3 } })).toMatch(
      /retry policy on a serviceBusTrigger is not supported/,
    );
    expect(
      registrationProblems({ ...timer('0 0 * * * *'), retryOptions: { retryStrategy: 'fixedDelay', maxRetryCount: 3 } }),
    ).toEqual([]);
  });

  it('function names: the host regex, "host", and case-insensitive uniqueness', () => {
    for (const bad of ['1orders', 'orders.get', 'orders get', 'host', 'HOST', 'a'.repeat(129), '_orders'])
      expect(problems({ ...timer('0 0 * * * *'), name: bad }), bad).toMatch(/not a valid function name/);
    for (const good of ['z_fallback', 'orders-get', 'A', 'hosts', 'a'.repeat(128)])
      expect(problems({ ...timer('0 0 * * * *'), name: good }), good).toBe('');
    expect(
      functionNameProblems([
        { ...timer('0 0 * * * *'), name: 'Orders-Get' },
        { ...timer('0 0 * * * *'), name: 'orders-get' },
      ]),
    ).toEqual([expect.stringMatching(/orders-get: same name as Orders-Get/)]);
  });

  it('Cosmos DB lease containers: two relays without their own prefix collide', () => {
    expect(leaseProblems([cosmos(), { ...cosmos({ containerName: 'providers' }), name: 'relay2' }])).toEqual([
      expect.stringMatching(/relay2: shares its lease container/),
    ]);
    expect(
      leaseProblems([cosmos({ leaseContainerPrefix: 'a-' }), { ...cosmos({ leaseContainerPrefix: 'b-' }), name: 'relay2' }]),
    ).toEqual([]);
  });

  it('connections: each missing or wrong identity setting is a finding', () => {
    const good: Record<string, SettingValue> = {
      COSMOS__accountEndpoint: { expression: 'account.outputs.endpoint' },
      COSMOS__credential: { literal: 'managedidentity' },
      COSMOS__clientId: { expression: 'identity.outputs.clientId' },
      SERVICEBUS__fullyQualifiedNamespace: {
        expression: "'${name}.servicebus.windows.net'",
        sample: 'sb-x.servicebus.windows.net',
      },
      SERVICEBUS__credential: { literal: 'managedidentity' },
      SERVICEBUS__clientId: { expression: 'identity.outputs.clientId' },
      AzureWebJobsStorage__accountName: { literal: 'sthost' },
      AzureWebJobsStorage__credential: { literal: 'managedidentity' },
      AzureWebJobsStorage__clientId: { expression: 'identity.outputs.clientId' },
    };
    const all = [cosmos(), bus(), timer('0 0 * * * *')];
    const check = (settings: Record<string, SettingValue>, fns: Registration[] = all) =>
      connectionProblems(fns, { settings, appIdentityClientId: 'identity.outputs.clientId' }).join('\n');
    const without = (key: string) => Object.fromEntries(Object.entries(good).filter(([k]) => k !== key));
    expect(check(good)).toBe('');
    expect(check(without('SERVICEBUS__fullyQualifiedNamespace'))).toMatch(/no SERVICEBUS__fullyQualifiedNamespace/);
    expect(check(without('COSMOS__accountEndpoint'))).toMatch(/no COSMOS__accountEndpoint/);
    expect(check(without('COSMOS__credential'))).toMatch(/COSMOS__credential is not set, not managedidentity/);
    expect(check(without('SERVICEBUS__clientId'))).toMatch(/no SERVICEBUS__clientId/);
    expect(check(without('AzureWebJobsStorage__accountName'))).toMatch(/host storage the timers use/);
    expect(check({ ...good, SERVICEBUS__fullyQualifiedNamespace: { literal: 'https://sb-x.servicebus.windows.net/' } })).toMatch(
      /not of the form <namespace>.servicebus.windows.net/,
    );
    expect(check({ ...good, COSMOS__accountEndpoint: { literal: 'cosmos-x.documents.azure.com' } })).toMatch(
      /not of the form https:\/\/<account>.documents.azure.com:443\//,
    );
    expect(check({ ...good, COSMOS__clientId: { expression: 'otherIdentity.outputs.clientId' } })).toMatch(
      /not the client ID of the identity the app runs as/,
    );
    expect(check({ ...good, SERVICEBUS__credential: { literal: 'clientsecret' } })).toMatch(/not managedidentity/);
    expect(check({ ...good, SERVICEBUS__managedIdentityResourceId: { expression: 'identity.outputs.resourceId' } })).toMatch(
      /a resource ID is not supported/,
    );
    expect(check({ ...good, SERVICEBUS: { literal: 'Endpoint=sb://x/;SharedAccessKeyName=k' } })).toMatch(
      /a setting named SERVICEBUS exists/,
    );
    expect(check(good, [cosmos({ createLeaseContainerIfNotExists: true })])).toMatch(/createLeaseContainerIfNotExists is true/);
    expect(check(good, [cosmos({ leaseConnection: 'LEASES' })])).toMatch(/no LEASES__accountEndpoint/);
    expect(check(good, [bus({ connection: 'BUS2' })])).toMatch(/no BUS2__fullyQualifiedNamespace/);
  });

  it('infra targets: an unprovisioned container, lease container, subscription or session mismatch is a finding', () => {
    const d = Deployment.of(project, 'dev');
    expect(targetProblems([cosmos({ databaseName: 'orders', containerName: 'orderz' })], d).join('\n')).toMatch(
      /watches orders\/orderz, which is not provisioned/,
    );
    expect(targetProblems([cosmos({ leaseContainerName: undefined, leaseDatabaseName: undefined })], d).join('\n')).toMatch(
      /keeps its leases in orders\/leases, which is not provisioned/,
    );
    expect(targetProblems([bus({ topicName: 'domain-events', subscriptionName: 'nobody' })], d).join('\n')).toMatch(
      /subscription domain-events\/nobody is not provisioned/,
    );
    expect(
      targetProblems([bus({ topicName: 'domain-events', subscriptionName: 'orders-workflow', isSessionsEnabled: true })], d).join(
        '\n',
      ),
    ).toMatch(/isSessionsEnabled is true but the subscription's requiresSession is false/);
    expect(targetProblems([bus({ topicName: 'domain-events', subscriptionName: 'orders-workflow' })], d)).toEqual([]);
  });

  it('host.json: version, bundle range, timeout, unknown keys, log levels, the functions list', () => {
    const good = JSON.parse(readFileSync('host.json', 'utf8')) as Record<string, unknown>;
    const check = (over: Record<string, unknown>) => hostJsonProblems({ ...good, ...over }).join('\n');
    expect(check({})).toBe('');
    expect(check({ version: '2' })).toMatch(/host.json version/);
    expect(check({ extensionBundle: { id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[3.*, 4.0.0)' } })).toMatch(
      /extensionBundle.version/,
    );
    expect(check({ extensionBundle: { id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.0.0, 5.0.0)' } })).toBe('');
    expect(check({ functionTimeout: '5 minutes' })).toMatch(/functionTimeout/);
    expect(check({ functionTimeout: '00:00:00' })).toMatch(/functionTimeout/);
    expect(check({ functionTimeout: '-1' })).toBe('');
    expect(check({ extension: { http: { routePrefix: '' } } })).toMatch(/unrecognized|extension/i);
    expect(check({ extensions: { http: { routPrefix: 'api' } } })).toMatch(/extensions.http/);
    expect(check({ extensions: { serviceBus: { autoComplete: true } } })).toMatch(/extensions.serviceBus/);
    expect(check({ logging: { logLevel: { default: 'Info' } } })).toMatch(/logging.logLevel.default/);
    expect(check({ logging: { applicationInsights: { samplingSettings: { excludedTypes: 'Request;Requests' } } } })).toMatch(
      /excludedTypes/,
    );
    expect(check({ functions: ['orders-get'] })).toMatch(/for local runs only/);
  });
});
