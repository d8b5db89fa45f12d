// Staging: deployed from `develop` by azure-pipelines.yml. Shaped like production (autoscale,
// zone-redundant storage) at the smallest sizes, so a deployment rehearses production's.
using '../main.bicep'

param environmentName = 'staging'
param appEnv = 'staging'
param location = 'eastus2'
param logLevel = 'info'
// eastus2's Azure paired region (where geo-redundant storage replicates), with Flex Consumption
// (docs/infrastructure.md, "Two regions").
// Two regions here too, so every staging deployment rehearses production's region-by-region rollout.
param secondaryLocation = 'centralus'

param cosmosAutoscaleMaxThroughput = 1000
param cosmosZoneRedundant = false
param hostStorageSkuName = 'Standard_LRS'
param dataStorageSkuName = 'Standard_ZRS'
param blobSoftDeleteDays = 7
param serviceBusSkuName = 'Standard'
// No Geo-DR alias: Premium costs a fixed hourly rate per namespace (main.bicep), staging stays cheap.
param serviceBusGeoRecovery = false
param functionMaximumInstanceCount = 40
param functionInstanceMemoryMB = 2048
param logRetentionDays = 30
// On: a deleted vault stays recoverable, and cannot be purged, for 90 days.
param keyVaultPurgeProtection = true

param authAudience = 'api://algesta-staging'
param corsAllowedOrigins = [
  'https://staging.app.algesta.co'
]
param emailFromAddress = 'no-reply@algesta.co'
param emailFromName = 'Algesta (staging)'
param alertEmailAddresses = empty(readEnvironmentVariable('ALGESTA_ALERT_EMAILS', ''))
  ? []
  : split(readEnvironmentVariable('ALGESTA_ALERT_EMAILS', ''), ',')

// The pipeline's identity gets no data access.
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
// Off: the staging gateway is Basic v2, which has no outbound virtual network integration (only
// Standard v2 and Premium v2 do), and private endpoints for Service Bus need Premium, which staging
// does not pay for (docs/infrastructure.md, "Network").
param privateNetworking = false
// Per region, not overlapping (so the two networks could be peered later); used only when on.
param networkAddressSpaces = {
  primary: {
    vnet: '10.30.0.0/22'
    appSubnet: '10.30.0.0/24'
    privateEndpointSubnet: '10.30.1.0/24'
    gatewaySubnet: '10.30.2.0/24'
  }
  secondary: {
    vnet: '10.31.0.0/22'
    appSubnet: '10.31.0.0/24'
    privateEndpointSubnet: '10.31.1.0/24'
    gatewaySubnet: '10.31.2.0/24'
  }
}
// ---- end issue 24: private networking ----
// ---- Production posture (issue 23): off here, nothing billed while idle (docs/infrastructure.md) ----
param functionZoneRedundant = false
param functionAlwaysReadyHttpInstances = 0
param cosmosContinuousBackupTier = 'Continuous7Days'
param cosmosDataPlaneLogs = false
// ---- end of production posture ----
// ---- Issue 24: the gateway and the edge (docs/security.md gives each number's reasoning) ----
// One Basic v2 gateway per region (the same policy as production); Front Door Standard: WAF custom
// rules only (per-address rate, body size), the managed rule sets need Premium's fixed monthly fee
// (docs/infrastructure.md, "The gateway and the edge").
param gatewaySkuName = 'BasicV2'
param frontDoorSkuName = 'Standard_AzureFrontDoor'
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
