/**
 * The contracts between the code and infra/. Each checker takes the code's definitions as
 * arguments (the tests pass the real ones, imported from the code; the fixture tests pass
 * deliberately changed ones) and a deployment, and returns what does not match, one line each.
 */
import type { ContainerDefinition } from '../../../shared/adapters/cosmos/containers';
import { containerRequest } from '../../../shared/adapters/cosmos/provision';
import { type TopologyDefinition, sqlFilter } from '../../../shared/adapters/servicebus/topology';
import { type BicepObject, ResourceRef, Unknown, type Value, deepEqual, isObject, sampleOf } from './evaluate';
import { type Deployment, get } from './infra';

// ---------------------------------------------------------------- Cosmos DB

export function cosmosProblems(definitions: readonly ContainerDefinition[], d: Deployment): string[] {
  const problems: string[] = [];
  const account = d.registryModule('avm/res/document-db/database-account');
  const provisioned = new Map<string, BicepObject>();
  const databases = account.params.sqlDatabases;
  for (const db of Array.isArray(databases) ? databases : []) {
    if (!isObject(db)) continue;
    for (const c of Array.isArray(db.containers) ? db.containers : [])
      if (isObject(c)) provisioned.set(`${db.name}/${c.name}`, c);
  }
  for (const def of definitions) {
    const key = `${def.database}/${def.id}`;
    const c = provisioned.get(key);
    provisioned.delete(key);
    if (def.localOnly) {
      if (c) problems.push(`container ${key} is local-only in the code but provisioned`);
      continue;
    }
    if (!c) {
      problems.push(`container ${key} is defined in the code but not provisioned`);
      continue;
    }
    if (!deepEqual(c.paths ?? null, [def.partitionKey]))
      problems.push(`container ${key}: partition key ${JSON.stringify(c.paths)}, the code has ${def.partitionKey}`);
    if ((c.kind ?? 'Hash') !== 'Hash')
      problems.push(`container ${key}: partition kind ${String(c.kind)}, the code uses a single hash key`);
    if ((c.defaultTtl ?? null) !== (def.defaultTtl ?? null))
      problems.push(`container ${key}: defaultTtl ${String(c.defaultTtl)}, the code has ${String(def.defaultTtl)}`);
    const expected = containerRequest(def).indexingPolicy;
    const actual = c.indexingPolicy;
    if (!deepEqual(actual ?? null, expected ? (JSON.parse(JSON.stringify(expected)) as Value) : null))
      problems.push(
        `container ${key}: indexing policy ${JSON.stringify(actual)} differs from the code's ${JSON.stringify(expected)}`,
      );
  }
  for (const key of provisioned.keys()) problems.push(`container ${key} is provisioned but not defined in the code`);
  return problems;
}

// ---------------------------------------------------------------- Service Bus

/** Seconds of an ISO 8601 duration as ARM takes them (P14D, PT1M, PT10M, PT60S). */
export function isoSeconds(value: Value | undefined): number | undefined {
  const m = typeof value === 'string' ? /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(value) : null;
  if (!m) return undefined;
  const [, d = '0', h = '0', min = '0', s = '0'] = m;
  return ((Number(d) * 24 + Number(h)) * 60 + Number(min)) * 60 + Number(s);
}

/**
 * The event types a filter written like `sqlFilter()` for `subscription` selects — `type IN (...)`
 * and the re-sent copies addressed to that subscription (`target IS NULL OR target = '<name>'`);
 * undefined for any other SQL.
 */
export function filterEventTypes(sql: string, subscription: string): Set<string> | undefined {
  if (sql === '1=0') return new Set();
  const target = `(target IS NULL OR target = '${subscription.replace(/'/g, "''")}')`;
  if (!sql.endsWith(` AND ${target}`)) return undefined;
  const m = /^type IN \((.*)\)$/.exec(sql.slice(0, -` AND ${target}`.length));
  if (!m) return undefined;
  const types = m[1]!.split(/,\s*/).map((t) => /^'((?:[^']|'')*)'$/.exec(t)?.[1]?.replace(/''/g, "'"));
  return types.every((t) => t !== undefined) ? new Set(types as string[]) : undefined;
}

export function serviceBusProblems(topology: TopologyDefinition, d: Deployment): string[] {
  const problems: string[] = [];
  const [namespace, ...secondaries] = d.serviceBusNamespaces();
  if (!namespace) return ['no Service Bus namespace is provisioned'];
  // A Geo-DR secondary receives the primary's entities by replication and must declare none.
  for (const s of secondaries)
    if (Array.isArray(s.params.topics) && s.params.topics.length > 0)
      problems.push(`Service Bus: the secondary namespace ${sampleOf(s.params.name ?? null)} declares entities`);
  if (namespace.params.disableLocalAuth !== true) problems.push('Service Bus: local (SAS key) authentication is not disabled');
  const topics = Array.isArray(namespace.params.topics) ? namespace.params.topics.filter(isObject) : [];
  const topic = topics.find((t) => t.name === topology.topic);
  if (!topic) return [...problems, `topic ${topology.topic} is defined in the code but not provisioned`];
  for (const t of topics) if (t !== topic) problems.push(`topic ${String(t.name)} is provisioned but not defined in the code`);
  if (topic.requiresDuplicateDetection !== true) problems.push(`topic ${topology.topic}: duplicate detection is off`);
  if (isoSeconds(topic.duplicateDetectionHistoryTimeWindow) !== topology.duplicateDetectionWindowSeconds)
    problems.push(
      `topic ${topology.topic}: duplicate detection window ${String(topic.duplicateDetectionHistoryTimeWindow)}, the code has ${topology.duplicateDetectionWindowSeconds} s`,
    );

  const provisioned = new Map<string, BicepObject>();
  for (const s of Array.isArray(topic.subscriptions) ? topic.subscriptions : [])
    if (isObject(s)) provisioned.set(String(s.name), s);
  for (const def of topology.subscriptions) {
    const s = provisioned.get(def.name);
    provisioned.delete(def.name);
    const where = `subscription ${topology.topic}/${def.name}`;
    if (!s) {
      problems.push(`${where} is defined in the code but not provisioned`);
      continue;
    }
    if (s.maxDeliveryCount !== def.maxDeliveryCount)
      problems.push(`${where}: maxDeliveryCount ${String(s.maxDeliveryCount)}, the code has ${def.maxDeliveryCount}`);
    if (isoSeconds(s.lockDuration) !== def.lockDurationSeconds)
      problems.push(`${where}: lockDuration ${String(s.lockDuration)}, the code has ${def.lockDurationSeconds} s`);
    if (isoSeconds(s.defaultMessageTimeToLive) !== def.defaultMessageTimeToLiveSeconds)
      problems.push(
        `${where}: defaultMessageTimeToLive ${String(s.defaultMessageTimeToLive)}, the code has ${def.defaultMessageTimeToLiveSeconds} s`,
      );
    if (s.deadLetteringOnMessageExpiration !== def.deadLetteringOnMessageExpiration)
      problems.push(`${where}: expired messages are not dead-lettered`);
    const rules = Array.isArray(s.rules) ? s.rules.filter(isObject) : [];
    // One rule, named $Default so that it replaces the catch-all rule Service Bus creates.
    if (rules.length !== 1 || rules[0]!.name !== '$Default') {
      problems.push(`${where}: expected exactly one rule named $Default, got ${JSON.stringify(rules.map((r) => r.name))}`);
      continue;
    }
    const sql = get(rules[0], 'sqlFilter', 'sqlExpression');
    const expected = sqlFilter(def);
    if (rules[0]!.filterType !== 'SqlFilter' || typeof sql !== 'string') {
      problems.push(`${where}: not a SQL filter`);
      continue;
    }
    if (sql === expected) continue;
    // The same event types in another order select the same messages.
    const given = filterEventTypes(sql, def.name);
    const wanted = new Set(def.eventTypes);
    if (!given) problems.push(`${where}: filter ${JSON.stringify(sql)} is not the code's ${JSON.stringify(expected)}`);
    else {
      const missing = [...wanted].filter((t) => !given.has(t));
      const extra = [...given].filter((t) => !wanted.has(t));
      if (missing.length)
        problems.push(`${where}: the filter lacks ${missing.join(', ')} (the code's filter is ${JSON.stringify(expected)})`);
      if (extra.length)
        problems.push(`${where}: the filter also lets through ${extra.join(', ')}, which the code does not route there`);
    }
  }
  for (const name of provisioned.keys())
    problems.push(`subscription ${topology.topic}/${name} is provisioned but not defined in the code`);
  return problems;
}

// ---------------------------------------------------------------- Blob Storage

/** The storage account the app's STORAGE__blobServiceUri points at, by its (sample) name. */
export function dataStorageAccount(d: Deployment): BicepObject {
  const uri = sampleOf(d.appSettings().STORAGE__blobServiceUri ?? null) ?? '';
  const name = /^https:\/\/([a-z0-9]+)\.blob\./.exec(uri)?.[1];
  const account = d.registryModules('avm/res/storage/storage-account').find((m) => sampleOf(m.params.name ?? null) === name);
  if (!account) throw new Error(`no storage account behind STORAGE__blobServiceUri (${uri})`);
  return account.params;
}

export function blobProblems(containers: readonly string[], d: Deployment): string[] {
  const problems: string[] = [];
  const account = dataStorageAccount(d);
  const provisioned = (get(account, 'blobServices', 'containers') as Value[] | undefined)?.filter(isObject) ?? [];
  for (const name of containers) {
    const c = provisioned.find((p) => p.name === name);
    if (!c) problems.push(`blob container ${name} is defined in the code but not provisioned`);
    else if ((c.publicAccess ?? 'None') !== 'None') problems.push(`blob container ${name} allows anonymous access`);
  }
  for (const c of provisioned)
    if (!containers.includes(String(c.name)))
      problems.push(`blob container ${String(c.name)} is provisioned but not defined in the code`);
  return problems;
}

// ---------------------------------------------------------------- App settings

export interface SettingsContract {
  /** Every setting the code's schema reads. */
  readonly keys: readonly string[];
  /** Settings the code cannot start without (its schema rejects them absent). */
  readonly required: ReadonlySet<string>;
  /** Settings the code treats as secrets. */
  readonly secrets: ReadonlySet<string>;
  /** Settings only the embedded stack uses: never set in Azure. */
  readonly localOnly: ReadonlySet<string>;
  /** `connection` names of the trigger bindings (identity-based connections of the host). */
  readonly triggerConnections: readonly string[];
}

/** The Functions host's own settings (not the app's schema). */
const HOST_SETTINGS = ['APPLICATIONINSIGHTS_CONNECTION_STRING', 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', 'AZURE_CLIENT_ID'];
const HOST_STORAGE = /^AzureWebJobsStorage__(accountName|blobServiceUri|queueServiceUri|tableServiceUri|credential|clientId)$/;
/** Not supported on the Flex Consumption plan (the runtime and deployment are in functionAppConfig). */
export const FLEX_UNSUPPORTED = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'SCM_DO_BUILD_DURING_DEPLOYMENT',
  'ENABLE_ORYX_BUILD',
  'AzureWebJobsStorage',
  'AzureWebJobsDashboard',
];
const KEY_VAULT_REFERENCE = /^@Microsoft\.KeyVault\((VaultName=[^;]+;SecretName=[^;)]+|SecretUri=https:\/\/[^)]+)\)$/;

export function settingsProblems(contract: SettingsContract, d: Deployment): string[] {
  const problems: string[] = [];
  const settings = d.appSettings();
  const connections = new Set(contract.keys.filter((k) => k.includes('__')).map((k) => k.split('__')[0]!));
  for (const key of contract.keys) {
    const provisioned = Object.hasOwn(settings, key);
    if (contract.localOnly.has(key)) {
      if (provisioned) problems.push(`setting ${key} is for the embedded stack only but is set in Azure`);
      continue;
    }
    if (!provisioned) {
      problems.push(`setting ${key} is read by the code but not set on the Function App`);
      continue;
    }
    const sample = sampleOf(settings[key]!);
    if (contract.secrets.has(key) && !(sample && KEY_VAULT_REFERENCE.test(sample)))
      problems.push(`setting ${key} is a secret but not a Key Vault reference`);
    // An empty value reads as unset (parseSettings), which only an optional setting may be.
    else if (contract.required.has(key) && settings[key] === '')
      problems.push(`setting ${key} is required by the code but set empty`);
  }
  for (const [key, value] of Object.entries(settings)) {
    const prefix = key.split('__')[0]!;
    const known =
      contract.keys.includes(key) ||
      HOST_SETTINGS.includes(key) ||
      HOST_STORAGE.test(key) ||
      (connections.has(prefix) && /__(credential|clientId)$/.test(key));
    if (!known) problems.push(`setting ${key} is set on the Function App but the code does not read it`);
    if (FLEX_UNSUPPORTED.includes(key)) problems.push(`setting ${key} is not supported on Flex Consumption`);
    const sample = sampleOf(value) ?? '';
    if (/AccountKey=|SharedAccessKey=|AccessKey=/i.test(sample)) problems.push(`setting ${key} carries a key`);
  }
  // Identity-based connections: the host's storage and every trigger's connection.
  for (const connection of ['AzureWebJobsStorage', ...contract.triggerConnections]) {
    if (settings[`${connection}__credential`] !== 'managedidentity')
      problems.push(`connection ${connection}: ${connection}__credential is not 'managedidentity'`);
    if (!Object.hasOwn(settings, `${connection}__clientId`))
      problems.push(`connection ${connection}: no ${connection}__clientId for the user-assigned identity`);
    const endpoint = Object.keys(settings).some((k) =>
      new RegExp(`^${connection}__(accountEndpoint|fullyQualifiedNamespace|blobServiceUri|accountName|serviceUri)$`).test(k),
    );
    if (!endpoint)
      problems.push(
        `connection ${connection}: no endpoint setting (${connection}__accountEndpoint, __fullyQualifiedNamespace, ...)`,
      );
  }
  return problems;
}

/**
 * The settings as the app would read them in Azure, for the code's own schema to validate: values
 * known before deployment as they are; others by their sample (a generated name, a tenant ID), or
 * a placeholder URL when nothing about them is known before deployment.
 */
export function settingsForSchema(d: Deployment): Record<string, string> {
  return Object.fromEntries(
    Object.entries(d.appSettings()).map(([k, v]) => [
      k,
      typeof v === 'string' ? v : (sampleOf(v) ?? 'https://known-after-deployment.invalid/'),
    ]),
  );
}

// ---------------------------------------------------------------- Data-plane access

export const ROLES: Record<string, string> = {
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1': 'Storage Blob Data Reader',
  'db58b8e5-c6ad-4a2a-8342-4190687cbf4a': 'Storage Blob Delegator',
  '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39': 'Azure Service Bus Data Sender',
  '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0': 'Azure Service Bus Data Receiver',
  '090c5cfd-751d-490a-894a-3ce6f1109419': 'Azure Service Bus Data Owner',
  '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User',
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': 'Key Vault Secrets Officer',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
  '00000000-0000-0000-0000-000000000001': 'Cosmos DB Built-in Data Reader',
  '00000000-0000-0000-0000-000000000002': 'Cosmos DB Built-in Data Contributor',
};

/** One role assignment, normalized: who, which role, on what. */
export interface Grant {
  readonly role: string;
  /** The principal as written (an identity's output, a parameter...). */
  readonly principal: string;
  readonly principalType?: string;
  /** Resource type and name (sample) of the scope, then its parents' names. */
  readonly scopeType: string;
  readonly scopeNames: readonly string[];
  readonly symbol: string;
  readonly file: string;
}

function chain(ref: ResourceRef): { type: string; names: string[] } {
  const names: string[] = [];
  let r: ResourceRef | undefined = ref;
  while (r) {
    names.push(sampleOf(r.resource.body.name ?? null) ?? '?');
    const parent: Value | undefined = r.resource.body.parent;
    r = parent instanceof ResourceRef ? parent : r.resource.parent ? new ResourceRef(r.resource.parent) : undefined;
  }
  return { type: ref.resource.type, names };
}

export function grants(d: Deployment): Grant[] {
  const out: Grant[] = [];
  for (const r of d.resources()) {
    const props = isObject(r.body.properties) ? r.body.properties : {};
    const principal = props.principalId instanceof Unknown ? props.principalId.text : String(props.principalId);
    const roleId = sampleOf(props.roleDefinitionId ?? null) ?? '';
    const base = { principal, symbol: r.symbol, file: r.instance.file.name };
    if (r.type === 'Microsoft.Authorization/roleAssignments') {
      const guid = /roleDefinitions\/([0-9a-f-]{36})$/i.exec(roleId)?.[1] ?? roleId;
      if (!(r.body.scope instanceof ResourceRef)) throw new Error(`${r.symbol}: a role assignment without a resource scope`);
      const scope = chain(r.body.scope);
      out.push({
        ...base,
        role: ROLES[guid] ?? guid,
        scopeType: scope.type,
        scopeNames: scope.names,
        ...(typeof props.principalType === 'string' ? { principalType: props.principalType } : {}),
      });
    } else if (r.type === 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments') {
      const guid = /sqlRoleDefinitions\/([0-9a-f-]{36})$/i.exec(roleId)?.[1] ?? roleId;
      if (!(r.body.parent instanceof ResourceRef)) throw new Error(`${r.symbol}: a Cosmos role assignment without its account`);
      // The data-plane scope must be the whole account (the app uses every database).
      const account = r.body.parent;
      const accountWide = props.scope instanceof Unknown && props.scope.text === `${account.resource.symbol}.id`;
      const scope = chain(account);
      out.push({
        ...base,
        role: ROLES[guid] ?? guid,
        scopeType: accountWide ? scope.type : `${scope.type} (part of it)`,
        scopeNames: scope.names,
      });
    }
  }
  return out;
}

export interface AccessContract {
  /** The app uses Cosmos DB (any container that is not local-only). */
  readonly cosmos: boolean;
  readonly topic: string;
  readonly subscriptions: readonly string[];
  readonly blobContainers: readonly string[];
}

/** The names of the resources the app talks to, as the deployment provisions them. */
function targets(d: Deployment): {
  dataStorage: string | undefined;
  cosmos: string | undefined;
  keyVault: string | undefined;
  serviceBus: (string | undefined)[];
  regions: { hostStorage: string | undefined; appInsights: string | undefined }[];
} {
  const name = (avm: string): string | undefined => sampleOf(d.registryModule(avm).params.name ?? null);
  return {
    dataStorage: sampleOf(dataStorageAccount(d).name ?? null),
    cosmos: name('avm/res/document-db/database-account'),
    keyVault: name('avm/res/key-vault/vault'),
    serviceBus: d.serviceBusNamespaces().map((m) => sampleOf(m.params.name ?? null)),
    regions: d.regions().map((r) => ({
      hostStorage: sampleOf(r.settings.AzureWebJobsStorage__accountName ?? null),
      appInsights: sampleOf(r.call.params.appInsightsName ?? null),
    })),
  };
}

export function appPrincipal(d: Deployment): string {
  const sites = d.regions().map((r) => r.site);
  const ids = get(sites[0]!.params, 'managedIdentities', 'userAssignedResourceIds');
  const id = Array.isArray(ids) && ids.length === 1 && ids[0] instanceof Unknown ? ids[0].text : undefined;
  const module = id && /^(\w+)\.outputs\.resourceId$/.exec(id)?.[1];
  if (!module) throw new Error(`the Function App's identity is not one user-assigned identity module: ${String(id)}`);
  for (const site of sites.slice(1))
    if (!deepEqual(get(site.params, 'managedIdentities', 'userAssignedResourceIds') ?? null, ids ?? null))
      throw new Error("the regions' Function Apps do not run as the same identity");
  return `${module}.outputs.principalId`;
}

export function accessProblems(need: AccessContract, d: Deployment): string[] {
  const t = targets(d);
  const app = appPrincipal(d);
  const given = grants(d).filter((g) => g.principal === app);
  const problems: string[] = [];
  const expected: { role: string; scopeType: string; scopeNames: (string | undefined)[]; why: string }[] = [
    // Each region's own resources.
    ...t.regions.flatMap((r) => [
      {
        role: 'Storage Blob Data Owner',
        scopeType: 'Microsoft.Storage/storageAccounts',
        scopeNames: [r.hostStorage],
        why: 'the host keeps leases and its package in its storage',
      },
      {
        role: 'Monitoring Metrics Publisher',
        scopeType: 'Microsoft.Insights/components',
        scopeNames: [r.appInsights],
        why: 'Entra-authenticated telemetry',
      },
    ]),
    ...need.blobContainers.map((c) => ({
      role: 'Storage Blob Data Contributor',
      scopeType: 'Microsoft.Storage/storageAccounts/blobServices/containers',
      scopeNames: [c, 'default', t.dataStorage],
      why: `the app reads and writes files in ${c}`,
    })),
    {
      role: 'Storage Blob Delegator',
      scopeType: 'Microsoft.Storage/storageAccounts',
      scopeNames: [t.dataStorage],
      why: 'user-delegation SAS URLs',
    },
    // Every namespace: with Geo-DR the app reaches the secondary through the alias after a failover,
    // and Entra role assignments are not replicated by the pairing.
    ...t.serviceBus.map((namespace) => ({
      role: 'Azure Service Bus Data Sender',
      scopeType: 'Microsoft.ServiceBus/namespaces/topics',
      scopeNames: [need.topic, namespace],
      why: 'the relay publishes events',
    })),
    {
      role: 'Key Vault Secrets User',
      scopeType: 'Microsoft.KeyVault/vaults',
      scopeNames: [t.keyVault],
      why: 'Key Vault references',
    },
  ];
  if (need.cosmos)
    expected.push({
      role: 'Cosmos DB Built-in Data Contributor',
      scopeType: 'Microsoft.DocumentDB/databaseAccounts',
      scopeNames: [t.cosmos],
      why: 'every container',
    });
  // Receiving, and the Manage right Flex Consumption's target-based scaling reads the message count
  // with, on each workflow's own subscription (rbac.bicep cites Microsoft's documentation).
  for (const namespace of t.serviceBus)
    for (const subscription of need.subscriptions)
      expected.push({
        role: 'Azure Service Bus Data Owner',
        scopeType: 'Microsoft.ServiceBus/namespaces/topics/subscriptions',
        scopeNames: [subscription, need.topic, namespace],
        why: `the ${subscription} trigger receives, and Flex scales it from the subscription's length`,
      });
  const used = new Set<Grant>();
  for (const e of expected) {
    const match = given.find(
      (g) => g.role === e.role && g.scopeType === e.scopeType && deepEqual(g.scopeNames as Value[], e.scopeNames as Value[]),
    );
    if (!match) problems.push(`the app's identity lacks ${e.role} on ${e.scopeType} ${e.scopeNames.join(' in ')} (${e.why})`);
    else {
      used.add(match);
      if (match.principalType !== undefined && match.principalType !== 'ServicePrincipal')
        problems.push(`${match.symbol}: principalType should be ServicePrincipal`);
    }
  }
  for (const g of given)
    if (!used.has(g))
      problems.push(
        `${g.file}: ${g.symbol} gives the app ${g.role} on ${g.scopeType} ${g.scopeNames.join(' in ')}, which the code does not need`,
      );
  return problems;
}
