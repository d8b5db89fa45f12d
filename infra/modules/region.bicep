// One region's app stack: the Functions host's storage account, the Flex Consumption plan and the
// Function App (functionapp.bicep), and the app identity's roles on this region's host storage and
// Application Insights. main.bicep calls it once for the primary region and, when
// `secondaryLocation` is set, once more for the secondary in that region's own resource group. The
// two calls differ only by the region's own resources (test/infra/regions.test.ts checks the app
// settings differ only by AzureWebJobsStorage__accountName, APPLICATIONINSIGHTS_CONNECTION_STRING
// and ALGESTA_REGION).

@description('Azure region of this stack.')
param location string

@description('Tags for every resource.')
param tags object

@description('Host storage account name (3-24 lowercase letters and digits).')
param hostStorageAccountName string

@description('Redundancy of the host storage account.')
@allowed(['Standard_LRS', 'Standard_ZRS'])
param hostStorageSkuName string

@description('Blob container the Flex Consumption plan deploys the function package from.')
param deploymentContainerName string

@description('Days a deleted host blob or container stays recoverable.')
@minValue(1)
@maxValue(365)
param softDeleteDays int

@description('This region\'s Application Insights component (in this resource group).')
param appInsightsName string

@description('Principal (object) ID of the app\'s user-assigned identity.')
param appPrincipalId string

@description('Everything functionapp.bicep takes that is the same in every region.')
param app {
  appName: string
  planName: string
  appEnv: string
  logLevel: string
  identityResourceId: string
  identityClientId: string
  dataBlobEndpoint: string
  cosmosEndpoint: string
  cosmosPreferredRegions: string
  serviceBusFullyQualifiedNamespace: string
  keyVaultName: string
  keyVaultUri: string
  partners: object
  authIssuer: string
  authAudience: string
  authJwksUri: string
  corsAllowedOrigins: string[]
  emailFromAddress: string
  emailFromName: string
  maximumInstanceCount: int
  instanceMemoryMB: int
  // Production posture (issue 23): the same in both regions.
  zoneRedundant: bool
  alwaysReadyHttpInstances: int
}

// ---- issue 24: private networking ----
@description('Private networking (main.bicep\'s privateNetworking): the subnets and zones below are set.')
param privateNetworking bool = false

@description('This region\'s snet-app (modules/network.bicep): the Function App\'s virtual network integration. Empty: no private networking.')
param appSubnetResourceId string = ''

@description('This region\'s snet-gateway: the only source the Function App accepts requests from. Empty: the app stays open to the internet (dev, staging).')
param gatewaySubnetResourceId string = ''

@description('This region\'s snet-private-endpoints: where the host storage account\'s endpoints go. Empty: no private networking.')
param privateEndpointSubnetResourceId string = ''

@description('This region\'s private DNS zones by key (network.bicep\'s privateDnsZoneResourceIds).')
param privateDnsZoneResourceIds object = {}

// The host's blob (leases, timers, the deployment package), queue and table services, each through an
// endpoint in this region's network (learn.microsoft.com/azure/azure-functions/
// functions-networking-options#restrict-your-storage-account-to-a-virtual-network).
var hostPrivateEndpoints = privateNetworking
  ? map(['blob', 'queue', 'table'], service => {
      name: 'pe-${hostStorageAccountName}-${service}'
      subnetResourceId: privateEndpointSubnetResourceId
      service: service
      privateDnsZoneGroup: {
        privateDnsZoneGroupConfigs: [
          {
            privateDnsZoneResourceId: privateDnsZoneResourceIds[service]
          }
        ]
      }
    })
  : []
// ---- end issue 24 ----

// Built-in role definition IDs (the same in every tenant).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

module hostAccount 'br/public:avm/res/storage/storage-account:0.33.0' = {
  name: 'storage-host'
  params: {
    name: hostStorageAccountName
    location: location
    tags: tags
    skuName: hostStorageSkuName
    kind: 'StorageV2'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // Without private networking the Flex Consumption app reaches its host storage over the public
    // endpoint; with it, through the endpoints below only.
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    networkAcls: {
      defaultAction: privateNetworking ? 'Deny' : 'Allow'
      bypass: 'AzureServices'
    }
    privateEndpoints: hostPrivateEndpoints
    blobServices: {
      containers: [
        {
          name: deploymentContainerName
          publicAccess: 'None'
        }
      ]
      deleteRetentionPolicyEnabled: true
      deleteRetentionPolicyDays: softDeleteDays
      containerDeleteRetentionPolicyEnabled: true
      containerDeleteRetentionPolicyDays: softDeleteDays
    }
    enableTelemetry: false
  }
}

// The account as a scope for the role below (the AVM call above creates it).
resource hostAccountRef 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: hostStorageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// The Functions host keeps leases, timer state and the deployment package in blobs of its own account.
resource appHostStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostAccountRef.id, appPrincipalId, roles.storageBlobDataOwner)
  scope: hostAccountRef
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
  dependsOn: [hostAccount]
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

module functionApp 'functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    tags: tags
    appName: app.appName
    planName: app.planName
    region: location
    appEnv: app.appEnv
    logLevel: app.logLevel
    identityResourceId: app.identityResourceId
    identityClientId: app.identityClientId
    hostStorageAccountName: hostStorageAccountName
    hostBlobEndpoint: 'https://${hostStorageAccountName}.blob.${environment().suffixes.storage}/'
    deploymentContainerName: deploymentContainerName
    dataBlobEndpoint: app.dataBlobEndpoint
    cosmosEndpoint: app.cosmosEndpoint
    cosmosPreferredRegions: app.cosmosPreferredRegions
    serviceBusFullyQualifiedNamespace: app.serviceBusFullyQualifiedNamespace
    keyVaultName: app.keyVaultName
    keyVaultUri: app.keyVaultUri
    partners: app.partners
    appInsightsName: appInsightsName
    authIssuer: app.authIssuer
    authAudience: app.authAudience
    authJwksUri: app.authJwksUri
    corsAllowedOrigins: app.corsAllowedOrigins
    emailFromAddress: app.emailFromAddress
    emailFromName: app.emailFromName
    maximumInstanceCount: app.maximumInstanceCount
    instanceMemoryMB: app.instanceMemoryMB
    privateNetworking: privateNetworking
    virtualNetworkSubnetResourceId: appSubnetResourceId
    inboundSubnetResourceId: gatewaySubnetResourceId
    zoneRedundant: app.zoneRedundant
    alwaysReadyHttpInstances: app.alwaysReadyHttpInstances
  }
  // The host starts as soon as the app exists: its roles on this region's resources must be in place
  // (main.bicep makes the region wait for the roles on the shared resources).
  dependsOn: [appHostStorage, appTelemetry]
}

output appName string = functionApp.outputs.appName
output defaultHostName string = functionApp.outputs.defaultHostName
output hostStorageAccountName string = hostStorageAccountName
