// One Algesta environment from nothing: a resource group and everything the Function App needs.
// Environments differ only by their parameter file (env/*.bicepparam). Deployed by `azd up`
// (dev) or by azure-pipelines.yml (staging, prod); see docs/infrastructure.md.
targetScope = 'subscription'

@description('Name of the environment (the azd environment name for development environments): names and tags every resource.')
@minLength(2)
@maxLength(20)
param environmentName string

@description('The app\'s APP_ENV: which kind of environment this is.')
@allowed(['dev', 'staging', 'prod'])
param appEnv string

@description('Azure region of every resource (Flex Consumption must be available there).')
param location string

@description('LOG_LEVEL of the app.')
@allowed(['debug', 'info', 'warn', 'error'])
param logLevel string

@description('Cosmos DB: 0 = serverless; otherwise the autoscale ceiling of each database in RU/s.')
@minValue(0)
param cosmosAutoscaleMaxThroughput int

@description('Spread Cosmos DB across availability zones.')
param cosmosZoneRedundant bool

@description('Redundancy of the host storage account.')
@allowed(['Standard_LRS', 'Standard_ZRS'])
param hostStorageSkuName string

@description('Redundancy of the files account (geo-redundant in production).')
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS', 'Standard_RAGRS', 'Standard_RAGZRS'])
param dataStorageSkuName string

@description('Days a deleted file, version or container stays recoverable.')
@minValue(1)
@maxValue(365)
param blobSoftDeleteDays int

@description('Service Bus tier.')
@allowed(['Standard', 'Premium'])
param serviceBusSkuName string

@description('Upper bound of Function App instances.')
@minValue(1)
@maxValue(1000)
param functionMaximumInstanceCount int

@description('Memory of each Function App instance in MB.')
@allowed([512, 2048, 4096])
param functionInstanceMemoryMB int

@description('Days logs and telemetry are kept (Log Analytics and Application Insights).')
// Application Insights takes only these (learn.microsoft.com/azure/azure-monitor/app/data-retention-privacy,
// "How long is the data kept?"); ARM refuses any other value, and only when it deploys.
@allowed([30, 60, 90, 120, 180, 270, 365, 550, 730])
param logRetentionDays int

@description('The API\'s app ID URI in Entra ID: the audience of the dashboard\'s tokens.')
param authAudience string

@description('Origins of the dashboard (CORS for the API and for direct file uploads).')
param corsAllowedOrigins string[]

@description('Partner endpoints and ids per environment; an empty value leaves that partner unused (docs/integrations.md).')
param partners {
  jelouBotId: string
  jelouClientId: string
  docusignOAuthBaseUrl: string
  docusignApiBaseUrl: string
  docusignAccountId: string
  docusignIntegrationKey: string
  docusignUserId: string
  docusignTemplateId: string
  asanaBaseUrl: string
  assetsBaseUrl: string
  qsystemsBaseUrl: string
}

@description('Sender address of the app\'s e-mail (a verified sender in SendGrid).')
param emailFromAddress string

@description('Sender name of the app\'s e-mail.')
param emailFromName string

@description('Who gets the alerts by e-mail.')
param alertEmailAddresses string[]

@description('Object ID of whoever runs `azd up` in a development environment (data access and secret values). Empty: nobody.')
param deployerPrincipalId string

@description('User or ServicePrincipal: what deployerPrincipalId is (dev.bicepparam reads it from azd\'s AZURE_PRINCIPAL_TYPE).')
@allowed(['User', 'ServicePrincipal', 'Group'])
param deployerPrincipalType string

@description('Key Vault purge protection. On, a deleted vault keeps its name for its whole retention (90 days) and cannot be purged; off only where environments are torn down and made again (dev: `azd down --purge` frees the name). It cannot be turned off once on.')
param keyVaultPurgeProtection bool

@description('Object ID of the on-call Entra group (dead-letter replay, secret rotation). Empty: nobody.')
param operatorsGroupObjectId string

var tags = {
  'azd-env-name': environmentName
  application: 'algesta'
  environment: appEnv
}

// Globally unique names need a suffix; it is stable for a subscription, environment and region.
var token = toLower(uniqueString(subscription().id, environmentName, location))
var names = {
  resourceGroup: 'rg-algesta-${environmentName}'
  identity: 'id-algesta-${environmentName}'
  workspace: 'log-algesta-${environmentName}'
  appInsights: 'appi-algesta-${environmentName}'
  hostStorage: 'sthost${token}'
  dataStorage: 'stdata${token}'
  cosmos: 'cosmos-algesta-${token}'
  serviceBus: 'sb-algesta-${token}'
  keyVault: 'kv-algesta-${token}'
  plan: 'plan-algesta-${environmentName}'
  functionApp: 'func-algesta-${token}'
  deploymentContainer: 'app-package'
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: names.resourceGroup
  location: location
  tags: tags
}

module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.6.0' = {
  name: 'identity'
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: tags
    enableTelemetry: false
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    retentionDays: logRetentionDays
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    hostAccountName: names.hostStorage
    dataAccountName: names.dataStorage
    hostSkuName: hostStorageSkuName
    dataSkuName: dataStorageSkuName
    deploymentContainerName: names.deploymentContainer
    corsAllowedOrigins: corsAllowedOrigins
    softDeleteDays: blobSoftDeleteDays
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    location: location
    tags: tags
    accountName: names.cosmos
    autoscaleMaxThroughput: cosmosAutoscaleMaxThroughput
    zoneRedundant: cosmosZoneRedundant
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceResourceId
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  scope: rg
  params: {
    location: location
    tags: tags
    namespaceName: names.serviceBus
    skuName: serviceBusSkuName
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceResourceId
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    location: location
    tags: tags
    vaultName: names.keyVault
    purgeProtection: keyVaultPurgeProtection
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceResourceId
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    appPrincipalId: identity.outputs.principalId
    hostStorageAccountName: storage.outputs.hostAccountName
    dataStorageAccountName: storage.outputs.dataAccountName
    cosmosAccountName: cosmos.outputs.accountName
    serviceBusNamespaceName: serviceBus.outputs.namespaceName
    topicName: serviceBus.outputs.topicName
    keyVaultName: keyVault.outputs.vaultName
    appInsightsName: monitoring.outputs.appInsightsName
    deployerPrincipalId: deployerPrincipalId
    deployerPrincipalType: deployerPrincipalType
    operatorsGroupObjectId: operatorsGroupObjectId
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    location: location
    tags: tags
    appName: names.functionApp
    planName: names.plan
    appEnv: appEnv
    logLevel: logLevel
    identityResourceId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    hostStorageAccountName: storage.outputs.hostAccountName
    hostBlobEndpoint: storage.outputs.hostBlobEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    dataBlobEndpoint: storage.outputs.dataBlobEndpoint
    cosmosEndpoint: cosmos.outputs.endpoint
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    keyVaultName: keyVault.outputs.vaultName
    keyVaultUri: keyVault.outputs.vaultUri
    partners: partners
    appInsightsName: monitoring.outputs.appInsightsName
    authIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
    authAudience: authAudience
    authJwksUri: '${environment().authentication.loginEndpoint}${tenant().tenantId}/discovery/v2.0/keys'
    corsAllowedOrigins: corsAllowedOrigins
    emailFromAddress: emailFromAddress
    emailFromName: emailFromName
    maximumInstanceCount: functionMaximumInstanceCount
    instanceMemoryMB: functionInstanceMemoryMB
  }
  // The host starts as soon as the app exists: its roles must already be in place.
  dependsOn: [rbac]
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    namePrefix: 'algesta-${environmentName}'
    alertEmailAddresses: alertEmailAddresses
    appInsightsResourceId: monitoring.outputs.appInsightsResourceId
    functionAppHostName: functionApp.outputs.defaultHostName
    serviceBusNamespaceResourceId: serviceBus.outputs.namespaceResourceId
    cosmosAccountResourceId: cosmos.outputs.accountResourceId
  }
}

// Read by azd (into the azd environment) and by the pipeline; none of them is a secret.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.appName
output AZURE_FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostName}'
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.vaultName
// Names only: the secrets to create in the vault before the app needs them.
output AZURE_KEY_VAULT_SECRET_NAMES string[] = keyVault.outputs.expectedSecretNames
output AZURE_DASHBOARD_ORIGINS string = join(corsAllowedOrigins, ',')
output COSMOS__accountEndpoint string = cosmos.outputs.endpoint
output STORAGE__blobServiceUri string = storage.outputs.dataBlobEndpoint
output SERVICEBUS__fullyQualifiedNamespace string = serviceBus.outputs.fullyQualifiedNamespace
