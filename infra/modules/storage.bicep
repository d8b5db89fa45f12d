// The application's files. The Functions host's own storage (leases, timers, the deployment
// package) is a separate account per region (hoststorage.bicep): keeping them apart lets the files
// account be geo-redundant and versioned without paying for versions of every host lease blob, and
// keeps the host's broad role away from the files.

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Files storage account name (3-24 lowercase letters and digits).')
param dataAccountName string

@description('Redundancy of the files account: geo-redundant in production.')
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS', 'Standard_RAGRS', 'Standard_RAGZRS'])
param dataSkuName string

@description('Origins of the dashboard: browsers upload and download files directly with short-lived SAS URLs.')
param corsAllowedOrigins string[]

@description('Days a deleted blob, version or container stays recoverable.')
@minValue(1)
@maxValue(365)
param softDeleteDays int

// ---- issue 24: private networking ----
@description('Private endpoints of this resource, one per region\'s network (main.bicep\'s privateEndpointsOf; [] without private networking), in the AVM module\'s own `privateEndpoints` form.')
param privateEndpoints array = []
// ---- end issue 24 ----

// BLOB_CONTAINERS of shared/adapters/cosmos/containers.ts; rbac.bicep scopes the app's file roles to them.
@export()
var blobContainerNames = [
  'order-files'
  'provider-documents'
]

// The SAS URL is signed for one blob; the browser sends the upload with these headers.
var blobCorsRules = empty(corsAllowedOrigins)
  ? []
  : [
      {
        allowedOrigins: corsAllowedOrigins
        allowedMethods: ['GET', 'HEAD', 'PUT', 'OPTIONS']
        allowedHeaders: ['content-type', 'content-length', 'x-ms-blob-type', 'x-ms-blob-content-type', 'x-ms-version', 'x-ms-client-request-id']
        exposedHeaders: ['etag', 'content-length', 'content-type', 'x-ms-request-id']
        maxAgeInSeconds: 3600
      }
    ]

module dataAccount 'br/public:avm/res/storage/storage-account:0.33.0' = {
  name: 'storage-data'
  params: {
    name: dataAccountName
    location: location
    tags: tags
    skuName: dataSkuName
    kind: 'StorageV2'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // Browsers upload and download straight from this account with SAS URLs, so it must be public.
    // With private networking the app reaches it through its private endpoints (blob), browsers still
    // through the public endpoint with a single-blob SAS (docs/infrastructure.md, "Network").
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    privateEndpoints: privateEndpoints
    blobServices: {
      containers: [
        for containerName in blobContainerNames: {
          name: containerName
          publicAccess: 'None'
        }
      ]
      corsRules: blobCorsRules
      isVersioningEnabled: true
      // Old versions are kept long enough to undo a bad overwrite, then removed by a lifecycle rule.
      versionDeletePolicyDays: 90
      deleteRetentionPolicyEnabled: true
      deleteRetentionPolicyDays: softDeleteDays
      containerDeleteRetentionPolicyEnabled: true
      containerDeleteRetentionPolicyDays: softDeleteDays
    }
    enableTelemetry: false
  }
}

// Names echo the parameters (known before deployment); reading any output still waits for this module.
output dataAccountName string = dataAccountName
output blobContainerNames string[] = blobContainerNames
output dataBlobEndpoint string = 'https://${dataAccountName}.blob.${environment().suffixes.storage}/'
