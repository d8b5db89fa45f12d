// What pages the people on call, and where it goes. Each alert is explained, with what to do, in
// docs/operations.md under the same name.

@description('Azure region (log alerts and the web test are regional; metric alerts are global).')
param location string

@description('Tags for every resource.')
param tags object

@description('Prefix of every alert name, e.g. algesta-prod.')
param namePrefix string

@description('Who gets the alerts by e-mail. Empty: the action group has no receiver yet.')
param alertEmailAddresses string[]

@description('Application Insights component resource ID (request telemetry, web test).')
param appInsightsResourceId string

@description('Host name of the Function App, e.g. func-x.azurewebsites.net.')
param functionAppHostName string

@description('Service Bus namespace resource ID.')
param serviceBusNamespaceResourceId string

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
module functionFailures 'br/public:avm/res/insights/scheduled-query-rule:0.6.0' = {
  name: 'alert-function-failures'
  params: {
    name: '${namePrefix}-function-failures'
    alertDisplayName: 'Function failures'
    alertDescription: 'Function invocations failed in the last 15 minutes. See docs/operations.md#function-failures.'
    location: location
    tags: tags
    severity: 2
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    scopes: [appInsightsResourceId]
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

// Share of HTTP requests answered 5xx; ignored below 20 requests so one error at night is not 100 %.
module http5xxRate 'br/public:avm/res/insights/scheduled-query-rule:0.6.0' = {
  name: 'alert-http-5xx-rate'
  params: {
    name: '${namePrefix}-http-5xx-rate'
    alertDisplayName: 'HTTP 5xx rate'
    alertDescription: 'More than 5 % of HTTP requests answered 5xx in the last 15 minutes. See docs/operations.md#http-5xx-rate.'
    location: location
    tags: tags
    severity: 1
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    scopes: [appInsightsResourceId]
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

// The app's own metrics (OpenTelemetry counters, shared/platform/telemetry-sdk.ts) arrive in
// Application Insights' customMetrics table, one row per export with the count in valueSum and the
// counter's attributes in customDimensions. The alerts below are log alerts on that table.

// An order missed an SLA deadline: the client was promised otherwise, someone should call.
module slaBreaches 'br/public:avm/res/insights/scheduled-query-rule:0.6.0' = {
  name: 'alert-sla-breaches'
  params: {
    name: '${namePrefix}-sla-breaches'
    alertDisplayName: 'SLA breaches'
    alertDescription: 'An order missed an SLA deadline in the last 15 minutes. See docs/operations.md#sla-breaches.'
    location: location
    tags: tags
    severity: 2
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    scopes: [appInsightsResourceId]
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

// A partner keeps failing: calls given up after the retries (or refused), per partner. A few are
// absorbed by the workflows' retries; more than 5 in 15 minutes means the partner is down or
// rejects what we send.
module partnerFailures 'br/public:avm/res/insights/scheduled-query-rule:0.6.0' = {
  name: 'alert-partner-failures'
  params: {
    name: '${namePrefix}-partner-failures'
    alertDisplayName: 'Partner failures'
    alertDescription: 'Calls to a partner failed more than 5 times in the last 15 minutes. See docs/operations.md#partner-failures.'
    location: location
    tags: tags
    severity: 2
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    scopes: [appInsightsResourceId]
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

// The app's side of a dead letter: which workflow gave up on which event type (the Service Bus
// metric alert below counts every dead letter, whatever the reason, without naming either).
module workflowDeadLetters 'br/public:avm/res/insights/scheduled-query-rule:0.6.0' = {
  name: 'alert-workflow-dead-letters'
  params: {
    name: '${namePrefix}-workflow-dead-letters'
    alertDisplayName: 'Workflow dead letters'
    alertDescription: 'A workflow failed the last delivery of a message, which the bus dead-letters. See docs/operations.md#workflow-dead-letters.'
    location: location
    tags: tags
    severity: 2
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    scopes: [appInsightsResourceId]
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

// Nothing may be dropped silently: one dead-lettered message is already worth a look.
module deadLetters 'br/public:avm/res/insights/metric-alert:0.4.1' = {
  name: 'alert-dead-letters'
  params: {
    name: '${namePrefix}-dead-lettered-messages'
    alertDescription: 'A message was dead-lettered on domain-events. See docs/operations.md#dead-lettered-messages.'
    location: 'global'
    tags: tags
    severity: 2
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    scopes: [serviceBusNamespaceResourceId]
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
module readinessTest 'br/public:avm/res/insights/webtest:0.3.2' = {
  name: 'availability-web-test'
  params: {
    name: '${namePrefix}-ready'
    webTestName: '${namePrefix}-ready'
    location: location
    tags: tags
    kind: 'standard'
    appInsightResourceId: appInsightsResourceId
    frequency: 300
    timeout: 30
    retryEnabled: true
    request: {
      RequestUrl: 'https://${functionAppHostName}/api/health/ready'
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

module availability 'br/public:avm/res/insights/metric-alert:0.4.1' = {
  name: 'alert-availability'
  params: {
    name: '${namePrefix}-availability'
    alertDescription: '/api/health/ready failed from 2 or more locations. See docs/operations.md#availability.'
    location: 'global'
    tags: tags
    severity: 1
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    scopes: [
      readinessTest.outputs.resourceId
      appInsightsResourceId
    ]
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria'
      componentResourceId: appInsightsResourceId
      webTestResourceId: readinessTest.outputs.resourceId
      failedLocationCount: 2
    }
    actions: [actionGroup.outputs.resourceId]
    enableTelemetry: false
  }
}

output actionGroupResourceId string = actionGroup.outputs.resourceId
