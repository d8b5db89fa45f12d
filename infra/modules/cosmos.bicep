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

var serverless = autoscaleMaxThroughput == 0

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
    defaultConsistencyLevel: 'Session'
    // Entra ID only: no account keys reach any client.
    disableLocalAuthentication: true
    disableKeyBasedMetadataWriteAccess: true
    minimumTlsVersion: 'Tls12'
    // Point-in-time restore to any second of the last 7 days.
    backupPolicyType: 'Continuous'
    backupPolicyContinuousTier: 'Continuous7Days'
    networkRestrictions: {
      publicNetworkAccess: 'Enabled'
      ipRules: []
      virtualNetworkRules: []
      networkAclBypass: 'None'
    }
    diagnosticSettings: [
      {
        workspaceResourceId: logAnalyticsWorkspaceId
        logCategoriesAndGroups: [
          {
            category: 'ControlPlaneRequests'
          }
        ]
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
