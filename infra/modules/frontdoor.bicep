// Azure Front Door (Standard) in front of the two regions' Function Apps, active/passive: one
// endpoint, one route, one origin group whose health probe calls GET /api/health/ready on each app;
// the primary region's origin has priority 1 and takes every request while it is healthy, the
// secondary's has priority 2 and takes them when the primary is not ("Higher priorities will not be
// used for load balancing if any lower priority origin is healthy", AVM cdn/profile 0.20.0,
// origin-group/main.bicep). Made only when main.bicep's `secondaryLocation` is set.

@description('Tags for every resource.')
param tags object

@description('Front Door profile name.')
param profileName string

@description('Endpoint name (its host name is <name>-<hash>.z01.azurefd.net).')
param endpointName string

@description('Origin group name.')
param originGroupName string

@description('The origins in priority order (the primary region first), each a Function App host name.')
param origins {
  name: string
  hostName: string
}[]

@description('Seconds between two health probes from each Front Door edge location.')
@minValue(5)
@maxValue(255)
param probeIntervalInSeconds int

module profile 'br/public:avm/res/cdn/profile:0.20.0' = {
  name: 'front-door'
  params: {
    name: profileName
    // Front Door is a global resource.
    location: 'global'
    tags: tags
    sku: 'Standard_AzureFrontDoor'
    originGroups: [
      {
        name: originGroupName
        healthProbeSettings: {
          // The readiness endpoint answers 503 when the region cannot reach Cosmos DB, Blob Storage or
          // the bus, so Front Door moves to the other region for those failures too, not only when the
          // app is down.
          probePath: '/api/health/ready'
          probeProtocol: 'Https'
          probeRequestType: 'GET'
          probeIntervalInSeconds: probeIntervalInSeconds
        }
        // An origin counts as healthy when 3 of its last 4 probes succeeded (the values of the AVM
        // module's own Front Door test, avm/res/cdn/profile tests/e2e/afd): two failed probes in a row
        // move the traffic, so one lost probe does not.
        loadBalancingSettings: {
          sampleSize: 4
          successfulSamplesRequired: 3
          additionalLatencyInMilliseconds: 50
        }
        // An API: no client needs to stick to a region.
        sessionAffinityState: 'Disabled'
        origins: [
          for (origin, i) in origins: {
            name: origin.name
            hostName: origin.hostName
            // App Service and Functions route on the host header: it must be the app's own host.
            originHostHeader: origin.hostName
            httpsPort: 443
            priority: i + 1
            weight: 1000
            enabledState: 'Enabled'
            enforceCertificateNameCheck: true
          }
        ]
      }
    ]
    afdEndpoints: [
      {
        name: endpointName
        enabledState: 'Enabled'
        routes: [
          {
            name: 'api'
            originGroupName: originGroupName
            patternsToMatch: ['/*']
            // HTTPS only, end to end; plain HTTP is not answered (no redirect: API clients must not
            // send tokens over HTTP in the first place).
            supportedProtocols: ['Https']
            httpsRedirect: 'Disabled'
            forwardingProtocol: 'HttpsOnly'
            linkToDefaultDomain: 'Enabled'
            // No cacheConfiguration: nothing of an API is cached at the edge.
          }
        ]
      }
    ]
    enableTelemetry: false
  }
}

output profileName string = profileName
output endpointName string = endpointName
output originGroupName string = originGroupName
output endpointHostName string = profile.outputs.frontDoorEndpointHostNames[0]
