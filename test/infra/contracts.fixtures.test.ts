/**
 * The contract checks fail when the code and infra/ part ways: each case runs a checker on a
 * deliberately incomplete fixture (a definition added in code and not in Bicep, or Bicep with a
 * piece removed) and expects the mismatch to be named.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ContainerDefinition } from '../../shared/adapters/cosmos/containers';
import { INFRA } from './support/bicep';
import { accessProblems, blobProblems, cosmosProblems, serviceBusProblems, settingsProblems } from './support/contracts';
import { ACCESS, BLOB_CONTAINERS, COSMOS_CONTAINERS, SETTINGS, TOPOLOGY } from './support/definitions';
import { type Project, sampleOf } from './support/evaluate';
import { Deployment, loadProject } from './support/infra';

let project: Project;
let prod: Deployment;
beforeAll(async () => {
  project = await loadProject();
  prod = Deployment.of(project, 'prod');
});

/** infra/ with one file's text changed. */
async function infraWith(file: string, change: (text: string) => string): Promise<Deployment> {
  const path = join(INFRA, file);
  const text = readFileSync(path, 'utf8');
  const changed = change(text);
  expect(changed, `the fixture must change ${file}`).not.toBe(text);
  return Deployment.of(await loadProject({ [path]: changed }), 'prod');
}

describe('a definition added in the code and not in Bicep is reported', () => {
  it('a Cosmos container', () => {
    const audit: ContainerDefinition = { database: 'platform', id: 'audit', partitionKey: '/id', defaultTtl: 3600 };
    expect(cosmosProblems([...COSMOS_CONTAINERS, audit], prod)).toEqual([
      'container platform/audit is defined in the code but not provisioned',
    ]);
  });

  it('a changed partition key, TTL or indexing policy', () => {
    const changed = COSMOS_CONTAINERS.map((c) =>
      c.id === 'idempotency'
        ? { ...c, defaultTtl: 3600 }
        : c.id === 'users'
          ? { ...c, partitionKey: '/tenantId' as const, indexing: { excludedPaths: ['/bio/?'] } }
          : c,
    );
    const problems = cosmosProblems(changed, prod);
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/platform\/idempotency: defaultTtl 86400, the code has 3600/);
    expect(problems.join('\n')).toMatch(/directory\/users: partition key \["\/userId"\], the code has \/tenantId/);
    expect(problems.join('\n')).toMatch(/directory\/users: indexing policy/);
  });

  it('a Service Bus subscription, and an event type added to one', () => {
    const topology = {
      ...TOPOLOGY,
      subscriptions: [
        ...TOPOLOGY.subscriptions.map((s) =>
          s.name === 'notifications' ? { ...s, eventTypes: [...s.eventTypes, 'order.closed'] } : s,
        ),
        { ...TOPOLOGY.subscriptions[0]!, name: 'integrations-workflow', eventTypes: ['order.approved'] },
      ],
    };
    expect(serviceBusProblems(topology, prod)).toEqual([
      expect.stringMatching(
        /^subscription domain-events\/notifications: the filter lacks order\.closed \(the code's filter is "type IN \(.*'order\.closed'\) AND \(target IS NULL OR target = 'notifications'\)"\)$/,
      ),
      'subscription domain-events/integrations-workflow is defined in the code but not provisioned',
    ]);
    const fewer = {
      ...TOPOLOGY,
      subscriptions: TOPOLOGY.subscriptions.map((s) =>
        s.name === 'orders-workflow' ? { ...s, eventTypes: s.eventTypes.slice(1) } : s,
      ),
    };
    expect(serviceBusProblems(fewer, prod)).toEqual([
      `subscription domain-events/orders-workflow: the filter also lets through ${TOPOLOGY.subscriptions[0]!.eventTypes[0]}, which the code does not route there`,
    ]);
  });

  it('a blob container', () => {
    expect(blobProblems([...BLOB_CONTAINERS, 'invoices'], prod)).toEqual([
      'blob container invoices is defined in the code but not provisioned',
    ]);
  });

  it('a setting, and a partner secret that must come from Key Vault', () => {
    const settings = {
      ...SETTINGS,
      keys: [...SETTINGS.keys, 'ASANA_WORKSPACE_ID', 'DOCUSIGN_PRIVATE_KEY'],
      secrets: new Set([...SETTINGS.secrets, 'DOCUSIGN_PRIVATE_KEY']),
    };
    expect(settingsProblems(settings, prod)).toEqual([
      'setting ASANA_WORKSPACE_ID is read by the code but not set on the Function App',
      'setting DOCUSIGN_PRIVATE_KEY is read by the code but not set on the Function App',
    ]);
  });

  it('a new trigger connection that is not identity-based', () => {
    expect(settingsProblems({ ...SETTINGS, triggerConnections: [...SETTINGS.triggerConnections, 'EVENTHUB'] }, prod)).toEqual([
      "connection EVENTHUB: EVENTHUB__credential is not 'managedidentity'",
      'connection EVENTHUB: no EVENTHUB__clientId for the user-assigned identity',
      'connection EVENTHUB: no endpoint setting (EVENTHUB__accountEndpoint, __fullyQualifiedNamespace, ...)',
    ]);
  });

  it('a subscription whose workflow needs to receive, and a container whose files the app needs', () => {
    expect(accessProblems({ ...ACCESS, blobContainers: [...ACCESS.blobContainers, 'invoices'] }, prod)).toEqual([
      expect.stringContaining(
        'lacks Storage Blob Data Contributor on Microsoft.Storage/storageAccounts/blobServices/containers invoices',
      ),
    ]);
  });
});

describe('Bicep with a piece missing is reported', () => {
  it('a container removed from cosmos.bicep', async () => {
    const d = await infraWith('modules/cosmos.bicep', (t) => t.replace(/\s*\{\s*name: 'processed-events'[^}]*\}/, ''));
    expect(cosmosProblems(COSMOS_CONTAINERS, d)).toEqual([
      'container platform/processed-events is defined in the code but not provisioned',
    ]);
  });

  it("a subscription's delivery count changed in servicebus.bicep", async () => {
    const d = await infraWith('modules/servicebus.bicep', (t) => t.replace('maxDeliveryCount: 10', 'maxDeliveryCount: 5'));
    expect(serviceBusProblems(TOPOLOGY, d)).toEqual(
      TOPOLOGY.subscriptions.map(
        (s) => `subscription domain-events/${s.name}: maxDeliveryCount 5, the code has ${s.maxDeliveryCount}`,
      ),
    );
  });

  it("the re-sent copies' target left out of a subscription's rule in servicebus.bicep", async () => {
    // Without it, a workflow's re-sent copy of a failed message would reach every subscription of its type.
    const d = await infraWith('modules/servicebus.bicep', (t) =>
      t.replace(" AND (target IS NULL OR target = \\'${replace(name, '\\'', '\\'\\'')}\\')", ''),
    );
    expect(serviceBusProblems(TOPOLOGY, d)).toEqual(
      TOPOLOGY.subscriptions.map((s) =>
        expect.stringMatching(
          new RegExp(`^subscription domain-events/${s.name}: filter "type IN \\([^)]*\\)" is not the code's`),
        ),
      ),
    );
  });

  it('the user-delegation role removed from rbac.bicep', async () => {
    const d = await infraWith('modules/rbac.bicep', (t) => t.replace(/resource appFileDelegation[\s\S]*?\n}\n/, ''));
    expect(accessProblems(ACCESS, d)).toEqual([expect.stringContaining('lacks Storage Blob Delegator')]);
  });

  it('the workflows receiving with Data Receiver on the topic, which cannot read the length Flex Consumption scales by', async () => {
    const receiverOnTopic = [
      "resource appBusReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {",
      "  name: guid(namespace::topic.id, appPrincipalId, '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0')",
      '  scope: namespace::topic',
      '  properties: {',
      "    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0')",
      '    principalId: appPrincipalId',
      "    principalType: 'ServicePrincipal'",
      '  }',
      '}',
      '',
    ].join('\n');
    const d = await infraWith('modules/servicebus-roles.bicep', (t) =>
      t.replace(/resource appBusWorkflows[\s\S]*?\n\]\n/, receiverOnTopic),
    );
    // Production has two namespaces (Geo-DR): the same module, so the same gaps on each.
    const namespaces = d.serviceBusNamespaces().map((n) => sampleOf(n.params.name ?? null));
    expect(namespaces).toHaveLength(2);
    expect(accessProblems(ACCESS, d)).toEqual([
      ...namespaces.flatMap((namespace) =>
        TOPOLOGY.subscriptions.map((s) =>
          expect.stringContaining(
            `lacks Azure Service Bus Data Owner on Microsoft.ServiceBus/namespaces/topics/subscriptions ${s.name} in domain-events in ${namespace}`,
          ),
        ),
      ),
      ...namespaces.map((namespace) =>
        expect.stringContaining(
          `appBusReceiver gives the app Azure Service Bus Data Receiver on Microsoft.ServiceBus/namespaces/topics domain-events in ${namespace}`,
        ),
      ),
    ]);
  });

  it('a broader role than the code needs', async () => {
    const d = await infraWith('modules/servicebus-roles.bicep', (t) =>
      t.replace(
        "scope: namespace::topic\n  properties: {\n    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)",
        "scope: namespace\n  properties: {\n    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)",
      ),
    );
    const problems = accessProblems(ACCESS, d);
    expect(problems).toContainEqual(
      expect.stringContaining('lacks Azure Service Bus Data Sender on Microsoft.ServiceBus/namespaces/topics'),
    );
    expect(problems).toContainEqual(
      expect.stringContaining('Azure Service Bus Data Sender on Microsoft.ServiceBus/namespaces sb-algesta-'),
    );
  });

  const withFuturePartner = {
    ...SETTINGS,
    keys: [...SETTINGS.keys, 'FUTURE_PARTNER_SECRET'],
    secrets: new Set([...SETTINGS.secrets, 'FUTURE_PARTNER_SECRET']),
  };

  it('a setting the code does not read, a secret written in plain text, a required setting left empty', async () => {
    const d = await infraWith('modules/functionapp.bicep', (t) =>
      t
        .replace("AUTH_MODE: 'entra'", "AUTH_MODE: 'entra'\n  FUTURE_PARTNER_SECRET: 'plain-text'\n  LEGACY_FLAG: 'true'")
        .replace('AUTH_AUDIENCE: authAudience', "AUTH_AUDIENCE: ''"),
    );
    expect(settingsProblems(withFuturePartner, d)).toEqual([
      'setting AUTH_AUDIENCE is required by the code but set empty',
      'setting FUTURE_PARTNER_SECRET is a secret but not a Key Vault reference',
      'setting LEGACY_FLAG is set on the Function App but the code does not read it',
    ]);
  });

  it('a partner secret mapped to Key Vault passes', async () => {
    const d = await infraWith('modules/functionapp.bicep', (t) =>
      t.replace('var keyVaultSettings = {', "var keyVaultSettings = {\n  FUTURE_PARTNER_SECRET: 'future-partner-secret'"),
    );
    expect(settingsProblems(withFuturePartner, d)).toEqual([]);
    expect(d.appSettings().FUTURE_PARTNER_SECRET).toMatchObject({
      sample: expect.stringMatching(
        /^@Microsoft\.KeyVault\(VaultName=kv-algesta-[0-9a-f]{13};SecretName=future-partner-secret\)$/,
      ),
    });
  });
});
