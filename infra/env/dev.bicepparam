// A development environment: what `azd up` provisions (azure.yaml points azd here). Each developer
// can have their own (`azd env new dev-<name>`): the azd environment name names the resources.
using '../main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'dev')
param appEnv = 'dev'
param location = readEnvironmentVariable('AZURE_LOCATION', 'eastus2')
param logLevel = 'debug'
// One region: no Front Door, no second Cosmos DB region (serverless is single-region anyway).
param secondaryLocation = ''

// Serverless: pay per request, nothing while idle.
param cosmosAutoscaleMaxThroughput = 0
param cosmosZoneRedundant = false
param hostStorageSkuName = 'Standard_LRS'
param dataStorageSkuName = 'Standard_LRS'
param blobSoftDeleteDays = 7
param serviceBusSkuName = 'Standard'
param serviceBusGeoRecovery = false
param functionMaximumInstanceCount = 40
param functionInstanceMemoryMB = 2048
param logRetentionDays = 30
// Off: `azd down --purge` purges the vault, so `azd up` can make it again under the same name.
param keyVaultPurgeProtection = false

param authAudience = 'api://algesta-dev'
param corsAllowedOrigins = [
  'http://localhost:5173'
]
param emailFromAddress = 'no-reply@algesta.co'
param emailFromName = 'Algesta (dev)'
param alertEmailAddresses = empty(readEnvironmentVariable('ALGESTA_ALERT_EMAILS', ''))
  ? []
  : split(readEnvironmentVariable('ALGESTA_ALERT_EMAILS', ''), ',')

// azd sets AZURE_PRINCIPAL_ID to whoever runs it; that principal gets data access here.
param deployerPrincipalId = readEnvironmentVariable('AZURE_PRINCIPAL_ID', '')
// A person, unless the azd environment says otherwise: with a .bicepparam azd passes
// AZURE_PRINCIPAL_ID only, not the type it knows (Azure/azure-dev bicep_provider.go, compileBicep),
// so a service principal running `azd up` sets `azd env set AZURE_PRINCIPAL_TYPE ServicePrincipal`.
param deployerPrincipalType = readEnvironmentVariable('AZURE_PRINCIPAL_TYPE', 'User')
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
// Off: one region, serverless Cosmos DB, Standard Service Bus (no private endpoints) and no gateway;
// a developer reaches everything from their machine.
param privateNetworking = false
// Per region, not overlapping (so the two networks could be peered later); used only when on.
param networkAddressSpaces = {
  primary: {
    vnet: '10.20.0.0/22'
    appSubnet: '10.20.0.0/24'
    privateEndpointSubnet: '10.20.1.0/24'
    gatewaySubnet: '10.20.2.0/24'
  }
  secondary: {
    vnet: '10.21.0.0/22'
    appSubnet: '10.21.0.0/24'
    privateEndpointSubnet: '10.21.1.0/24'
    gatewaySubnet: '10.21.2.0/24'
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
// No gateway and no Front Door (one region): the app is called directly, as under `npm start`;
// the limits exist only where a gateway does (docs/security.md).
param gatewaySkuName = ''
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
