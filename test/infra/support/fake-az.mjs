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
const flag = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const answer = (value) => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  process.exit(0);
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

process.stderr.write(`fake az: unexpected call: az ${args.join(' ')}\n`);
process.exit(2);
