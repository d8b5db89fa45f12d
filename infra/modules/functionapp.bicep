// The Function App on the Flex Consumption plan (Linux, Node.js 22), running as the user-assigned
// identity. Every connection is identity-based: the app settings name endpoints, never keys.
// The setting names are the ones shared/platform/config.ts reads (test/infra checks both ways).

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Function App name (globally unique host name).')
param appName string

@description('Flex Consumption plan name.')
param planName string

@description('The region this app runs in (ALGESTA_REGION): GET /api/health shows it, so a drill sees which region answered.')
param region string

@description('COSMOS_PREFERRED_REGIONS: the Cosmos DB regions the SDK tries in order, comma-separated (write region first); empty: the SDK\'s default.')
param cosmosPreferredRegions string

@description('dev, staging or prod: the app\'s APP_ENV.')
@allowed(['dev', 'staging', 'prod'])
param appEnv string

@description('LOG_LEVEL of the app.')
@allowed(['debug', 'info', 'warn', 'error'])
param logLevel string

@description('Resource ID of the user-assigned identity the app runs as.')
param identityResourceId string

@description('Client ID of that identity: tells the host and DefaultAzureCredential which identity to use.')
param identityClientId string

@description('Host storage account (AzureWebJobsStorage) name.')
param hostStorageAccountName string

@description('Blob endpoint of the host storage account, ending with a slash.')
param hostBlobEndpoint string

@description('Container of the host storage account the package is deployed from.')
param deploymentContainerName string

@description('Blob endpoint of the files account (STORAGE__blobServiceUri).')
param dataBlobEndpoint string

@description('Cosmos DB account endpoint (COSMOS__accountEndpoint).')
param cosmosEndpoint string

@description('Service Bus namespace host name (SERVICEBUS__fullyQualifiedNamespace).')
param serviceBusFullyQualifiedNamespace string

@description('Key Vault name that holds the partner secrets.')
param keyVaultName string

@description('Application Insights component name.')
param appInsightsName string

@description('Entra ID token issuer (AUTH_ISSUER).')
param authIssuer string

@description('The API\'s app ID URI, the expected token audience (AUTH_AUDIENCE).')
param authAudience string

@description('Entra ID signing keys (AUTH_JWKS_URI).')
param authJwksUri string

@description('Origins of the dashboard (CORS_ALLOWED_ORIGINS). The app answers CORS itself; the platform\'s CORS stays off because it would take over.')
param corsAllowedOrigins string[]

@description('The vault of the partner secrets the adapters read through the SDK (KEY_VAULT_URI).')
param keyVaultUri string

@description('Partner endpoints and ids (docs/integrations.md, docs/whatsapp.md); empty = the partner is not used.')
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

@description('Sender address of the app\'s e-mail (SENDGRID_FROM_EMAIL), a verified sender in SendGrid.')
param emailFromAddress string

@description('Sender name of the app\'s e-mail (SENDGRID_FROM_NAME).')
param emailFromName string

@description('Upper bound of instances the plan scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory of each instance in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int

// ---- issue 24: private networking ----
@description('Private networking: the app joins `virtualNetworkSubnetResourceId` and accepts requests only from `inboundSubnetResourceId`.')
param privateNetworking bool = false

@description('Subnet of the app\'s outbound virtual network integration (snet-app, delegated to Microsoft.App/environments). Empty: none.')
param virtualNetworkSubnetResourceId string = ''

@description('The one subnet the app accepts requests from with private networking (its region\'s gateway subnet).')
param inboundSubnetResourceId string = ''

// Inbound only from the region's gateway: an access restriction allowing its subnet, everything else
// denied. Flex Consumption takes inbound IP restrictions (learn.microsoft.com/azure/azure-functions/
// functions-networking-options#inbound-networking-features); a rule names the subnet through its
// Microsoft.Web service endpoint (learn.microsoft.com/azure/app-service/
// overview-access-restrictions#access-restriction-rules-based-on-service-endpoints). A private
// endpoint for the app was not chosen: it turns the public endpoint off for the deployment (SCM) site
// too, and Flex deployments to apps with a private endpoint are reported to hang
// (github.com/Azure/azure-functions/issues/2635). The SCM site keeps rules of its own
// (scmIpSecurityRestrictionsUseMain false) and stays reachable for the pipeline's Entra-authenticated
// publish (basic authentication is off below); docs/infrastructure.md, "Network", has the path.
var inboundRestricted = privateNetworking
var accessRestrictions = {
  ipSecurityRestrictionsDefaultAction: inboundRestricted ? 'Deny' : 'Allow'
  ipSecurityRestrictions: inboundRestricted
    ? [
        {
          name: 'gateway'
          description: 'The region\'s API Management gateway (outbound virtual network integration)'
          action: 'Allow'
          priority: 100
          vnetSubnetResourceId: inboundSubnetResourceId
        }
      ]
    : []
  scmIpSecurityRestrictionsUseMain: false
  scmIpSecurityRestrictionsDefaultAction: 'Allow'
}
// ---- end issue 24 ----
// ---- Production posture (issue 23): zones and warm instances; docs/infrastructure.md, "Production posture" ----
@description('Spread the plan\'s instances across availability zones (main.bicep `functionZoneRedundant` says what it costs).')
param zoneRedundant bool

@description('Always-ready instances of the `http` per-function scaling group: 0 = none (the HTTP functions scale from zero).')
@minValue(0)
param alwaysReadyHttpInstances int
// ---- end of production posture ----

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// Partner credentials, app setting -> Key Vault secret name: every setting config.ts lists in
// `secretSettings` (and values copied from a partner's console, so operators change them without a
// deployment). Bicep names them; people put the values in the vault (docs/operations.md).
var keyVaultSettings = {
  SENDGRID_API_KEY: 'sendgrid-api-key'
  SENDGRID_WEBHOOK_PUBLIC_KEY: 'sendgrid-webhook-public-key'
  JELOU_CLIENT_SECRET: 'jelou-client-secret'
  JELOU_WEBHOOK_SECRET: 'jelou-webhook-secret'
}

var keyVaultReferences = toObject(
  items(keyVaultSettings),
  entry => entry.key,
  entry => '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${entry.value})'
)

var appSettings = {
  // The Functions host: identity-based host storage and telemetry.
  AzureWebJobsStorage__accountName: hostStorageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // The SDK clients (DefaultAzureCredential) pick the user-assigned identity by this.
  AZURE_CLIENT_ID: identityClientId

  APP_ENV: appEnv
  LOG_LEVEL: logLevel
  ALGESTA_REGION: region
  // Used by the SDK client and by the change-feed trigger (connection 'COSMOS').
  COSMOS__accountEndpoint: cosmosEndpoint
  // The same in every region, write region first: reads and writes stay in the write region while it
  // is up, and the SDK moves to the next when it is not (main.bicep says why these are region names).
  COSMOS_PREFERRED_REGIONS: cosmosPreferredRegions
  COSMOS__credential: 'managedidentity'
  COSMOS__clientId: identityClientId
  STORAGE__blobServiceUri: dataBlobEndpoint
  // Used by the publisher and by the topic triggers (connection 'SERVICEBUS').
  SERVICEBUS__fullyQualifiedNamespace: serviceBusFullyQualifiedNamespace
  SERVICEBUS__credential: 'managedidentity'
  SERVICEBUS__clientId: identityClientId
  AUTH_MODE: 'entra'
  AUTH_ISSUER: authIssuer
  AUTH_AUDIENCE: authAudience
  AUTH_JWKS_URI: authJwksUri
  CORS_ALLOWED_ORIGINS: join(corsAllowedOrigins, ',')
  // The API reference page at /api/docs, in every environment (it shows the public OpenAPI document).
  API_DOCS_ENABLED: 'true'
  // The client event feed calls public HTTPS addresses only; config.ts refuses 'true' outside APP_ENV=local.
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false'
  // E-mail through SendGrid (the key and the webhook's verification key come from Key Vault).
  SENDGRID_FROM_EMAIL: emailFromAddress
  SENDGRID_FROM_NAME: emailFromName
  // Empty means unset: the code's default, SendGrid's global API.
  SENDGRID_API_BASE_URL: ''
  // WhatsApp through Jelou (the client secret and the webhook secret come from Key Vault).
  JELOU_BASE_URL: 'https://api.jelou.ai'
  JELOU_BOT_ID: partners.jelouBotId
  JELOU_CLIENT_ID: partners.jelouClientId
  // Empty: inbound media from any https host.
  JELOU_MEDIA_HOSTS: ''
  // Partner secrets read through the SDK, refreshed every 5 minutes (rotation without restart).
  KEY_VAULT_URI: keyVaultUri
  SECRETS_REFRESH_SECONDS: '300'
  DOCUSIGN_OAUTH_BASE_URL: partners.docusignOAuthBaseUrl
  DOCUSIGN_API_BASE_URL: partners.docusignApiBaseUrl
  DOCUSIGN_ACCOUNT_ID: partners.docusignAccountId
  DOCUSIGN_INTEGRATION_KEY: partners.docusignIntegrationKey
  DOCUSIGN_USER_ID: partners.docusignUserId
  DOCUSIGN_TEMPLATE_ID: partners.docusignTemplateId
  ASANA_BASE_URL: partners.asanaBaseUrl
  ASSETS_BASE_URL: partners.assetsBaseUrl
  QSYSTEMS_BASE_URL: partners.qsystemsBaseUrl
}

module plan 'br/public:avm/res/web/serverfarm:0.7.0' = {
  name: 'function-plan'
  params: {
    name: planName
    location: location
    tags: tags
    skuName: 'FC1'
    kind: 'functionapp'
    reserved: true
    // Flex Consumption zone redundancy is a property of the plan (learn.microsoft.com/azure/reliability/
    // reliability-functions?pivots=flex-consumption-plan); the AVM module passes it through to
    // properties.zoneRedundant (avm/res/web/serverfarm 0.7.0, main.bicep).
    zoneRedundant: zoneRedundant
    enableTelemetry: false
  }
}

module app 'br/public:avm/res/web/site:0.24.0' = {
  name: 'function-app'
  params: {
    name: appName
    location: location
    // azd finds the app of service `api` (azure.yaml) by this tag, and the pipeline's rollback finds
    // every region's app by it. Both regions' apps carry it: azd deploys only dev, which has one region.
    tags: union(tags, { 'azd-service-name': 'api' })
    kind: 'functionapp,linux'
    serverFarmResourceId: plan.outputs.resourceId
    httpsOnly: true
    clientAffinityEnabled: false
    managedIdentities: {
      userAssignedResourceIds: [identityResourceId]
    }
    // Key Vault references resolve with the same identity.
    keyVaultAccessIdentityResourceId: identityResourceId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        // All HTTP-triggered functions scale together as the group `http`; the instances named here
        // stay loaded whatever the traffic, so a request after a quiet period meets no cold start
        // (learn.microsoft.com/azure/azure-functions/flex-consumption-plan#always-ready-instances and
        // flex-consumption-how-to#set-always-ready-instance-counts). The AVM site module passes
        // functionAppConfig through unchanged (avm/res/web/site 0.24.0, main.bicep).
        alwaysReady: alwaysReadyHttpInstances > 0
          ? [
              {
                name: 'http'
                instanceCount: alwaysReadyHttpInstances
              }
            ]
          : []
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    // Always passed: without it the AVM module applies its default siteConfig (alwaysOn: true,
    // ftpsState: 'FtpsOnly'), which Flex Consumption refuses. The runtime and scaling live in
    // functionAppConfig; ftpsState, alwaysOn, use32BitWorkerProcess, linuxFxVersion,
    // functionAppScaleLimit, preWarmedInstanceCount and more are "Flex Consumption plan
    // deprecations" (learn.microsoft.com/azure/azure-functions/functions-app-settings), and ARM
    // refuses several outright with error 51021 (microsoft/azure-pipelines-tasks#21032).
    // http20Enabled is not documented for Flex either (the portal hides the HTTP 2.0 settings for
    // Flex apps, Azure/azure-functions-ux#7660): left out. test/infra/flex.test.ts keeps this object
    // to what Flex accepts.
    siteConfig: union(
      {
        minTlsVersion: '1.2'
      },
      accessRestrictions
    )
    virtualNetworkSubnetResourceId: privateNetworking ? virtualNetworkSubnetResourceId : null
    // Deployments authenticate with Entra ID (azd, the pipeline); the SCM publishing password stays
    // off. Flex Consumption has no FTP ("FTPS not supported" in the same list; the portal hides FTP
    // basic auth for Flex apps, azure-functions-ux#7660), so there is no `ftp` policy to set.
    basicPublishingCredentialsPolicies: [
      {
        name: 'scm'
        allow: false
      }
    ]
    configs: [
      {
        name: 'appsettings'
        // Bicep is the whole truth: a setting removed here is removed from the app.
        retainCurrentAppSettings: false
        properties: union(appSettings, keyVaultReferences)
      }
    ]
    enableTelemetry: false
  }
}

output appName string = appName
output defaultHostName string = app.outputs.defaultHostname
output resourceId string = app.outputs.resourceId
