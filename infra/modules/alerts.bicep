// What pages the people on call, and where it goes. Each alert is explained, with what to do, in
// docs/operations.md under the same name. Alerts on an app exist once per region (log alerts and web
// tests are regional, scoped to that region's Application Insights); the primary's keep their names,
// the secondary's carry its region (`algesta-prod-centralus-...`).

// The name part of each region: none for the primary (the names alerts had before a second region).
var regionParts = [for (app, i) in apps: i == 0 ? '' : '-${app.location}']

@description('Tags for every resource.')
param tags object

@description('Prefix of every alert name, e.g. algesta-prod.')
param namePrefix string

@description('Who gets the alerts by e-mail. Empty: the action group has no receiver yet.')
param alertEmailAddresses string[]

@description('Each region\'s app: its region, its Application Insights component (request telemetry, the app\'s counters, the web test) and its host name (func-x.azurewebsites.net). The first is the primary. Every alert on an app is made once per region, so the secondary is watched like the primary.')
param apps {
  location: string
  appInsightsResourceId: string
  functionAppHostName: string
}[]

@description('Every Service Bus namespace, the primary first (with Geo-DR the secondary becomes the one in use after a failover).')
param serviceBusNamespaces {
  location: string
  resourceId: string
}[]

@description('Cosmos DB account resource ID.')
param cosmosAccountResourceId string

module actionGroup 'br/public:avm/res/insights/action-group:0.8.0' = {
  name: 'alerts-action-group'
  params: {
    name: '${namePrefix}-oncall'
    groupShortName: 'algesta'
    location: 'global'
    tags: tags
    emailReceivers: [
      for (address, i) in alertEmailAddresses: {
        name: 'oncall-${i}'
        emailAddress: address
        useCommonAlertSchema: true
      }
    ]
    enableTelemetry: false
  }
}

// Any function invocation that threw: a workflow retrying towards its dead-letter queue, a relay
// or timer failing, an HTTP handler crashing. Client errors (4xx) are answers, not failures.
module functionFailures 'br/public:avm/res/insights/scheduled-query-rule:0.6.0' = [
  for (app, i) in apps: {
    name: 'alert-function-failures${regionParts[i]}'
    params: {
      name: '${namePrefix}${regionParts[i]}-function-failures'
      alertDisplayName: 'Function failures'
      alertDescription: 'Function invocations failed in the last 15 minutes. See docs/operations.md#function-failures.'
      location: app.location
      tags: tags
      severity: 2
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      scopes: [app.appInsightsResourceId]
      criterias: {
        allOf: [
          {
            query: 'requests | where success == false | where isnull(toint(resultCode)) or toint(resultCode) >= 500 or toint(resultCode) < 400 | summarize failures = count() by operation_Name'
            timeAggregation: 'Total'
            metricMeasureColumn: 'failures'
            dimensions: [
              {
                name: 'operation_Name'
                operator: 'Include'
                values: ['*']
              }
            ]
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroupResourceIds: [actionGroup.outputs.resourceId]
      }
      enableTelemetry: false
    }
  }
]

// Share of HTTP requests answered 5xx; ignored below 20 requests so one error at night is not 100 %.
module http5xxRate 'br/public:avm/res/insights/scheduled-query-rule:0.6.0' = [
  for (app, i) in apps: {
    name: 'alert-http-5xx-rate${regionParts[i]}'
    params: {
      name: '${namePrefix}${regionParts[i]}-http-5xx-rate'
      alertDisplayName: 'HTTP 5xx rate'
      alertDescription: 'More than 5 % of HTTP requests answered 5xx in the last 15 minutes. See docs/operations.md#http-5xx-rate.'
      location: app.location
      tags: tags
      severity: 1
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      scopes: [app.appInsightsResourceId]
      criterias: {
        allOf: [
          {
            query: 'requests | where isnotnull(toint(resultCode)) and toint(resultCode) >= 100 | summarize total = count(), failed = countif(toint(resultCode) >= 500) | where total >= 20 | extend ratePercent = 100.0 * failed / total'
            timeAggregation: 'Maximum'
            metricMeasureColumn: 'ratePercent'
            operator: 'GreaterThan'
            threshold: 5
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroupResourceIds: [actionGroup.outputs.resourceId]
      }
      enableTelemetry: false
    }
  }
]

// The app's own metrics (OpenTelemetry counters, shared/platform/telemetry-sdk.ts) arrive in
// Application Insights' customMetrics table, one row per export with the count in valueSum and the
// counter's attributes in customDimensions. The alerts below are log alerts on that table.

// An order missed an SLA deadline: the client was promised otherwise, someone should call.
module slaBreaches 'br/public:avm/res/insights/scheduled-query-rule:0.6.0' = [
  for (app, i) in apps: {
    name: 'alert-sla-breaches${regionParts[i]}'
    params: {
      name: '${namePrefix}${regionParts[i]}-sla-breaches'
      alertDisplayName: 'SLA breaches'
      alertDescription: 'An order missed an SLA deadline in the last 15 minutes. See docs/operations.md#sla-breaches.'
      location: app.location
      tags: tags
      severity: 2
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      scopes: [app.appInsightsResourceId]
      criterias: {
        allOf: [
          {
            query: 'customMetrics | where name == "algesta.sla.breaches" | summarize breaches = sum(valueSum) by priority = tostring(customDimensions["priority"])'
            timeAggregation: 'Total'
            metricMeasureColumn: 'breaches'
            dimensions: [
              {
                name: 'priority'
                operator: 'Include'
                values: ['*']
              }
            ]
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroupResourceIds: [actionGroup.outputs.resourceId]
      }
      enableTelemetry: false
    }
  }
]

// A partner keeps failing: calls given up after the retries (or refused), per partner. A few are
// absorbed by the workflows' retries; more than 5 in 15 minutes means the partner is down or
// rejects what we send.
module partnerFailures 'br/public:avm/res/insights/scheduled-query-rule:0.6.0' = [
  for (app, i) in apps: {
    name: 'alert-partner-failures${regionParts[i]}'
    params: {
      name: '${namePrefix}${regionParts[i]}-partner-failures'
      alertDisplayName: 'Partner failures'
      alertDescription: 'Calls to a partner failed more than 5 times in the last 15 minutes. See docs/operations.md#partner-failures.'
      location: app.location
      tags: tags
      severity: 2
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      scopes: [app.appInsightsResourceId]
      criterias: {
        allOf: [
          {
            query: 'customMetrics | where name == "algesta.partner.failures" | summarize failures = sum(valueSum) by partner = tostring(customDimensions["partner"])'
            timeAggregation: 'Total'
            metricMeasureColumn: 'failures'
            dimensions: [
              {
                name: 'partner'
                operator: 'Include'
                values: ['*']
              }
            ]
            operator: 'GreaterThan'
            threshold: 5
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroupResourceIds: [actionGroup.outputs.resourceId]
      }
      enableTelemetry: false
    }
  }
]

// The app's side of a dead letter: which workflow gave up on which event type (the Service Bus
// metric alert below counts every dead letter, whatever the reason, without naming either).
module workflowDeadLetters 'br/public:avm/res/insights/scheduled-query-rule:0.6.0' = [
  for (app, i) in apps: {
    name: 'alert-workflow-dead-letters${regionParts[i]}'
    params: {
      name: '${namePrefix}${regionParts[i]}-workflow-dead-letters'
      alertDisplayName: 'Workflow dead letters'
      alertDescription: 'A workflow failed the last delivery of a message, which the bus dead-letters. See docs/operations.md#workflow-dead-letters.'
      location: app.location
      tags: tags
      severity: 2
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      scopes: [app.appInsightsResourceId]
      criterias: {
        allOf: [
          {
            query: 'customMetrics | where name == "algesta.messages.dead_lettered" | summarize deadLettered = sum(valueSum) by consumer = tostring(customDimensions["consumer"]), eventType = tostring(customDimensions["event_type"])'
            timeAggregation: 'Total'
            metricMeasureColumn: 'deadLettered'
            dimensions: [
              {
                name: 'consumer'
                operator: 'Include'
                values: ['*']
              }
              {
                name: 'eventType'
                operator: 'Include'
                values: ['*']
              }
            ]
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroupResourceIds: [actionGroup.outputs.resourceId]
      }
      enableTelemetry: false
    }
  }
]

// Nothing may be dropped silently: one dead-lettered message is already worth a look.
module deadLetters 'br/public:avm/res/insights/metric-alert:0.4.1' = [
  for (namespace, i) in serviceBusNamespaces: {
    name: 'alert-dead-letters${i == 0 ? '' : '-${namespace.location}'}'
    params: {
      name: '${namePrefix}${i == 0 ? '' : '-${namespace.location}'}-dead-lettered-messages'
      alertDescription: 'A message was dead-lettered on domain-events. See docs/operations.md#dead-lettered-messages.'
      location: 'global'
      tags: tags
      severity: 2
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      scopes: [namespace.resourceId]
      criteria: {
        'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
        allof: [
          {
            name: 'dead-lettered'
            criterionType: 'StaticThresholdCriterion'
            metricNamespace: 'Microsoft.ServiceBus/namespaces'
            metricName: 'DeadletteredMessages'
            dimensions: [
              {
                name: 'EntityName'
                operator: 'Include'
                values: ['*']
              }
            ]
            operator: 'GreaterThan'
            threshold: 0
            timeAggregation: 'Maximum'
          }
        ]
      }
      actions: [actionGroup.outputs.resourceId]
      enableTelemetry: false
    }
  }
]

// The SDK retries 429s, so a few are harmless; a steady stream means the throughput is too low.
module cosmosThrottling 'br/public:avm/res/insights/metric-alert:0.4.1' = {
  name: 'alert-cosmos-throttling'
  params: {
    name: '${namePrefix}-cosmos-throttling'
    alertDescription: 'Cosmos DB answered more than 10 requests with 429 in 15 minutes. See docs/operations.md#cosmos-throttling-429.'
    location: 'global'
    tags: tags
    severity: 2
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    scopes: [cosmosAccountResourceId]
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allof: [
        {
          name: 'throttled'
          criterionType: 'StaticThresholdCriterion'
          metricNamespace: 'Microsoft.DocumentDB/databaseAccounts'
          metricName: 'TotalRequests'
          dimensions: [
            {
              name: 'StatusCode'
              operator: 'Include'
              values: ['429']
            }
          ]
          operator: 'GreaterThan'
          threshold: 10
          timeAggregation: 'Count'
        }
      ]
    }
    actions: [actionGroup.outputs.resourceId]
    enableTelemetry: false
  }
}

// Readiness from five regions every five minutes: Cosmos, Blob and the bus reachable with the
// app's identity (GET /api/health/ready answers 503 otherwise).
module readinessTest 'br/public:avm/res/insights/webtest:0.3.2' = [
  for (app, i) in apps: {
    name: 'availability-web-test${regionParts[i]}'
    params: {
      name: '${namePrefix}${regionParts[i]}-ready'
      webTestName: '${namePrefix}${regionParts[i]}-ready'
      location: app.location
      tags: tags
      kind: 'standard'
      appInsightResourceId: app.appInsightsResourceId
      frequency: 300
      timeout: 30
      retryEnabled: true
      request: {
        RequestUrl: 'https://${app.functionAppHostName}/api/health/ready'
        HttpVerb: 'GET'
        ParseDependentRequests: false
      }
      validationRules: {
        ExpectedHttpStatusCode: 200
        SSLCheck: true
        SSLCertRemainingLifetimeCheck: 7
      }
      enableTelemetry: false
    }
  }
]

module availability 'br/public:avm/res/insights/metric-alert:0.4.1' = [
  for (app, i) in apps: {
    name: 'alert-availability${regionParts[i]}'
    params: {
      name: '${namePrefix}${regionParts[i]}-availability'
      alertDescription: '/api/health/ready failed from 2 or more locations. See docs/operations.md#availability.'
      location: 'global'
      tags: tags
      severity: 1
      evaluationFrequency: 'PT1M'
      windowSize: 'PT5M'
      scopes: [
        readinessTest[i].outputs.resourceId
        app.appInsightsResourceId
      ]
      criteria: {
        'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria'
        componentResourceId: app.appInsightsResourceId
        webTestResourceId: readinessTest[i].outputs.resourceId
        failedLocationCount: 2
      }
      actions: [actionGroup.outputs.resourceId]
      enableTelemetry: false
    }
  }
]

output actionGroupResourceId string = actionGroup.outputs.resourceId
