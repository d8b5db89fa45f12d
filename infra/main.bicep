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

@description('Second region, active/passive behind Azure Front Door; empty: one region (no Front Door, Cosmos DB in one region). It gets its own resource group with the app stack (host storage, Flex plan, Function App, Application Insights), a Cosmos DB read region with service-managed failover and, with `serviceBusGeoRecovery`, the Service Bus Geo-DR secondary. Flex Consumption must be available there too.')
param secondaryLocation string

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

// Premium is billed per messaging unit and hour whatever the traffic, and Geo-DR needs a Premium
// namespace in each region: two namespaces of 1 messaging unit, i.e. 2 × 730 MU-hours a month at the
// Premium rate of azure.microsoft.com/pricing/details/service-bus (about US$677 per MU-month, so about
// US$1,350 a month, at the time of writing; Standard is a small base charge plus operations).
@description('Service Bus Geo-Disaster Recovery: a second Premium namespace in `secondaryLocation` paired with the primary by an alias, which the app connects to. Needs `serviceBusSkuName` Premium and a `secondaryLocation` (Geo-DR is a Premium feature; ARM refuses the pairing otherwise, and test/infra/regions.test.ts refuses the parameter file first).')
param serviceBusGeoRecovery bool

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

// ---- issue 24: private networking ----
@description('The private inside (issue 24): a virtual network per region (modules/network.bicep), the app integrated into it and reachable only from its region\'s gateway subnet, private endpoints with private DNS zones for Cosmos DB, Storage, Key Vault and Service Bus, and their public network access off (the files account keeps its public endpoint for the browsers\' SAS URLs: docs/infrastructure.md, "Network"). Needs Service Bus Premium (private endpoints are a Premium feature) and the API Management gateway in a tier with outbound virtual network integration (Standard v2 or Premium v2).')
param privateNetworking bool

@description('Address ranges per region (CIDR) of the virtual network and its three subnets; used only with `privateNetworking`. The primary\'s and the secondary\'s networks must not overlap (test/infra/network.test.ts).')
param networkAddressSpaces {
  primary: {
    vnet: string
    appSubnet: string
    privateEndpointSubnet: string
    gatewaySubnet: string
  }
  secondary: {
    vnet: string
    appSubnet: string
    privateEndpointSubnet: string
    gatewaySubnet: string
  }
}
// ---- end issue 24: private networking ----
// ---- Production posture (issue 23): availability within a region, backups, data-plane logs ----
// Each choice with what it costs a month; the table and its sources are in docs/infrastructure.md,
// "Production posture (availability within a region)". Prices there are list prices, and where this
// workplace could not read one it says "not confirmed here" and names the page.

// Zone redundancy of a Flex Consumption plan has no meter of its own, but the platform keeps at least
// two always-ready instances for EVERY per-function scaling group (`http`, and each other function on
// its own: today 4 Service Bus consumers, 2 change-feed relays, 4 timers), billed as always-ready
// instances (learn.microsoft.com/azure/reliability/reliability-functions?pivots=flex-consumption-plan,
// "Pricing"; the groups: learn.microsoft.com/azure/azure-functions/flex-consumption-plan#per-function-scaling).
// With 2048 MB instances that is 11 groups x 2 x 2 GB x 2,628,000 s = 115,632,000 GB-s of always-ready
// baseline a month per region, whatever the traffic. It needs zone-redundant host storage
// (hostStorageSkuName Standard_ZRS) and a region that offers it: `az functionapp
// list-flexconsumption-locations --zone-redundant=true` lists them (eastus2 and centralus have
// availability zones, learn.microsoft.com/azure/reliability/regions-list; that Flex offers zone
// redundancy in both is not confirmed here: run that command before turning it on elsewhere).
@description('Flex Consumption plan spread across availability zones, in every region (needs a region that offers it and Standard_ZRS host storage; adds at least two always-ready instances per function group, see above).')
param functionZoneRedundant bool

// Always-ready instances are billed for their memory all the time (the "baseline", GB-s) plus their
// execution time, with no free grant (learn.microsoft.com/azure/azure-functions/flex-consumption-plan#billing):
// n x 2 GB x 2,628,000 s = n x 5,256,000 GB-s a month per region. With zone redundancy, fewer than 2 is
// refused and 0 means the platform's 2 (reliability-functions, "Flex Consumption availability zone support").
@description('Always-ready instances of the HTTP functions (the `http` scaling group) in each region: no cold start for users; 0 = scale from zero. With functionZoneRedundant: 0 or at least 2.')
@minValue(0)
@maxValue(20)
param functionAlwaysReadyHttpInstances int

// The 30-day tier bills backup storage: US$0.20 per GB of data per region a month in Microsoft's example
// (West US; learn.microsoft.com/azure/cosmos-db/continuous-backup-restore-introduction#continuous-backup-pricing);
// the 7-day tier bills no storage. A restore is billed in both (US$0.15 per GB restored in the example).
@description('Cosmos DB point-in-time restore window: Continuous7Days (no storage charge) or Continuous30Days (backup storage billed per GB and region).')
@allowed(['Continuous7Days', 'Continuous30Days'])
param cosmosContinuousBackupTier string

// Resource logs are billed as Log Analytics ingestion per GB (azure.microsoft.com/pricing/details/monitor),
// in proportion to the requests: one DataPlaneRequests record per Cosmos DB request.
@description('Cosmos DB data-plane resource logs (DataPlaneRequests, QueryRuntimeStatistics, PartitionKeyRUConsumption) into resource-specific tables of the primary region\'s workspace.')
param cosmosDataPlaneLogs bool
// ---- end of production posture ----
// ---- Issue 24: the API gateway and the edge (docs/security.md, docs/infrastructure.md) ----

// List price (azure.microsoft.com/pricing/details/api-management): not confirmed here; see
// docs/infrastructure.md, "The gateway and the edge", for what one unit per region costs.
@description('API Management v2 tier of the gateway in each region: \'\' = no gateway (dev: the apps are reached directly), BasicV2 (staging), StandardV2 (production). Needs a second region (Front Door, whose profile alone the gateway accepts).')
@allowed(['', 'BasicV2', 'StandardV2'])
param gatewaySkuName string

@description('Front Door tier: Premium_AzureFrontDoor in production (Microsoft\'s managed WAF rule sets and bot protection), Standard_AzureFrontDoor elsewhere (WAF custom rules only). Used only with a second region.')
@allowed(['Standard_AzureFrontDoor', 'Premium_AzureFrontDoor'])
param frontDoorSkuName string

@description('The gateway\'s limits (docs/security.md gives each number\'s reasoning): requests per minute per tenant, per user and per client address for the anonymous operations, per five minutes per tenant, per UTC day per tenant, and per minute for each partner webhook.')
param gatewayLimits {
  tenantCallsPerMinute: int
  userCallsPerMinute: int
  anonymousAddressCallsPerMinute: int
  tenantCallsPer5Minutes: int
  // Issue 24's per-tenant quota per UTC day (docs/security.md, "The daily quota").
  tenantCallsPerDay: int
  docusignCallsPerMinute: int
  jelouCallsPerMinute: int
  sendgridCallsPerMinute: int
}

@description('The edge\'s limits (docs/security.md): requests per minute per client address, and the largest declared request body in bytes.')
param wafLimits {
  addressRequestsPerMinute: int
  maxRequestBodyBytes: int
}

// ---- end issue 24 block ----

var tags = {
  'azd-env-name': environmentName
  application: 'algesta'
  environment: appEnv
}

var multiRegion = !empty(secondaryLocation)
// Issue 24: the gateway only behind Front Door (it accepts that profile's requests alone);
// test/infra/gateway.test.ts refuses a parameter file with a gateway and one region.
var gatewayOn = !empty(gatewaySkuName) && multiRegion
// The gateways' hosts, known before they exist: Front Door's origins name them without waiting for
// the gateways, which themselves wait for the profile (they read its frontDoorId).
var primaryGatewayHost = '${names.gateway}.azure-api.net'
var secondaryGatewayHost = '${secondaryNames.gateway}.azure-api.net'
// Refused with any other tier or without a second region: ARM rejects a pairing of Standard
// namespaces or one without a partner region, and regions.test.ts names the parameter file first.
var geoRecovery = serviceBusGeoRecovery

// Globally unique names need a suffix; it is stable for a subscription, environment and region.
var token = toLower(uniqueString(subscription().id, environmentName, location))
var secondaryToken = toLower(uniqueString(subscription().id, environmentName, secondaryLocation))
var names = {
  resourceGroup: 'rg-algesta-${environmentName}'
  identity: 'id-algesta-${environmentName}'
  workspace: 'log-algesta-${environmentName}'
  appInsights: 'appi-algesta-${environmentName}'
  hostStorage: 'sthost${token}'
  dataStorage: 'stdata${token}'
  cosmos: 'cosmos-algesta-${token}'
  serviceBus: 'sb-algesta-${token}'
  // The Geo-DR alias: a host name of its own (<alias>.servicebus.windows.net), unique like a namespace's.
  serviceBusAlias: 'sb-algesta-${token}-geo'
  keyVault: 'kv-algesta-${token}'
  plan: 'plan-algesta-${environmentName}'
  functionApp: 'func-algesta-${token}'
  deploymentContainer: 'app-package'
  frontDoor: 'afd-algesta-${environmentName}'
  frontDoorEndpoint: 'algesta-${environmentName}'
  frontDoorOriginGroup: 'api'
  primaryOrigin: 'api-${location}'
  // Issue 24: a v2 gateway's host is <name>.azure-api.net, so its name is globally unique.
  gateway: 'apim-algesta-${token}'
  wafPolicy: 'waf${replace(environmentName, '-', '')}'
}
// The secondary region's resource group: a resource group's metadata lives in its own region, and
// while that region is unavailable the resources in the group cannot be updated ("ARM stores resource
// data for resources in a resource group and, if the region is unavailable, updates to this data could
// fail", Azure Proactive Resiliency Library RG-1, azure.github.io/Azure-Proactive-Resiliency-Library/
// services/management/resource-group; learn.microsoft.com/azure/azure-resource-manager/management/
// overview#resource-group-location-alignment). So the secondary's resources do not live in the
// primary's group: an outage of the primary region must not block deploying or rolling back the
// secondary.
var secondaryNames = {
  resourceGroup: 'rg-algesta-${environmentName}-${secondaryLocation}'
  workspace: 'log-algesta-${environmentName}-${secondaryLocation}'
  appInsights: 'appi-algesta-${environmentName}-${secondaryLocation}'
  hostStorage: 'sthost${secondaryToken}'
  serviceBus: 'sb-algesta-${secondaryToken}'
  plan: 'plan-algesta-${environmentName}-${secondaryLocation}'
  functionApp: 'func-algesta-${secondaryToken}'
  secondaryOrigin: 'api-${secondaryLocation}'
  gateway: 'apim-algesta-${secondaryToken}'
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: names.resourceGroup
  location: location
  tags: tags
}

resource rgSecondary 'Microsoft.Resources/resourceGroups@2024-03-01' = if (multiRegion) {
  name: secondaryNames.resourceGroup
  location: secondaryLocation
  tags: tags
}

// ---- issue 24: private networking ----
// Each region's network in that region's resource group: like the app stack, the secondary's network
// must stay changeable while the primary region is down.
module networkPrimary 'modules/network.bicep' = if (privateNetworking) {
  name: 'network-primary'
  scope: rg
  params: {
    location: location
    tags: tags
    vnetName: 'vnet-algesta-${environmentName}-${location}'
    addressSpace: networkAddressSpaces.primary
  }
}

module networkSecondary 'modules/network.bicep' = if (privateNetworking && multiRegion) {
  name: 'network-secondary'
  scope: rgSecondary
  params: {
    location: secondaryLocation
    tags: tags
    vnetName: 'vnet-algesta-${environmentName}-${secondaryLocation}'
    addressSpace: networkAddressSpaces.secondary
  }
}

// The networks a shared resource (one account or vault for both regions) needs an endpoint in: each
// region's app resolves and reaches it through its own network, so either region works without the
// other (for Service Bus Geo-DR Microsoft asks for exactly this: learn.microsoft.com/azure/
// service-bus-messaging/service-bus-geo-dr#recommended-configuration).
var privateNetworks = privateNetworking
  ? concat(
      [
        {
          location: location
          resourceGroupResourceId: rg.id
          subnetResourceId: networkPrimary!.outputs.privateEndpointSubnetResourceId
          zones: networkPrimary!.outputs.privateDnsZoneResourceIds
        }
      ],
      multiRegion
        ? [
            {
              location: secondaryLocation
              resourceGroupResourceId: rgSecondary.id
              subnetResourceId: networkSecondary!.outputs.privateEndpointSubnetResourceId
              zones: networkSecondary!.outputs.privateDnsZoneResourceIds
            }
          ]
        : []
    )
  : []

// The `privateEndpoints` entries the AVM resource modules take (avm-common-types
// privateEndpointSingleServiceType / privateEndpointMultiServiceType): one endpoint per network, in
// that network's resource group and region, registered in that network's zone for the sub-resource.
func privateEndpointsOf(networks array, resourceName string, service string, zoneKey string) array =>
  map(networks, net => {
    name: 'pe-${resourceName}-${service}-${net.location}'
    location: net.location
    resourceGroupResourceId: net.resourceGroupResourceId
    subnetResourceId: net.subnetResourceId
    service: service
    privateDnsZoneGroup: {
      privateDnsZoneGroupConfigs: [
        {
          privateDnsZoneResourceId: net.zones[zoneKey]
        }
      ]
    }
  })

// For the gateway: the subnet each region's API Management instance integrates into ('' without
// private networking).
var gatewaySubnetResourceIds = {
  primary: privateNetworking ? networkPrimary!.outputs.gatewaySubnetResourceId : ''
  secondary: privateNetworking && multiRegion ? networkSecondary!.outputs.gatewaySubnetResourceId : ''
}
// ---- end issue 24: private networking ----

// One identity for both regions' apps: the roles are granted once on the shared resources, and a
// user-assigned identity is a regional resource whose principal keeps working in Entra ID when its
// region is down (it is read from the app's own configuration, not from the region).
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

// Log Analytics and Application Insights per region: each region's app reports to its own region,
// so the secondary keeps its telemetry (and its alerts) while the primary region is down. The shared
// resources (Cosmos DB, Service Bus, Key Vault) send their logs to the primary's workspace.
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

module monitoringSecondary 'modules/monitoring.bicep' = if (multiRegion) {
  name: 'monitoring-secondary'
  scope: rgSecondary
  params: {
    location: secondaryLocation
    tags: tags
    workspaceName: secondaryNames.workspace
    appInsightsName: secondaryNames.appInsights
    retentionDays: logRetentionDays
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    dataAccountName: names.dataStorage
    dataSkuName: dataStorageSkuName
    corsAllowedOrigins: corsAllowedOrigins
    softDeleteDays: blobSoftDeleteDays
    privateEndpoints: privateEndpointsOf(privateNetworks, names.dataStorage, 'blob', 'blob')
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
    secondaryLocation: secondaryLocation
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceResourceId
    privateNetworking: privateNetworking
    privateEndpoints: privateEndpointsOf(privateNetworks, names.cosmos, 'Sql', 'cosmosSql')
    continuousBackupTier: cosmosContinuousBackupTier
    dataPlaneLogs: cosmosDataPlaneLogs
  }
}

// The Geo-DR secondary: an empty Premium namespace in the secondary region; the pairing replicates
// the primary's topic and subscriptions into it (not the messages).
module serviceBusSecondary 'modules/servicebus.bicep' = if (geoRecovery) {
  name: 'servicebus-secondary'
  scope: rgSecondary
  params: {
    location: secondaryLocation
    tags: tags
    namespaceName: secondaryNames.serviceBus
    skuName: serviceBusSkuName
    declareEntities: false
    logAnalyticsWorkspaceId: monitoringSecondary!.outputs.workspaceResourceId
    privateNetworking: privateNetworking
    privateEndpoints: privateEndpointsOf(privateNetworks, secondaryNames.serviceBus, 'namespace', 'serviceBus')
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
    geoRecovery: geoRecovery
    geoRecoveryPartnerNamespaceResourceId: geoRecovery ? serviceBusSecondary!.outputs.namespaceResourceId : ''
    geoRecoveryAlias: geoRecovery ? names.serviceBusAlias : ''
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceResourceId
    privateNetworking: privateNetworking
    privateEndpoints: privateEndpointsOf(privateNetworks, names.serviceBus, 'namespace', 'serviceBus')
  }
}

// One vault for both regions: Microsoft replicates a vault's contents to the paired region and serves
// it read-only there during a regional outage (learn.microsoft.com/azure/key-vault/general/
// disaster-recovery-guidance); the app only reads secrets. centralus is eastus2's pair.
module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    location: location
    tags: tags
    vaultName: names.keyVault
    purgeProtection: keyVaultPurgeProtection
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceResourceId
    privateNetworking: privateNetworking
    privateEndpoints: privateEndpointsOf(privateNetworks, names.keyVault, 'vault', 'vault')
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    appPrincipalId: identity.outputs.principalId
    dataStorageAccountName: storage.outputs.dataAccountName
    cosmosAccountName: cosmos.outputs.accountName
    keyVaultName: keyVault.outputs.vaultName
    deployerPrincipalId: deployerPrincipalId
    deployerPrincipalType: deployerPrincipalType
    operatorsGroupObjectId: operatorsGroupObjectId
  }
}

module serviceBusRoles 'modules/servicebus-roles.bicep' = {
  name: 'servicebus-roles'
  scope: rg
  params: {
    appPrincipalId: identity.outputs.principalId
    serviceBusNamespaceName: serviceBus.outputs.namespaceName
    topicName: serviceBus.outputs.topicName
    deployerPrincipalId: deployerPrincipalId
    deployerPrincipalType: deployerPrincipalType
    operatorsGroupObjectId: operatorsGroupObjectId
  }
}

// The same roles on the secondary's replicated entities (Entra role assignments are not replicated).
// `serviceBus.outputs` makes it wait for the primary, i.e. for the pairing and its replication.
module serviceBusRolesSecondary 'modules/servicebus-roles.bicep' = if (geoRecovery) {
  name: 'servicebus-roles-secondary'
  scope: rgSecondary
  params: {
    appPrincipalId: identity.outputs.principalId
    serviceBusNamespaceName: serviceBusSecondary!.outputs.namespaceName
    topicName: serviceBus.outputs.topicName
    deployerPrincipalId: deployerPrincipalId
    deployerPrincipalType: deployerPrincipalType
    operatorsGroupObjectId: operatorsGroupObjectId
  }
}

// Everything the two regions' apps share: one list of app settings (functionapp.bicep), the same in
// both regions but for the region's own resources.
var sharedApp = {
  appEnv: appEnv
  logLevel: logLevel
  identityResourceId: identity.outputs.resourceId
  identityClientId: identity.outputs.clientId
  dataBlobEndpoint: storage.outputs.dataBlobEndpoint
  cosmosEndpoint: cosmos.outputs.endpoint
  // Region names as ARM writes them (eastus2,centralus), write region first, the same in both
  // regions. @azure/cosmos compares a preferred location with the account's region names after removing
  // white space and case (normalizeEndpoint, utils/checkURL.ts), so 'eastus2' selects 'East US 2'; and
  // when the global endpoint cannot be reached it builds the regional endpoint
  // <account>-<location>.documents.azure.com from the name with its first space removed
  // (GlobalEndpointManager.getLocationalEndpoint, globalEndpointManager.ts, @azure/cosmos 4.9.3), which
  // is right for 'eastus2' and wrong for 'East US 2'. Empty in a single-region account: the SDK's default.
  cosmosPreferredRegions: join(cosmos.outputs.regions, ',')
  // The alias when Geo-DR pairs two namespaces: it follows a failover, so the app is not reconfigured.
  serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
  keyVaultName: keyVault.outputs.vaultName
  keyVaultUri: keyVault.outputs.vaultUri
  partners: partners
  authIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
  authAudience: authAudience
  authJwksUri: '${environment().authentication.loginEndpoint}${tenant().tenantId}/discovery/v2.0/keys'
  corsAllowedOrigins: corsAllowedOrigins
  emailFromAddress: emailFromAddress
  emailFromName: emailFromName
  maximumInstanceCount: functionMaximumInstanceCount
  instanceMemoryMB: functionInstanceMemoryMB
  // Production posture (issue 23): both regions' plans and apps alike.
  zoneRedundant: functionZoneRedundant
  alwaysReadyHttpInstances: functionAlwaysReadyHttpInstances
}

module primary 'modules/region.bicep' = {
  name: 'region-primary'
  scope: rg
  params: {
    location: location
    tags: tags
    hostStorageAccountName: names.hostStorage
    hostStorageSkuName: hostStorageSkuName
    deploymentContainerName: names.deploymentContainer
    softDeleteDays: blobSoftDeleteDays
    appInsightsName: monitoring.outputs.appInsightsName
    appPrincipalId: identity.outputs.principalId
    app: union(sharedApp, { appName: names.functionApp, planName: names.plan })
    // issue 24, private networking: the region's network ('' and {} without private networking).
    privateNetworking: privateNetworking
    appSubnetResourceId: privateNetworking ? networkPrimary!.outputs.appSubnetResourceId : ''
    gatewaySubnetResourceId: gatewaySubnetResourceIds.primary
    privateEndpointSubnetResourceId: privateNetworking ? networkPrimary!.outputs.privateEndpointSubnetResourceId : ''
    privateDnsZoneResourceIds: privateNetworking ? networkPrimary!.outputs.privateDnsZoneResourceIds : {}
  }
  // The host starts as soon as the app exists: its roles on the shared resources must be in place.
  dependsOn: [rbac, serviceBusRoles]
}

module secondary 'modules/region.bicep' = if (multiRegion) {
  name: 'region-secondary'
  scope: rgSecondary
  params: {
    location: secondaryLocation
    tags: tags
    hostStorageAccountName: secondaryNames.hostStorage
    hostStorageSkuName: hostStorageSkuName
    deploymentContainerName: names.deploymentContainer
    softDeleteDays: blobSoftDeleteDays
    appInsightsName: monitoringSecondary!.outputs.appInsightsName
    appPrincipalId: identity.outputs.principalId
    app: union(sharedApp, { appName: secondaryNames.functionApp, planName: secondaryNames.plan })
    // issue 24, private networking: the region's network ('' and {} without private networking).
    privateNetworking: privateNetworking
    appSubnetResourceId: privateNetworking ? networkSecondary!.outputs.appSubnetResourceId : ''
    gatewaySubnetResourceId: gatewaySubnetResourceIds.secondary
    privateEndpointSubnetResourceId: privateNetworking ? networkSecondary!.outputs.privateEndpointSubnetResourceId : ''
    privateDnsZoneResourceIds: privateNetworking ? networkSecondary!.outputs.privateDnsZoneResourceIds : {}
  }
  dependsOn: [rbac, serviceBusRoles]
}

// Front Door lives in the secondary's resource group: its configuration (an origin disabled to drain
// a region, or to keep a recovering primary out) must stay changeable while the primary region is down,
// which is when it matters; its data plane is global either way.
module frontDoor 'modules/frontdoor.bicep' = if (multiRegion) {
  name: 'front-door'
  scope: rgSecondary
  params: {
    tags: tags
    profileName: names.frontDoor
    endpointName: names.frontDoorEndpoint
    originGroupName: names.frontDoorOriginGroup
    origins: [
      {
        name: names.primaryOrigin
        // Issue 24: the region's gateway when there is one, else its app. (The parentheses: the
        // grammar the contract tests parse with reads `a ? b : c.d.e` as `(a ? b : c.d).e`.)
        hostName: gatewayOn ? primaryGatewayHost : (primary.outputs.defaultHostName)
      }
      {
        name: secondaryNames.secondaryOrigin
        hostName: gatewayOn ? secondaryGatewayHost : (secondary!.outputs.defaultHostName)
      }
    ]
    // Issue 24: tier and WAF policy (docs/security.md).
    skuName: frontDoorSkuName
    wafPolicyName: names.wafPolicy
    wafAddressRequestsPerMinute: wafLimits.addressRequestsPerMinute
    wafMaxRequestBodyBytes: wafLimits.maxRequestBodyBytes
    // Every Front Door edge location probes each origin on its own ("the probe volume on each of your
    // origin is equal to the number of edge locations times two requests per minute" at the 30 s
    // default; edge locations without traffic probe less; learn.microsoft.com/azure/frontdoor/
    // health-probes), and each probe of /api/health/ready reads Cosmos DB, Blob Storage and the bus.
    // 60 s halves that load against the default; with 3 of 4 samples needed, two failed probes (about
    // 2 minutes) move the traffic, inside the 5-minute recovery time of docs/operations.md.
    probeIntervalInSeconds: 60
  }
}

// ---- Issue 24: one API Management gateway per region (modules/gateway.bicep) ----
// Each in its region's resource group, forwarding to its region's app, accepting only this Front Door
// profile. The routes are imported by the pipeline after each region's package is published
// (infra/scripts/gateway-import.ts, called by rollout.ts).
var gatewayShared = {
  skuName: gatewaySkuName
  publisherEmail: emailFromAddress
  authIssuer: sharedApp.authIssuer
  authAudience: sharedApp.authAudience
  authOpenIdConfigUrl: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0/.well-known/openid-configuration'
  limits: gatewayLimits
}

module gatewayPrimary 'modules/gateway.bicep' = if (gatewayOn) {
  name: 'gateway-primary'
  scope: rg
  params: {
    location: location
    tags: tags
    name: names.gateway
    skuName: gatewayShared.skuName
    publisherEmail: gatewayShared.publisherEmail
    functionAppHostName: primary.outputs.defaultHostName
    frontDoorProfileResourceId: frontDoor!.outputs.profileResourceId
    authIssuer: gatewayShared.authIssuer
    authAudience: gatewayShared.authAudience
    authOpenIdConfigUrl: gatewayShared.authOpenIdConfigUrl
    limits: gatewayShared.limits
    // The region's snet-gateway (outbound virtual network integration); '' without private networking.
    subnetResourceId: gatewaySubnetResourceIds.primary
    logAnalyticsWorkspaceResourceId: monitoring.outputs.workspaceResourceId
  }
}

module gatewaySecondary 'modules/gateway.bicep' = if (gatewayOn) {
  name: 'gateway-secondary'
  scope: rgSecondary
  params: {
    location: secondaryLocation
    tags: tags
    name: secondaryNames.gateway
    skuName: gatewayShared.skuName
    publisherEmail: gatewayShared.publisherEmail
    functionAppHostName: secondary!.outputs.defaultHostName
    frontDoorProfileResourceId: frontDoor!.outputs.profileResourceId
    authIssuer: gatewayShared.authIssuer
    authAudience: gatewayShared.authAudience
    authOpenIdConfigUrl: gatewayShared.authOpenIdConfigUrl
    limits: gatewayShared.limits
    // The region's snet-gateway (outbound virtual network integration); '' without private networking.
    subnetResourceId: gatewaySubnetResourceIds.secondary
    logAnalyticsWorkspaceResourceId: monitoringSecondary!.outputs.workspaceResourceId
  }
}
// ---- end issue 24 block ----

var primaryApp = {
  name: primary.outputs.appName
  resourceGroup: rg.name
  region: location
  url: 'https://${primary.outputs.defaultHostName}'
  origin: multiRegion ? names.primaryOrigin : ''
  // Issue 24: this region's gateway (rollout.ts imports the routes into it), or '' without one.
  gateway: gatewayOn ? names.gateway : ''
  // Where the pipeline checks this region (readiness, smoke, version; rollout.ts): its gateway when on,
  // since with private networking the app's own host answers only the gateway's subnet; else the app.
  checkUrl: gatewayOn ? gatewayPrimary!.outputs.url : 'https://${primary.outputs.defaultHostName}'
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    tags: tags
    namePrefix: 'algesta-${environmentName}'
    alertEmailAddresses: alertEmailAddresses
    apps: concat(
      [
        {
          location: location
          appInsightsResourceId: monitoring.outputs.appInsightsResourceId
          functionAppHostName: primary.outputs.defaultHostName
          // The web test probes the region where the pipeline checks it (its gateway when on).
          checkUrl: primaryApp.checkUrl
        }
      ],
      multiRegion
        ? [
            {
              location: secondaryLocation
              appInsightsResourceId: monitoringSecondary!.outputs.appInsightsResourceId
              functionAppHostName: secondary!.outputs.defaultHostName
              checkUrl: gatewayOn ? gatewaySecondary!.outputs.url : 'https://${secondary!.outputs.defaultHostName}'
            }
          ]
        : []
    )
    serviceBusNamespaces: concat(
      [
        {
          location: location
          resourceId: serviceBus.outputs.namespaceResourceId
        }
      ],
      geoRecovery
        ? [
            {
              location: secondaryLocation
              resourceId: serviceBusSecondary!.outputs.namespaceResourceId
            }
          ]
        : []
    )
    cosmosAccountResourceId: cosmos.outputs.accountResourceId
  }
}

// ---- Dashboard (issue 23, "Seeing the system"; docs/operations.md "Dashboard") ----
// One workbook over both regions' telemetry, the Cosmos DB account and every Service Bus namespace,
// in every environment (dev included: see docs/decisions.md on its cost).
module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: {
    location: location
    tags: tags
    namePrefix: 'algesta-${environmentName}'
    appInsightsResourceIds: concat(
      [monitoring.outputs.appInsightsResourceId],
      multiRegion ? [monitoringSecondary!.outputs.appInsightsResourceId] : []
    )
    cosmosAccountResourceId: cosmos.outputs.accountResourceId
    serviceBusNamespaceResourceIds: concat(
      [serviceBus.outputs.namespaceResourceId],
      geoRecovery ? [serviceBusSecondary!.outputs.namespaceResourceId] : []
    )
  }
}
// ---- end of the dashboard ----

// Read by azd (into the azd environment) and by the pipeline; none of them is a secret.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
// The primary's app: what azd deploys to (dev has one region) and what the existing checks call.
output AZURE_FUNCTION_APP_NAME string = primary.outputs.appName
output AZURE_FUNCTION_APP_URL string = 'https://${primary.outputs.defaultHostName}'
// Every region's app in rollout order: the secondary first, the primary (which serves the traffic)
// last. `origin` is its Front Door origin, '' without Front Door.
output AZURE_FUNCTION_APPS object[] = multiRegion
  ? [
      {
        name: secondary!.outputs.appName
        resourceGroup: secondaryNames.resourceGroup
        region: secondaryLocation
        url: 'https://${secondary!.outputs.defaultHostName}'
        origin: secondaryNames.secondaryOrigin
        gateway: gatewayOn ? secondaryNames.gateway : ''
        checkUrl: gatewayOn ? gatewaySecondary!.outputs.url : 'https://${secondary!.outputs.defaultHostName}'
      }
      primaryApp
    ]
  : [primaryApp]
// Front Door ('' in a single region).
output AZURE_FRONT_DOOR_PROFILE string = multiRegion ? names.frontDoor : ''
output AZURE_FRONT_DOOR_RESOURCE_GROUP string = multiRegion ? secondaryNames.resourceGroup : ''
output AZURE_FRONT_DOOR_ORIGIN_GROUP string = multiRegion ? names.frontDoorOriginGroup : ''
output AZURE_FRONT_DOOR_ENDPOINT string = multiRegion ? names.frontDoorEndpoint : ''
output AZURE_FRONT_DOOR_URL string = multiRegion ? 'https://${frontDoor!.outputs.endpointHostName}' : ''
// The profile's frontDoorId, which each gateway requires as X-Azure-FDID: the pipeline sends it when it
// checks a region at its gateway (docs/security.md). Read by the gateway module from the profile;
// '' without a gateway (no one checks it then).
output AZURE_FRONT_DOOR_ID string = gatewayOn ? gatewayPrimary!.outputs.frontDoorId : ''
// Read by infra/scripts/region-failover.ts: the Cosmos DB account whose write region it moves, and
// the Service Bus Geo-DR alias with each namespace's region ([] without an alias: nothing to fail over).
// Issue 24: each region's gateway ([] without): what the pipeline imports the API into.
output AZURE_GATEWAYS object[] = gatewayOn
  ? [
      {
        name: secondaryNames.gateway
        resourceGroup: secondaryNames.resourceGroup
        region: secondaryLocation
        url: 'https://${gatewaySecondary!.outputs.hostName}'
      }
      {
        name: names.gateway
        resourceGroup: rg.name
        region: location
        url: 'https://${gatewayPrimary!.outputs.hostName}'
      }
    ]
  : []
output AZURE_COSMOS_ACCOUNT_NAME string = cosmos.outputs.accountName
output AZURE_COSMOS_RESOURCE_GROUP string = rg.name
output AZURE_SERVICEBUS_ALIAS string = geoRecovery ? names.serviceBusAlias : ''
output AZURE_SERVICEBUS_NAMESPACES object[] = geoRecovery
  ? [
      { name: names.serviceBus, resourceGroup: rg.name, region: location }
      { name: secondaryNames.serviceBus, resourceGroup: secondaryNames.resourceGroup, region: secondaryLocation }
    ]
  : []
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.vaultName
// Names only: the secrets to create in the vault before the app needs them.
output AZURE_KEY_VAULT_SECRET_NAMES string[] = keyVault.outputs.expectedSecretNames
output AZURE_DASHBOARD_ORIGINS string = join(corsAllowedOrigins, ',')
output COSMOS__accountEndpoint string = cosmos.outputs.endpoint
output STORAGE__blobServiceUri string = storage.outputs.dataBlobEndpoint
output SERVICEBUS__fullyQualifiedNamespace string = serviceBus.outputs.fullyQualifiedNamespace
