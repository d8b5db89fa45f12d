// Every data-plane role in one place: what the app's identity needs and nothing more, each at the
// narrowest scope that works. test/infra derives the needed access from the code and compares.

import { blobContainerNames } from 'storage.bicep'
import { workflows } from 'servicebus.bicep'

@description('Principal (object) ID of the app\'s user-assigned identity.')
param appPrincipalId string

@description('Host storage account name.')
param hostStorageAccountName string

@description('Files storage account name.')
param dataStorageAccountName string

@description('Cosmos DB account name.')
param cosmosAccountName string

@description('Service Bus namespace name.')
param serviceBusNamespaceName string

@description('The topic the app publishes to and whose subscriptions (servicebus.bicep `workflows`) it consumes.')
param topicName string

@description('Key Vault name.')
param keyVaultName string

@description('Application Insights component name.')
param appInsightsName string

@description('Who runs `azd up` in a development environment: gets data access to work with the environment from a laptop and to set secret values. Empty: nobody.')
param deployerPrincipalId string

@description('User or ServicePrincipal.')
@allowed(['User', 'ServicePrincipal', 'Group'])
param deployerPrincipalType string

@description('Entra group of the people on call: may replay dead letters (Service Bus Explorer) and rotate secrets. Empty: nobody.')
param operatorsGroupObjectId string

// Built-in role definition IDs (the same in every tenant).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageBlobDelegator: 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  serviceBusDataOwner: '090c5cfd-751d-490a-894a-3ce6f1109419'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

// Cosmos DB's own data-plane role (not an Azure RBAC role): Cosmos DB Built-in Data Contributor.
var cosmosDataContributor = '00000000-0000-0000-0000-000000000002'

var grantDeployer = !empty(deployerPrincipalId)
var grantOperators = !empty(operatorsGroupObjectId)

resource hostAccount 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: hostStorageAccountName
}

resource dataAccount 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: dataStorageAccountName

  resource blobService 'blobServices@2025-01-01' existing = {
    name: 'default'
  }
}

resource fileContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' existing = [
  for containerName in blobContainerNames: {
    parent: dataAccount::blobService
    name: containerName
  }
]

resource cosmosAccount 'Microsoft.DocumentDB/databaseAccounts@2025-04-15' existing = {
  name: cosmosAccountName
}

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName

  resource topic 'topics@2024-01-01' existing = {
    name: topicName
  }
}

resource workflowSubscriptions 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' existing = [
  for workflow in workflows: {
    parent: namespace::topic
    name: workflow.name
  }
]

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// ---- The app's identity ----

// The Functions host keeps leases, timer state and the deployment package in blobs of its own account.
resource appHostStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostAccount.id, appPrincipalId, roles.storageBlobDataOwner)
  scope: hostAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Read, write and delete files, only in the app's containers.
resource appFiles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (containerName, i) in blobContainerNames: {
    name: guid(fileContainers[i].id, appPrincipalId, roles.storageBlobDataContributor)
    scope: fileContainers[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

// The user-delegation key that signs the single-blob SAS URLs is an account-level operation.
resource appFileDelegation 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dataAccount.id, appPrincipalId, roles.storageBlobDelegator)
  scope: dataAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDelegator)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Every database the app uses (including the leases of the change-feed trigger).
resource appCosmosData 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2025-04-15' = {
  parent: cosmosAccount
  name: guid(cosmosAccount.id, appPrincipalId, cosmosDataContributor)
  properties: {
    roleDefinitionId: '${cosmosAccount.id}/sqlRoleDefinitions/${cosmosDataContributor}'
    principalId: appPrincipalId
    scope: cosmosAccount.id
  }
}

// The outbox relay publishes (and schedules) messages on the topic.
resource appBusSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(namespace::topic.id, appPrincipalId, roles.serviceBusDataSender)
  scope: namespace::topic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Each workflow's topic trigger receives from its subscription, and Flex Consumption scales that
// trigger from the subscription's message count (target-based scaling), read with the trigger's
// connection, i.e. this identity. Reading the count needs Manage rights: "use Manage rights on
// resources for the most efficient scaling. With Listen rights scaling reverts to incremental scale
// because the queue or topic length can't be used to inform scaling decisions"
// (learn.microsoft.com/azure/azure-functions/functions-target-based-scaling, "Service Bus queues and
// topics"). Azure Service Bus Data Owner is the data role that carries Manage, and one of the two
// roles Microsoft lists for the trigger, whose assignment "needs to have effective scope over the
// Service Bus subscription resource" (.../functions-bindings-service-bus-trigger, identity-based
// connections). So: Data Owner on each workflow subscription, not on the topic or the namespace.
resource appBusWorkflows 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (workflow, i) in workflows: {
    name: guid(workflowSubscriptions[i].id, appPrincipalId, roles.serviceBusDataOwner)
    scope: workflowSubscriptions[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataOwner)
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

// Key Vault references in the app settings resolve with the app's identity.
resource appSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Application Insights accepts only Entra-authenticated telemetry.
resource appTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, appPrincipalId, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// ---- The developer who runs azd up (development environments only) ----

resource deployerCosmosData 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2025-04-15' = if (grantDeployer) {
  parent: cosmosAccount
  name: guid(cosmosAccount.id, deployerPrincipalId, cosmosDataContributor)
  properties: {
    roleDefinitionId: '${cosmosAccount.id}/sqlRoleDefinitions/${cosmosDataContributor}'
    principalId: deployerPrincipalId
    scope: cosmosAccount.id
  }
}

resource deployerFiles 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantDeployer) {
  name: guid(dataAccount.id, deployerPrincipalId, roles.storageBlobDataContributor)
  scope: dataAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}

resource deployerBus 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantDeployer) {
  name: guid(namespace.id, deployerPrincipalId, roles.serviceBusDataOwner)
  scope: namespace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataOwner)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}

resource deployerSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantDeployer) {
  name: guid(vault.id, deployerPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}

// ---- The people on call (what docs/operations.md asks them to do) ----

// Service Bus Explorer peeks and re-sends dead-lettered messages with the caller's Entra identity.
resource operatorsBus 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantOperators) {
  name: guid(namespace.id, operatorsGroupObjectId, roles.serviceBusDataOwner)
  scope: namespace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataOwner)
    principalId: operatorsGroupObjectId
    principalType: 'Group'
  }
}

// Secret rotation writes new versions.
resource operatorsSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantOperators) {
  name: guid(vault.id, operatorsGroupObjectId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: operatorsGroupObjectId
    principalType: 'Group'
  }
}
