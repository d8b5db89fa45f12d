// A stand-in for the Azure CLI, put first on PATH by test/infra/rollout.test.ts. It records each call
// (argv) as a line of calls.jsonl in $FAKE_AZ_DIR, keeps what the calls changed in state.json there,
// and answers only the commands the deployment scripts use, in the shapes the real CLI prints:
//   afd origin update            → the AFDOrigin (learn.microsoft.com/cli/azure/afd/origin)
//   functionapp deployment source config-zip → exit 0 and no output (the scripts only log what the real
//                                one prints, and read its exit code)
//   rest --method post …/config/appsettings/list, rest --method put …/config/appsettings
//                                → a StringDictionary { id, name, type, properties } (Web Apps REST API)
//   resource list --tag k=v      → GenericResource[] ({ id, name, resourceGroup, location, type, tags })
//   functionapp show             → the Site ({ name, resourceGroup, location, defaultHostName, … })
//   resource show --ids <id> [--query properties.<name>] → that property of config.resources[] (ARM shape)
//   apim api import              → the ApiContract ({ id, name, path, … }); the imported document's
//                                  paths are kept in state.imports[<service name>] (the script deletes
//                                  its file once az returns); config.failImport = a service name: the first
//                                  import into it fails
// and for infra/scripts/region-failover.ts (test/infra/region-failover.test.ts), from config.outputs,
// config.cosmos and config.alias, changed in state.json:
//   deployment sub show --query properties.outputs → the outputs ({ NAME: { type, value } })
//   afd origin show              → the AFDOrigin, enabledState as the last update left it (default Enabled)
//   cosmosdb show                → the DatabaseAccount (writeLocations, readLocations, failoverPolicies
//                                  { locationName, failoverPriority }, enableAutomaticFailover; display names)
//   cosmosdb offline-region      → no output; the region goes last, the next by priority writes
//   cosmosdb failover-priority-change, cosmosdb update --enable-automatic-failover → the DatabaseAccount
//   servicebus georecovery-alias show → the ArmDisasterRecovery ({ role, provisioningState, partnerNamespace, … })
//   servicebus georecovery-alias fail-over → no output; only on the Secondary, which becomes
//                                  PrimaryNotReplicating (the pairing is broken)
// and for infra/scripts/deployment-notice.ts, from config.components ({ "<rg>/<name>": connection string }):
//   resource show --resource-type Microsoft.Insights/components --query properties.ConnectionString
//                                → the connection string (JSON); ResourceNotFound when absent
//   account get-access-token --resource R --query accessToken → a fake token for R (JSON string)
// With config.holdAfter = a command (e.g. 'cosmosdb offline-region'), that call changes the state,
// writes `held` in $FAKE_AZ_DIR and then never answers: the test kills the script there.
// Anything else exits 2, so a call the test does not expect fails loudly.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const dir = process.env.FAKE_AZ_DIR;
const args = process.argv.slice(2);
appendFileSync(join(dir, 'calls.jsonl'), `${JSON.stringify({ az: args })}\n`);

const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
const statePath = join(dir, 'state.json');
const state = existsSync(statePath) ? JSON.parse(readFileSync(statePath, 'utf8')) : { deployed: {}, settings: {}, origins: {} };
const save = () => writeFileSync(statePath, JSON.stringify(state, null, 2));
state.cosmos ??= config.cosmos;
state.alias ??= config.alias;
const flag = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const held = () => {
  if (config.holdAfter && command === config.holdAfter) {
    writeFileSync(join(dir, 'held'), command);
    // Blocks here (10 min at most) without answering, as a call cut off by a crash of its caller.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600_000);
    process.exit(1);
  }
  return false;
};
const answer = (value) => {
  if (held()) return;
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  process.exit(0);
};
const done = () => {
  if (held()) return;
  process.exit(0);
};
const fail = (message, code = 1) => {
  process.stderr.write(`ERROR: ${message}\n`);
  process.exit(code);
};
// The command's words: those before the first option.
const firstOption = args.findIndex((a) => a.startsWith('--'));
const command = (firstOption < 0 ? args : args.slice(0, firstOption)).join(' ');
const subscription = '/subscriptions/00000000-0000-0000-0000-000000000000';

if (command.startsWith('afd origin update')) {
  const [rg, profile, group, origin, enabledState] = [
    'resource-group',
    'profile-name',
    'origin-group-name',
    'origin-name',
    'enabled-state',
  ].map(flag);
  state.origins[origin] = enabledState;
  save();
  answer({
    azureOrigin: null,
    deploymentStatus: 'NotStarted',
    enabledState,
    enforceCertificateNameCheck: true,
    hostName: `${origin}.azurewebsites.net`,
    httpPort: 80,
    httpsPort: 443,
    id: `${subscription}/resourceGroups/${rg}/providers/Microsoft.Cdn/profiles/${profile}/origingroups/${group}/origins/${origin}`,
    name: origin,
    originGroupName: group,
    originHostHeader: `${origin}.azurewebsites.net`,
    priority: 1,
    provisioningState: 'Succeeded',
    resourceGroup: rg,
    sharedPrivateLinkResource: null,
    type: 'Microsoft.Cdn/profiles/origingroups/origins',
    weight: 1000,
  });
}

if (args.slice(0, 4).join(' ') === 'functionapp deployment source config-zip') {
  state.deployed[flag('name')] = basename(flag('src'));
  save();
  process.exit(0);
}

if (args[0] === 'rest') {
  const uri = flag('uri') ?? '';
  const site = /\/providers\/Microsoft\.Web\/sites\/([^/]+)\/config\/appsettings/.exec(uri)?.[1];
  const dictionary = (properties) => ({
    id: `${subscription}/resourceGroups/rg/providers/Microsoft.Web/sites/${site}/config/appsettings`,
    name: 'appsettings',
    type: 'Microsoft.Web/sites/config',
    location: 'East US 2',
    properties,
  });
  if (site && flag('method') === 'post' && uri.includes('/config/appsettings/list?'))
    answer(dictionary(state.settings[site] ?? config.settings[site] ?? {}));
  if (site && flag('method') === 'put' && uri.includes('/config/appsettings?')) {
    const body = flag('body') ?? '';
    const properties = JSON.parse(body.startsWith('@') ? readFileSync(body.slice(1), 'utf8') : body).properties;
    state.settings[site] = properties;
    save();
    answer(dictionary(properties));
  }
}

if (command === 'apim api import') {
  const service = flag('service-name');
  state.imports ??= {};
  if (config.failImport === service && !state.imports[service]) {
    // The first import into that service fails; the rollback's re-import then succeeds.
    state.imports[service] = { failed: true };
    save();
    fail(`(ValidationError) One or more fields contain incorrect values.`);
  }
  const spec = JSON.parse(readFileSync(flag('specification-path'), 'utf8'));
  state.imports ??= {};
  state.imports[service] = {
    resourceGroup: flag('resource-group'),
    apiId: flag('api-id'),
    path: flag('path'),
    format: flag('specification-format'),
    subscriptionRequired: flag('subscription-required'),
    title: spec.info?.title,
    paths: Object.keys(spec.paths ?? {}),
  };
  save();
  answer({
    id: `${subscription}/resourceGroups/${flag('resource-group')}/providers/Microsoft.ApiManagement/service/${service}/apis/${flag('api-id')}`,
    name: flag('api-id'),
    path: flag('path'),
    displayName: flag('display-name'),
    protocols: ['https'],
    subscriptionRequired: false,
    type: 'Microsoft.ApiManagement/service/apis',
  });
}

if (command === 'resource list') {
  const [key, value] = (flag('tag') ?? '').split('=');
  answer((config.resources ?? []).filter((r) => r.tags?.[key] === value));
}

if (command === 'functionapp show') {
  const site = (config.resources ?? []).find((r) => r.name === flag('name') && r.resourceGroup === flag('resource-group'));
  if (site)
    answer({
      name: site.name,
      resourceGroup: site.resourceGroup,
      location: site.location,
      defaultHostName: site.defaultHostName,
      httpsOnly: true,
      state: 'Running',
      kind: 'functionapp,linux',
    });
  process.stderr.write(`ERROR: (ResourceNotFound) The Resource 'Microsoft.Web/sites/${flag('name')}' was not found.\n`);
  process.exit(3);
}

if (command === 'deployment sub show') {
  if (flag('name') !== config.deploymentName || flag('query') !== 'properties.outputs')
    fail(`(DeploymentNotFound) Deployment '${flag('name')}' could not be found.`, 3);
  answer(config.outputs);
}

if (command === 'afd origin show') {
  const origin = flag('origin-name');
  const known = (config.outputs?.AZURE_FUNCTION_APPS?.value ?? []).map((a) => a.origin);
  if (!known.includes(origin)) fail(`(NotFound) origin ${origin} not found`, 3);
  answer({ name: origin, enabledState: state.origins[origin] ?? 'Enabled', provisioningState: 'Succeeded' });
}

// Cosmos DB: state.cosmos = { name, regions: [display names in failover priority order], automaticFailover }
const account = () => {
  const c = state.cosmos;
  const policies = c.regions.map((locationName, failoverPriority) => ({
    id: `${c.name}-${locationName.replace(/ /g, '').toLowerCase()}`,
    locationName,
    failoverPriority,
  }));
  return {
    name: c.name,
    kind: 'GlobalDocumentDB',
    enableAutomaticFailover: c.automaticFailover,
    failoverPolicies: policies,
    locations: policies.map((p) => ({ ...p, isZoneRedundant: false, provisioningState: 'Succeeded' })),
    readLocations: policies.map((p) => ({ ...p, isZoneRedundant: false, provisioningState: 'Succeeded' })),
    writeLocations: [{ ...policies[0], isZoneRedundant: false, provisioningState: 'Succeeded' }],
  };
};
const cosmosCall = () => {
  if (!state.cosmos || flag('name') !== state.cosmos.name || flag('resource-group') !== config.cosmosResourceGroup)
    fail(`(ResourceNotFound) The Resource 'Microsoft.DocumentDB/databaseAccounts/${flag('name')}' was not found.`, 3);
  return true;
};
if (command === 'cosmosdb show' && cosmosCall()) answer(account());
if (command === 'cosmosdb offline-region' && cosmosCall()) {
  const region = flag('region');
  if (!state.cosmos.regions.includes(region)) fail(`region ${region} is not a region of the account`);
  state.cosmos.regions = [...state.cosmos.regions.filter((r) => r !== region), region];
  save();
  done();
}
if (command === 'cosmosdb failover-priority-change' && cosmosCall()) {
  const i = args.indexOf('--failover-policies');
  const policies = args.slice(i + 1).filter((a) => /^[a-z0-9]+=\d+$/.test(a));
  const byArm = Object.fromEntries(state.cosmos.regions.map((r) => [r.replace(/ /g, '').toLowerCase(), r]));
  state.cosmos.regions = policies
    .map((p) => p.split('='))
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map(([region]) => byArm[region] ?? fail(`unknown region ${region}`));
  save();
  answer(account());
}
if (command === 'cosmosdb update' && cosmosCall() && flag('enable-automatic-failover')) {
  state.cosmos.automaticFailover = flag('enable-automatic-failover') === 'true';
  save();
  answer(account());
}

// Service Bus Geo-DR: state.alias = { name, roles: { <namespace>: role } }
if (command.startsWith('servicebus georecovery-alias ')) {
  const ns = flag('namespace-name');
  const role = state.alias?.roles?.[ns];
  if (!role || flag('alias') !== state.alias.name) fail(`(NotFound) alias ${flag('alias')} not found on ${ns}`, 3);
  if (command === 'servicebus georecovery-alias show')
    answer({
      alias: state.alias.name,
      name: state.alias.name,
      partnerNamespace: Object.keys(state.alias.roles).find((n) => n !== ns),
      pendingReplicationOperationsCount: 0,
      provisioningState: 'Succeeded',
      resourceGroup: flag('resource-group'),
      role,
      type: 'Microsoft.ServiceBus/Namespaces/disasterrecoveryconfigs',
    });
  if (command === 'servicebus georecovery-alias fail-over') {
    if (role !== 'Secondary') fail(`(BadRequest) fail-over is only possible on the secondary namespace; ${ns} is ${role}`);
    state.alias.roles[ns] = 'PrimaryNotReplicating';
    save();
    done();
  }
}

if (command === 'resource show' && flag('ids')) {
  // rollout-commands.ts (rollback-only): one ARM property of a tagged resource (config.resources[].properties).
  const resource = (config.resources ?? []).find((r) => r.id === flag('ids'));
  if (!resource) fail(`(ResourceNotFound) The Resource '${flag('ids')}' was not found.`, 3);
  const query = flag('query') ?? '';
  answer(query.startsWith('properties.') ? (resource.properties?.[query.slice('properties.'.length)] ?? null) : resource);
}

if (command === 'resource show' && flag('resource-type') === 'Microsoft.Insights/components') {
  const connectionString = (config.components ?? {})[`${flag('resource-group')}/${flag('name')}`];
  if (!connectionString)
    fail(`(ResourceNotFound) The Resource 'microsoft.insights/components/${flag('name')}' was not found.`, 3);
  if (flag('query') === 'properties.ConnectionString') answer(connectionString);
  answer({ name: flag('name'), properties: { ConnectionString: connectionString } });
}

if (command === 'account get-access-token') {
  const token = `fake-token-for ${flag('resource')}`;
  answer(flag('query') === 'accessToken' ? token : { accessToken: token, tokenType: 'Bearer' });
}

process.stderr.write(`fake az: unexpected call: az ${args.join(' ')}\n`);
process.exit(2);
