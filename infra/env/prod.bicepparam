// Production: deployed from `main` by azure-pipelines.yml after an approval.
using '../main.bicep'

param environmentName = 'prod'
param appEnv = 'prod'
param location = 'eastus2'
param logLevel = 'info'
// eastus2's Azure paired region (where geo-redundant storage replicates), with Flex Consumption
// (docs/infrastructure.md, "Two regions").
param secondaryLocation = 'centralus'

// Autoscale between 10 % and 100 % of the ceiling, per database.
param cosmosAutoscaleMaxThroughput = 4000
param cosmosZoneRedundant = true
param hostStorageSkuName = 'Standard_ZRS'
// Files survive the loss of a zone and of the region, and stay readable from the secondary region
// while the primary is down (read-access geo-zone-redundant).
param dataStorageSkuName = 'Standard_RAGZRS'
param blobSoftDeleteDays = 30
// Premium in both regions, paired by a Geo-DR alias (main.bicep gives the cost).
param serviceBusSkuName = 'Premium'
param serviceBusGeoRecovery = true
param functionMaximumInstanceCount = 100
param functionInstanceMemoryMB = 2048
param logRetentionDays = 90
// On: a deleted vault stays recoverable, and cannot be purged, for 90 days.
param keyVaultPurgeProtection = true

param authAudience = 'api://algesta'
param corsAllowedOrigins = [
  'https://app.algesta.co'
]
param emailFromAddress = 'no-reply@algesta.co'
param emailFromName = 'Algesta'
param alertEmailAddresses = empty(readEnvironmentVariable('ALGESTA_ALERT_EMAILS', ''))
  ? []
  : split(readEnvironmentVariable('ALGESTA_ALERT_EMAILS', ''), ',')

param deployerPrincipalId = ''
param deployerPrincipalType = 'ServicePrincipal'
param operatorsGroupObjectId = readEnvironmentVariable('ALGESTA_OPERATORS_GROUP_ID', '')

// Partners: empty until the environment's accounts exist (docs/integrations.md lists what each needs).
// DocuSign's demo hosts are account-d.docusign.com / demo.docusign.net; production uses
// account.docusign.com / the account's base URI.
param partners = {
  jelouBotId: ''
  jelouClientId: ''
  docusignOAuthBaseUrl: ''
  docusignApiBaseUrl: ''
  docusignAccountId: ''
  docusignIntegrationKey: ''
  docusignUserId: ''
  docusignTemplateId: ''
  asanaBaseUrl: 'https://app.asana.com/api/1.0'
  assetsBaseUrl: ''
  qsystemsBaseUrl: ''
}

// ---- issue 24: private networking ----
// On: the private inside (docs/infrastructure.md, "Network"). Needs Service Bus Premium and the
// gateway in Standard v2 (outbound virtual network integration).
param privateNetworking = true
// Per region, not overlapping (so the two networks could be peered later); used only when on.
param networkAddressSpaces = {
  primary: {
    vnet: '10.40.0.0/22'
    appSubnet: '10.40.0.0/24'
    privateEndpointSubnet: '10.40.1.0/24'
    gatewaySubnet: '10.40.2.0/24'
  }
  secondary: {
    vnet: '10.41.0.0/22'
    appSubnet: '10.41.0.0/24'
    privateEndpointSubnet: '10.41.1.0/24'
    gatewaySubnet: '10.41.2.0/24'
  }
}
// ---- end issue 24: private networking ----
// ---- Production posture (issue 23); the costs: main.bicep and docs/infrastructure.md, "Production posture" ----
// Zones in both regions: the platform keeps two always-ready instances of every function group across
// zones (its 115,632,000 GB-s of baseline a month per region at 2048 MB: main.bicep says why).
param functionZoneRedundant = true
// Two warm HTTP instances in each region, in two zones: a zone or an instance can go without a cold
// start for users (2 x 5,256,000 GB-s of baseline a month per region, part of the figure above).
param functionAlwaysReadyHttpInstances = 2
// 30 days of point-in-time restore: backup storage billed per GB of data in each of the two regions.
param cosmosContinuousBackupTier = 'Continuous30Days'
// Every Cosmos DB request in CDBDataPlaneRequests (and query statistics, RU per partition key): Log
// Analytics ingestion per GB.
param cosmosDataPlaneLogs = true
// ---- end of production posture ----
// ---- Issue 24: the gateway and the edge (docs/security.md gives each number's reasoning) ----
// One Standard v2 gateway per region; Front Door Premium: Microsoft's managed WAF rule sets and bot protection.
param gatewaySkuName = 'StandardV2'
param frontDoorSkuName = 'Premium_AzureFrontDoor'
param gatewayLimits = {
  tenantCallsPerMinute: 600
  userCallsPerMinute: 300
  anonymousAddressCallsPerMinute: 60
  tenantCallsPer5Minutes: 1500
  tenantCallsPerDay: 50000
  docusignCallsPerMinute: 300
  jelouCallsPerMinute: 1200
  sendgridCallsPerMinute: 600
}
param wafLimits = {
  addressRequestsPerMinute: 1200
  maxRequestBodyBytes: 1048576
}
// ---- end issue 24 block ----
