// One region's private network (issue 24, "the private inside"): a virtual network with three
// subnets, a network security group on each, and this region's private DNS zones linked to it.
// main.bicep calls it once per region when `privateNetworking` is on, in that region's resource group.
//
// - snet-app: the Flex Consumption app's outbound virtual network integration. "The subnet delegation
//   required by Flex Consumption apps is `Microsoft.App/environments`"
//   (learn.microsoft.com/azure/azure-functions/flex-consumption-plan, Considerations / Virtual network
//   integration). Each instance takes an address in it; /24 (251 usable addresses, Azure keeps five of
//   every subnet) leaves room above the 100 instances prod allows. Microsoft's minimum for Flex was not
//   confirmed here.
// - snet-private-endpoints: one private endpoint per data resource and sub-resource (main.bicep and
//   region.bicep pass them to the AVM modules' own `privateEndpoints`).
// - snet-gateway: API Management v2 outbound virtual network integration (the region's gateway). "The subnet
//   needs to be delegated to the Microsoft.Web/serverFarms service", "can only be used by a single API
//   Management instance", "Minimum: /27 ... Recommended: /24", and "a network security group must be
//   associated with the subnet. No specific rules are required"
//   (learn.microsoft.com/azure/api-management/integrate-vnet-outbound). Outbound integration is a
//   Standard v2 / Premium v2 feature: Basic v2 (staging) cannot join a network, which is why staging
//   keeps `privateNetworking` off (docs/infrastructure.md, "Network").
//   The Microsoft.Web service endpoint on it lets the Function App's access restrictions name this
//   subnet as the one source they allow (learn.microsoft.com/azure/app-service/
//   overview-access-restrictions#access-restriction-rules-based-on-service-endpoints).
//
// DNS: each region has its own privatelink zones, linked to its own network only. A private endpoint
// writes its resource's name into its zone; Cosmos DB, Key Vault, the files account and both Service
// Bus namespaces get an endpoint in each region's network, so one shared zone would hold two addresses
// for one name, and each region must resolve to its own endpoint to keep working while the other
// region is down. The Service Bus Geo-DR guidance asks for exactly this: private endpoints for both
// namespaces in the networks of both regions' apps (learn.microsoft.com/azure/service-bus-messaging/
// service-bus-geo-dr#recommended-configuration).

@description('Azure region of this network.')
param location string

@description('Tags for every resource.')
param tags object

@description('Virtual network name.')
param vnetName string

@description('Address ranges of this region (CIDR): the network and its three subnets, inside it. The two regions\' networks must not overlap (test/infra/network.test.ts).')
param addressSpace {
  vnet: string
  appSubnet: string
  privateEndpointSubnet: string
  gatewaySubnet: string
}

var subnetNames = {
  app: 'snet-app'
  privateEndpoints: 'snet-private-endpoints'
  gateway: 'snet-gateway'
}

// The privatelink zones of every sub-resource this project reaches privately
// (learn.microsoft.com/azure/private-link/private-endpoint-dns#azure-services-dns-zone-configuration).
var privateDnsZoneNames = {
  cosmosSql: 'privatelink.documents.azure.com'
  blob: 'privatelink.blob.${environment().suffixes.storage}'
  queue: 'privatelink.queue.${environment().suffixes.storage}'
  table: 'privatelink.table.${environment().suffixes.storage}'
  vault: 'privatelink.vaultcore.azure.net'
  serviceBus: 'privatelink.servicebus.windows.net'
}

// Inbound to the private endpoints: only this region's app, on the ports its clients use (HTTPS for
// Cosmos DB's gateway mode, Storage and Key Vault; AMQP over TLS 5671, and 443 for AMQP over
// WebSockets, for Service Bus: learn.microsoft.com/azure/service-bus-messaging/
// service-bus-faq#what-ports-do-i-need-to-open-on-the-firewall-). An operator's jump host gets a rule of
// its own in an incident (docs/operations.md, "Reaching data in an incident"). Network policies are
// enabled on the subnet below, otherwise a network security group does not apply to private endpoints
// (learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy).
var privateEndpointRules = [
  {
    name: 'allow-app-to-private-endpoints'
    properties: {
      access: 'Allow'
      direction: 'Inbound'
      priority: 100
      protocol: 'Tcp'
      sourceAddressPrefix: addressSpace.appSubnet
      sourcePortRange: '*'
      destinationAddressPrefix: addressSpace.privateEndpointSubnet
      destinationPortRanges: ['443', '5671', '5672']
    }
  }
  {
    name: 'deny-other-network-traffic'
    properties: {
      access: 'Deny'
      direction: 'Inbound'
      priority: 4000
      protocol: '*'
      sourceAddressPrefix: 'VirtualNetwork'
      sourcePortRange: '*'
      destinationAddressPrefix: '*'
      destinationPortRange: '*'
    }
  }
]

// The app's and the gateway's subnets take no inbound connections (virtual network integration is
// outbound only); their groups keep Azure's default rules, and exist because every subnet has one
// (API Management requires it; the issue asks it of all three).
module appNsg 'br/public:avm/res/network/network-security-group:0.5.3' = {
  name: 'nsg-app'
  params: {
    name: 'nsg-${vnetName}-app'
    location: location
    tags: tags
    securityRules: []
    enableTelemetry: false
  }
}

module privateEndpointNsg 'br/public:avm/res/network/network-security-group:0.5.3' = {
  name: 'nsg-private-endpoints'
  params: {
    name: 'nsg-${vnetName}-private-endpoints'
    location: location
    tags: tags
    securityRules: privateEndpointRules
    enableTelemetry: false
  }
}

module gatewayNsg 'br/public:avm/res/network/network-security-group:0.5.3' = {
  name: 'nsg-gateway'
  params: {
    name: 'nsg-${vnetName}-gateway'
    location: location
    tags: tags
    securityRules: []
    enableTelemetry: false
  }
}

module vnet 'br/public:avm/res/network/virtual-network:0.10.1' = {
  name: 'vnet'
  params: {
    name: vnetName
    location: location
    tags: tags
    addressPrefixes: [addressSpace.vnet]
    subnets: [
      {
        name: subnetNames.app
        addressPrefix: addressSpace.appSubnet
        delegation: 'Microsoft.App/environments'
        networkSecurityGroupResourceId: appNsg.outputs.resourceId
      }
      {
        name: subnetNames.privateEndpoints
        addressPrefix: addressSpace.privateEndpointSubnet
        privateEndpointNetworkPolicies: 'Enabled'
        networkSecurityGroupResourceId: privateEndpointNsg.outputs.resourceId
      }
      {
        name: subnetNames.gateway
        addressPrefix: addressSpace.gatewaySubnet
        delegation: 'Microsoft.Web/serverFarms'
        serviceEndpoints: ['Microsoft.Web']
        networkSecurityGroupResourceId: gatewayNsg.outputs.resourceId
      }
    ]
    enableTelemetry: false
  }
}

module zones 'br/public:avm/res/network/private-dns-zone:0.8.1' = [
  for zone in items(privateDnsZoneNames): {
    name: 'dns-${zone.key}'
    params: {
      name: zone.value
      tags: tags
      virtualNetworkLinks: [
        {
          name: vnetName
          virtualNetworkResourceId: vnet.outputs.resourceId
          registrationEnabled: false
        }
      ]
      enableTelemetry: false
    }
  }
]

// IDs built from names, so that they say which network and zone they are (and the tests can read
// them); a caller that reads any output waits for this whole module, subnets and zones included.
output vnetResourceId string = resourceId('Microsoft.Network/virtualNetworks', vnetName)
output appSubnetResourceId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnetName, subnetNames.app)
output privateEndpointSubnetResourceId string = resourceId(
  'Microsoft.Network/virtualNetworks/subnets',
  vnetName,
  subnetNames.privateEndpoints
)
output gatewaySubnetResourceId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnetName, subnetNames.gateway)
// Keyed like privateDnsZoneNames: the zone each private endpoint's DNS zone group writes to.
output privateDnsZoneResourceIds object = toObject(
  items(privateDnsZoneNames),
  zone => zone.key,
  zone => resourceId('Microsoft.Network/privateDnsZones', zone.value)
)
