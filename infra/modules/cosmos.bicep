// Cosmos DB for NoSQL: every database and container of shared/adapters/cosmos/containers.ts
// (except the embedded stack's local bus), with the same partition keys, TTLs and indexing
// policies. test/infra checks the two stay equal.

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Account name (3-44 lowercase letters, digits, hyphens).')
param accountName string

@description('0 = serverless (pay per request, for dev); otherwise the autoscale ceiling of each database in RU/s (a multiple of 1000).')
@minValue(0)
param autoscaleMaxThroughput int

@description('Spread the account across availability zones (where the region has them).')
param zoneRedundant bool

@description('Log Analytics workspace for the account\'s control-plane audit logs.')
param logAnalyticsWorkspaceId string

@description('Second (read) region; empty: the account stays in one region. Ignored for serverless accounts.')
param secondaryLocation string = ''

// ---- issue 24: private networking ----
@description('Private networking: public network access off; the app reaches this resource through `privateEndpoints`.')
param privateNetworking bool = false

@description('Private endpoints of this resource, one per region\'s network (main.bicep\'s privateEndpointsOf; [] without private networking), in the AVM module\'s own `privateEndpoints` form.')
param privateEndpoints array = []
// ---- end issue 24 ----
// ---- Production posture (issue 23): backups and data-plane logs; docs/infrastructure.md, "Production posture" ----
@description('Point-in-time restore window of the continuous backup (main.bicep `cosmosContinuousBackupTier` says what it costs).')
@allowed(['Continuous7Days', 'Continuous30Days'])
param continuousBackupTier string

@description('Send the data-plane resource logs (every request, query statistics, RU per partition key) to the workspace.')
param dataPlaneLogs bool

// Resource-specific tables (CDBDataPlaneRequests, CDBQueryRuntimeStatistics, CDBPartitionKeyRUConsumption,
// CDBControlPlaneRequests), as Microsoft recommends for every API but Table
// (learn.microsoft.com/azure/cosmos-db/monitor-resource-logs; the table per category:
// learn.microsoft.com/azure/cosmos-db/nosql/diagnostic-queries). DataPlaneRequests: one record per
// request (status code, RU charge, duration, partition); QueryRuntimeStatistics: the query text,
// obfuscated unless "diagnostics full-text query" is turned on (it is not), joined to a request by
// ActivityId; PartitionKeyRUConsumption: RU/s per logical partition key, which names a hot partition
// behind 429s.
var dataPlaneLogCategories = ['DataPlaneRequests', 'QueryRuntimeStatistics', 'PartitionKeyRUConsumption']
// ---- end of production posture ----

var serverless = autoscaleMaxThroughput == 0

// A serverless account runs in a single region (learn.microsoft.com/azure/cosmos-db/serverless):
// dev stays single-region.
var secondRegion = !serverless && !empty(secondaryLocation)

// One write region (failover priority 0) and one read region (priority 1) that the service promotes
// when the write region is lost (service-managed failover, `enableAutomaticFailover`): the AVM module's
// `failoverLocations` become the account's `locations` (avm/res/document-db/database-account 0.20.1,
// main.bicep). Its `zoneRedundant` is ignored for multi-region accounts, and each location's
// `isZoneRedundant` defaults to true there: both are set from the parameter.
var locations = secondRegion
  ? [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: zoneRedundant
      }
      {
        locationName: secondaryLocation
        failoverPriority: 1
        isZoneRedundant: zoneRedundant
      }
    ]
  : null

// Databases share their autoscale throughput among their containers: the cheapest setup for
// several small containers; a hot container can get dedicated throughput later.
var databaseThroughput = serverless ? null : autoscaleMaxThroughput

module account 'br/public:avm/res/document-db/database-account:0.20.1' = {
  name: 'cosmos-account'
  params: {
    name: accountName
    location: location
    tags: tags
    capabilitiesToAdd: serverless ? ['EnableServerless'] : []
    zoneRedundant: zoneRedundant
    failoverLocations: locations
    enableAutomaticFailover: secondRegion
    // Writes stay in one region: Session consistency and the outbox's transactional batches need no
    // conflict resolution.
    enableMultipleWriteLocations: false
    defaultConsistencyLevel: 'Session'
    // Entra ID only: no account keys reach any client.
    disableLocalAuthentication: true
    disableKeyBasedMetadataWriteAccess: true
    minimumTlsVersion: 'Tls12'
    privateEndpoints: privateEndpoints
    // Point-in-time restore to any second of the last 7 or 30 days (the AVM module's
    // backupPolicyContinuousTier allows exactly these two, avm/res/document-db/database-account 0.20.1).
    backupPolicyType: 'Continuous'
    backupPolicyContinuousTier: continuousBackupTier
    networkRestrictions: {
      publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
      ipRules: []
      virtualNetworkRules: []
      networkAclBypass: 'None'
    }
    diagnosticSettings: [
      {
        workspaceResourceId: logAnalyticsWorkspaceId
        // 'Dedicated' = resource-specific tables (the AVM common type passes it to the setting's
        // logAnalyticsDestinationType); without it everything lands in AzureDiagnostics.
        logAnalyticsDestinationType: 'Dedicated'
        logCategoriesAndGroups: map(
          concat(['ControlPlaneRequests'], dataPlaneLogs ? dataPlaneLogCategories : []),
          category => {
            category: category
          }
        )
      }
    ]
    sqlDatabases: [
      {
        name: 'directory'
        autoscaleSettingsMaxThroughput: databaseThroughput
        containers: [
          {
            name: 'clients'
            paths: ['/clientId']
            // Per document: the client feed's delivery log expires (docs/webhooks.md); the rest stays.
            defaultTtl: -1
          }
          {
            name: 'users'
            paths: ['/userId']
          }
        ]
      }
      {
        name: 'orders'
        autoscaleSettingsMaxThroughput: databaseThroughput
        containers: [
          {
            name: 'orders'
            paths: ['/clientId']
            // On: each relayed event document carries its own `ttl`; orders never expire.
            defaultTtl: -1
            indexingPolicy: {
              indexingMode: 'consistent'
              automatic: true
              includedPaths: [
                {
                  path: '/*'
                }
              ]
              // Never filtered on: free text, event payloads, the SLA clocks.
              excludedPaths: [
                {
                  path: '/description/?'
                }
                {
                  path: '/data/*'
                }
                {
                  path: '/sla/*'
                }
              ]
              compositeIndexes: [
                [
                  {
                    path: '/docType'
                    order: 'ascending'
                  }
                  {
                    path: '/createdAt'
                    order: 'descending'
                  }
                ]
              ]
            }
          }
        ]
      }
      {
        name: 'providers'
        autoscaleSettingsMaxThroughput: databaseThroughput
        containers: [
          {
            name: 'providers'
            paths: ['/providerId']
            defaultTtl: -1
            indexingPolicy: {
              indexingMode: 'consistent'
              automatic: true
              includedPaths: [
                {
                  path: '/*'
                }
              ]
              // The provider's copy of an order is shown, never filtered on.
              excludedPaths: [
                {
                  path: '/order/*'
                }
              ]
            }
          }
        ]
      }
      {
        name: 'notifications'
        autoscaleSettingsMaxThroughput: databaseThroughput
        containers: [
          {
            name: 'notifications'
            paths: ['/recipientUserId']
            defaultTtl: -1
          }
        ]
      }
      {
        name: 'platform'
        autoscaleSettingsMaxThroughput: databaseThroughput
        containers: [
          {
            name: 'idempotency'
            paths: ['/id']
            defaultTtl: 86400
          }
          {
            name: 'processed-events'
            paths: ['/id']
            defaultTtl: 604800
          }
          {
            // Change-feed leases of the outbox relays (the Functions host does not create it).
            name: 'leases'
            paths: ['/id']
          }
        ]
      }
    ]
    enableTelemetry: false
  }
}

output accountName string = accountName
output accountResourceId string = account.outputs.resourceId
output endpoint string = account.outputs.endpoint
// What the SDK's preferredLocations should list (main.bicep writes COSMOS_PREFERRED_REGIONS from it).
output regions string[] = secondRegion ? [location, secondaryLocation] : []
