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

@description('The origins in priority order (the primary region first): each region\'s gateway host name when the gateway is on, its Function App host name otherwise.')
param origins {
  name: string
  hostName: string
}[]

// ---- Issue 24: tier, WAF policy and its association (docs/security.md) ----

@description('Front Door tier: Premium in production (the managed WAF rule sets need it), Standard elsewhere.')
@allowed(['Standard_AzureFrontDoor', 'Premium_AzureFrontDoor'])
param skuName string

@description('WAF policy name (letters and digits only).')
param wafPolicyName string

@description('Requests one client address may send per minute before the WAF blocks it for the rest of the minute.')
@minValue(10)
param wafAddressRequestsPerMinute int

@description('Largest request body (by its Content-Length) the WAF lets through, in bytes.')
@minValue(1024)
param wafMaxRequestBodyBytes int

// ---- end issue 24 block ----

@description('Seconds between two health probes from each Front Door edge location.')
@minValue(5)
@maxValue(255)
param probeIntervalInSeconds int

// ---- Issue 24: the WAF policy in front of every route ----
// Microsoft's managed rule sets (the Default Rule Set 2.1 and the Bot Manager rule set) are a Premium
// feature; Standard takes custom rules only (learn.microsoft.com/azure/frontdoor/standard-premium/
// tier-comparison; learn.microsoft.com/azure/web-application-firewall/afds/waf-front-door-drs).
// The custom rules, in both tiers: a rate limit per client address (the TCP peer as Front Door sees
// it, SocketAddr, which a client cannot forge with a header) and a cap on the declared body size.
var premium = skuName == 'Premium_AzureFrontDoor'
module waf 'br/public:avm/res/network/front-door-web-application-firewall-policy:0.3.3' = {
  name: 'front-door-waf'
  params: {
    name: wafPolicyName
    location: 'global'
    tags: tags
    sku: skuName
    policySettings: {
      enabledState: 'Enabled'
      mode: 'Prevention'
      // The managed rules inspect the body too (up to the WAF's own inspection limit).
      requestBodyCheck: 'Enabled'
    }
    managedRules: {
      managedRuleSets: premium
        ? [
            {
              ruleSetType: 'Microsoft_DefaultRuleSet'
              ruleSetVersion: '2.1'
              ruleSetAction: 'Block'
              ruleGroupOverrides: []
              exclusions: []
            }
            {
              ruleSetType: 'Microsoft_BotManagerRuleSet'
              ruleSetVersion: '1.0'
              ruleGroupOverrides: []
              exclusions: []
            }
          ]
        : []
    }
    customRules: {
      rules: [
        {
          name: 'RequestsPerAddress'
          priority: 100
          enabledState: 'Enabled'
          ruleType: 'RateLimitRule'
          rateLimitDurationInMinutes: 1
          rateLimitThreshold: wafAddressRequestsPerMinute
          // Every address: IPv4 and IPv6.
          matchConditions: [
            {
              matchVariable: 'SocketAddr'
              operator: 'IPMatch'
              negateCondition: false
              matchValue: ['0.0.0.0/0', '::/0']
            }
          ]
          action: 'Block'
        }
        {
          name: 'BodyTooLarge'
          priority: 200
          enabledState: 'Enabled'
          ruleType: 'MatchRule'
          // The app refuses bodies over 1 MiB itself (413, shared/platform/http/pipeline.ts
          // MAX_BODY_BYTES); this refuses a larger declared body at the edge, before it travels.
          matchConditions: [
            {
              matchVariable: 'RequestHeader'
              selector: 'Content-Length'
              operator: 'GreaterThan'
              negateCondition: false
              matchValue: ['${wafMaxRequestBodyBytes}']
            }
          ]
          action: 'Block'
        }
      ]
    }
    enableTelemetry: false
  }
}
// ---- end issue 24 block ----

module profile 'br/public:avm/res/cdn/profile:0.20.0' = {
  name: 'front-door'
  params: {
    name: profileName
    // Front Door is a global resource.
    location: 'global'
    tags: tags
    sku: skuName
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
    // The WAF policy on the endpoint's default domain, every path (issue 24).
    securityPolicies: [
      {
        name: 'waf'
        wafPolicyResourceId: waf.outputs.resourceId
        associations: [
          {
            domains: [
              {
                id: resourceId('Microsoft.Cdn/profiles/afdEndpoints', profileName, endpointName)
              }
            ]
            patternsToMatch: ['/*']
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
// The profile's resource ID: gateway.bicep reads its frontDoorId from it (issue 24).
output profileResourceId string = profile.outputs.resourceId
