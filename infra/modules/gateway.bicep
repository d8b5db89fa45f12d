// One region's API gateway: Azure API Management in a v2 tier, forwarding to that region's Function
// App. v2 tiers have no multi-region deployment (additional locations are a Premium (classic)
// feature, learn.microsoft.com/azure/api-management/api-management-features), so main.bicep makes
// one instance per region, each behind the same Front Door origin group. The policy is one file at
// the global scope (infra/gateway/policies/global.xml, docs/security.md); the API itself, its routes,
// is imported by the pipeline from the OpenAPI document the app serves (infra/scripts/gateway-import.ts,
// docs/infrastructure.md "The gateway and the edge"): a 2.6 MB document is beyond what Bicep can load.

@description('Azure region of the gateway (the region of the Function App it forwards to).')
param location string

@description('Tags for every resource.')
param tags object

@description('API Management service name (globally unique: the gateway host is <name>.azure-api.net).')
param name string

// List prices per unit and month (azure.microsoft.com/pricing/details/api-management): not confirmed
// here; docs/infrastructure.md gives what was read and when.
@description('Basic v2 (staging) or Standard v2 (production); one scale unit.')
@allowed(['BasicV2', 'StandardV2'])
param skuName string

@description('Publisher e-mail (API Management requires one; it receives the service\'s notifications).')
param publisherEmail string

@description('This region\'s Function App host name: the backend.')
param functionAppHostName string

@description('Resource ID of the Front Door profile whose requests alone are accepted (its frontDoorId is read from it).')
param frontDoorProfileResourceId string

@description('Token issuer the app checks (AUTH_ISSUER).')
param authIssuer string

@description('Token audience the app checks (AUTH_AUDIENCE).')
param authAudience string

@description('OpenID configuration of the issuer (signing keys for validate-jwt).')
param authOpenIdConfigUrl string

@description('Requests per minute (per five minutes for the tenant\'s sustained limit, per UTC day for its quota) the policy allows; docs/security.md.')
param limits {
  tenantCallsPerMinute: int
  userCallsPerMinute: int
  anonymousAddressCallsPerMinute: int
  tenantCallsPer5Minutes: int
  // The per-tenant quota per UTC day (global.xml counts it in the built-in cache; docs/security.md).
  tenantCallsPerDay: int
  docusignCallsPerMinute: int
  jelouCallsPerMinute: int
  sendgridCallsPerMinute: int
}

// The region's snet-gateway from the network module (its `gatewaySubnetResourceId` output); '' while
// private networking is off.
@description('Subnet for the gateway\'s outbound virtual network integration (Standard v2 only); empty: none.')
param subnetResourceId string

@description('Log Analytics workspace of this region: the gateway\'s resource logs and metrics.')
param logAnalyticsWorkspaceResourceId string

// The profile's frontDoorId (a GUID Front Door sends as X-Azure-FDID on every request,
// learn.microsoft.com/azure/frontdoor/front-door-http-headers-protocol); the AVM cdn/profile module
// (0.20.0) has no output for it, so it is read from the deployed profile.
var frontDoorId = reference(frontDoorProfileResourceId, '2025-06-01').frontDoorId

module service 'br/public:avm/res/api-management/service:0.14.4' = {
  name: 'gateway'
  params: {
    name: name
    location: location
    tags: tags
    sku: skuName
    skuCapacity: 1
    publisherEmail: publisherEmail
    publisherName: 'Algesta'
    managedIdentities: {
      systemAssigned: true
    }
    // Outbound integration into the region's VNet (the app, reached over its private inbound, is
    // there). Standard v2 offers it and "the gateway and developer portal endpoints remain publicly
    // accessible" (learn.microsoft.com/azure/api-management/integrate-vnet-outbound), so Front Door
    // still reaches the gateway, which accepts only its profile (global.xml). Expressed as
    // virtualNetworkType External + the subnet, the module's only way to pass a subnet; that this is
    // the ARM shape of v2 outbound integration is not confirmed here (the page's template section was
    // not read): check it in production's first what-if with the subnet joined (staging runs
    // Basic v2, which has no outbound integration).
    virtualNetworkType: empty(subnetResourceId) ? 'None' : 'External'
    subnetResourceId: empty(subnetResourceId) ? null : subnetResourceId
    // No developer portal: the API reference is the app's own /api/docs.
    enableDeveloperPortal: false
    backends: [
      {
        name: 'function-app'
        description: 'This region\'s Function App'
        protocol: 'http'
        // The imported operations keep the document's /api prefix off (gateway-import.ts), so the
        // backend's base is the app's /api.
        url: 'https://${functionAppHostName}/api'
        tls: {
          validateCertificateChain: true
          validateCertificateName: true
        }
      }
    ]
    namedValues: [
      { name: 'front-door-id', displayName: 'front-door-id', value: frontDoorId }
      { name: 'auth-issuer', displayName: 'auth-issuer', value: authIssuer }
      { name: 'auth-audience', displayName: 'auth-audience', value: authAudience }
      { name: 'auth-openid-config', displayName: 'auth-openid-config', value: authOpenIdConfigUrl }
      { name: 'limit-tenant-calls', displayName: 'limit-tenant-calls', value: '${limits.tenantCallsPerMinute}' }
      { name: 'limit-user-calls', displayName: 'limit-user-calls', value: '${limits.userCallsPerMinute}' }
      {
        name: 'limit-anonymous-address-calls'
        displayName: 'limit-anonymous-address-calls'
        value: '${limits.anonymousAddressCallsPerMinute}'
      }
      { name: 'limit-tenant-calls-5min', displayName: 'limit-tenant-calls-5min', value: '${limits.tenantCallsPer5Minutes}' }
      { name: 'limit-tenant-calls-day', displayName: 'limit-tenant-calls-day', value: '${limits.tenantCallsPerDay}' }
      {
        name: 'limit-webhook-docusign-calls'
        displayName: 'limit-webhook-docusign-calls'
        value: '${limits.docusignCallsPerMinute}'
      }
      { name: 'limit-webhook-jelou-calls', displayName: 'limit-webhook-jelou-calls', value: '${limits.jelouCallsPerMinute}' }
      {
        name: 'limit-webhook-sendgrid-calls'
        displayName: 'limit-webhook-sendgrid-calls'
        value: '${limits.sendgridCallsPerMinute}'
      }
    ]
    // The global policy: every API, every operation (test/infra/gateway.test.ts).
    policies: [
      {
        format: 'rawxml'
        value: loadTextContent('../gateway/policies/global.xml')
      }
    ]
    diagnosticSettings: [
      {
        workspaceResourceId: logAnalyticsWorkspaceResourceId
        logCategoriesAndGroups: [{ categoryGroup: 'allLogs' }]
        metricCategories: [{ category: 'AllMetrics' }]
      }
    ]
    enableTelemetry: false
  }
}

output name string = service.outputs.name
output resourceId string = service.outputs.resourceId
// The gateway's default host (v2 tiers: <name>.azure-api.net); Front Door's origin for this region.
output hostName string = '${name}.azure-api.net'
// The gateway's URL, where the pipeline checks this region (main.bicep, AZURE_FUNCTION_APPS[].checkUrl):
// the AVM module (0.14.4) has no output for it; a v2 gateway's default host is <name>.azure-api.net
// (learn.microsoft.com/azure/api-management/front-door-api-management, the origin's host name).
output url string = 'https://${name}.azure-api.net'
// The profile's frontDoorId this gateway requires as X-Azure-FDID (main.bicep, AZURE_FRONT_DOOR_ID).
output frontDoorId string = frontDoorId
