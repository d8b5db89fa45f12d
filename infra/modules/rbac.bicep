// The data-plane roles on the resources both regions share (files, Cosmos DB, Key Vault): what the
// app's identity needs and nothing more, each at the narrowest scope that works. The roles on a
// region's own resources (host storage, Application Insights) are in region.bicep, those on a Service
// Bus namespace in servicebus-roles.bicep (called for each namespace). test/infra derives the needed
// access from the code and compares.

import { blobContainerNames } from 'storage.bicep'

@description('Principal (object) ID of the app\'s user-assigned identity.')
param appPrincipalId string

@description('Files storage account name.')
param dataStorageAccountName string

@description('Cosmos DB account name.')
param cosmosAccountName string

@description('Key Vault name.')
param keyVaultName string

@description('Who runs `azd up` in a development environment: gets data access to work with the environment from a laptop and to set secret values. Empty: nobody.')
param deployerPrincipalId string

@description('User or ServicePrincipal.')
@allowed(['User', 'ServicePrincipal', 'Group'])
param deployerPrincipalType string

@description('Entra group of the people on call: may rotate secrets and read the data (their dead-letter replay role is in servicebus-roles.bicep). Empty: nobody.')
param operatorsGroupObjectId string

// Built-in role definition IDs (the same in every tenant).
var roles = {
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageBlobDelegator: 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
}

// Cosmos DB's own data-plane roles (not Azure RBAC roles): Built-in Data Contributor and Reader.
var cosmosDataContributor = '00000000-0000-0000-0000-000000000002'
var cosmosDataReader = '00000000-0000-0000-0000-000000000001'

var grantDeployer = !empty(deployerPrincipalId)
var grantOperators = !empty(operatorsGroupObjectId)

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

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

// ---- The app's identity ----

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

// Reading the data: `npm run outbox -- count|republish` after a failover or a restore, and the
// drills' counts (docs/operations.md). Read only: the republish sends through the bus (the group's
// Data Owner role) and leaves never-relayed events to the sweep when it cannot mark them.
resource operatorsCosmosRead 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2025-04-15' = if (grantOperators) {
  parent: cosmosAccount
  name: guid(cosmosAccount.id, operatorsGroupObjectId, cosmosDataReader)
  properties: {
    roleDefinitionId: '${cosmosAccount.id}/sqlRoleDefinitions/${cosmosDataReader}'
    principalId: operatorsGroupObjectId
    scope: cosmosAccount.id
  }
}
