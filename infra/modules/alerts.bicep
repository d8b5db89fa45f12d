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
  // Where the availability test probes the region: its API Management gateway
  // (https://<name>.azure-api.net) when it has one, else https://<functionAppHostName>.
  checkUrl: string
}[]

@description('Every Service Bus namespace, the primary first (with Geo-DR the secondary becomes the one in use after a failover).')
param serviceBusNamespaces {
  location: string
  resourceId: string
}[]

@description('Cosmos DB account resource ID.')
param cosmosAccountResourceId string

// The topic every workflow's subscription hangs from (servicebus.bicep).
var topicName = 'domain-events'

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
// A count per 15 minutes, not a share of requests: a metric alert compares one metric with a
// threshold and cannot divide two, and the share would need the data-plane logs, which only prod
// sends (docs/decisions.md, "Seeing the system"). Split per container: the one
// whose throughput is too low is named in the alert.
module cosmosThrottling 'br/public:avm/res/insights/metric-alert:0.4.1' = {
  name: 'alert-cosmos-throttling'
  params: {
    name: '${namePrefix}-cosmos-throttling'
    alertDescription: 'Cosmos DB answered more than 10 requests of one container with 429 in 15 minutes. See docs/operations.md#cosmos-throttling-429.'
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
            {
              name: 'CollectionName'
              operator: 'Include'
              values: ['*']
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
// app's identity (GET /api/health/ready answers 503 otherwise). Through the region's gateway when it
// has one: the gateway forwards GET /api/health/ready without X-Azure-FDID (its one exemption,
// infra/gateway/policies/global.xml), and the app's own host may answer only the gateway's subnet.
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
        RequestUrl: '${app.checkUrl}/api/health/ready'
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

// ---- Issue 23, "Seeing the system": the alerts it adds (docs/operations.md, "Alerts") ----

// The SLA's first step: a P1 order's acknowledge clock is 30 minutes and at 75 % of it the order
// raises order.sla-at-risk (docs/sla.md), 22.5 minutes after submission. A message that waits longer
// than that before its consumer runs can make that first escalation late by itself.
var slaFirstStepSeconds = 1350

// The primary region's app: where the pipeline sends its deployment notices (deployment-notice.ts).
var primaryApp = apps[0]

// A message delivered later than the SLA's first step, per subscription (the consumer is the
// subscription). Service Bus has no metric for the age of the oldest message in a subscription
// (learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/microsoft-servicebus-namespaces-metrics
// lists counts and sizes only, split by EntityName, the queue or topic): each consumer records how late
// its first deliveries come (algesta.messages.delivery_lag, seconds; a histogram, so customMetrics
// carries each window's largest as valueMax).
module messageAge 'br/public:avm/res/insights/scheduled-query-rule:0.6.0' = [
  for (app, i) in apps: {
    name: 'alert-message-age${regionParts[i]}'
    params: {
      name: '${namePrefix}${regionParts[i]}-message-age'
      alertDisplayName: 'Message age'
      alertDescription: 'A subscription delivered a message more than 22.5 minutes (the SLA\'s first step) after it was due. See docs/operations.md#message-age.'
      location: app.location
      tags: tags
      severity: 2
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      scopes: [app.appInsightsResourceId]
      criterias: {
        allOf: [
          {
            query: 'customMetrics | where name == "algesta.messages.delivery_lag" | summarize oldestSeconds = max(valueMax) by consumer = tostring(customDimensions["consumer"])'
            timeAggregation: 'Maximum'
            metricMeasureColumn: 'oldestSeconds'
            dimensions: [
              {
                name: 'consumer'
                operator: 'Include'
                values: ['*']
              }
            ]
            operator: 'GreaterThan'
            threshold: slaFirstStepSeconds
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

// The age of a message that is never delivered cannot be measured at delivery: a topic whose
// messages stay active for 30 minutes while none is completed has consumers that are not running.
// Both conditions on the one topic (a metric alert with several criteria fires when all hold), each
// with a single dimension value rather than '*', the simplest form of a multi-criteria rule. Not
// confirmed here: whether ActiveMessages leaves out scheduled messages (the SLA checks waiting for
// their time); if it counts them, this alert can fire on a quiet night with no work due, and the
// runbook says to check the scheduled count first (docs/operations.md#messages-not-draining).
module notDraining 'br/public:avm/res/insights/metric-alert:0.4.1' = [
  for (namespace, i) in serviceBusNamespaces: {
    name: 'alert-not-draining${i == 0 ? '' : '-${namespace.location}'}'
    params: {
      name: '${namePrefix}${i == 0 ? '' : '-${namespace.location}'}-messages-not-draining'
      alertDescription: 'domain-events kept active messages for 30 minutes and completed none. See docs/operations.md#messages-not-draining.'
      location: 'global'
      tags: tags
      severity: 2
      evaluationFrequency: 'PT5M'
      windowSize: 'PT30M'
      scopes: [namespace.resourceId]
      criteria: {
        'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
        allof: [
          {
            name: 'active-all-along'
            criterionType: 'StaticThresholdCriterion'
            metricNamespace: 'Microsoft.ServiceBus/namespaces'
            metricName: 'ActiveMessages'
            dimensions: [
              {
                name: 'EntityName'
                operator: 'Include'
                values: [topicName]
              }
            ]
            operator: 'GreaterThan'
            threshold: 0
            timeAggregation: 'Minimum'
          }
          {
            name: 'none-completed'
            criterionType: 'StaticThresholdCriterion'
            metricNamespace: 'Microsoft.ServiceBus/namespaces'
            metricName: 'CompleteMessage'
            dimensions: [
              {
                name: 'EntityName'
                operator: 'Include'
                values: [topicName]
              }
            ]
            operator: 'LessThan'
            threshold: 1
            timeAggregation: 'Total'
          }
        ]
      }
      actions: [actionGroup.outputs.resourceId]
      enableTelemetry: false
    }
  }
]

// A partner's circuit breaker open for more than five minutes, on any instance. The app reports
// each breaker every minute (algesta.partner.circuit_open: 1 open or half-open, 0 closed); the query
// measures, per partner and instance, how long the latest open stretch has lasted: from the last
// sample that said closed (or the window's first open sample) to the latest open one. A log search
// alert runs its query over the window at each evaluation and fires when a row's measure passes the
// threshold (learn.microsoft.com/azure/azure-monitor/alerts/alerts-types#log-alerts).
module breakerOpen 'br/public:avm/res/insights/scheduled-query-rule:0.6.0' = [
  for (app, i) in apps: {
    name: 'alert-breaker-open${regionParts[i]}'
    params: {
      name: '${namePrefix}${regionParts[i]}-breaker-open'
      alertDisplayName: 'Partner breaker open'
      alertDescription: 'A partner circuit breaker has been open for more than 5 minutes. See docs/operations.md#partner-breaker-open.'
      location: app.location
      tags: tags
      severity: 2
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      scopes: [app.appInsightsResourceId]
      criterias: {
        allOf: [
          {
            query: 'customMetrics | where name == "algesta.partner.circuit_open" | summarize lastClosed = maxif(timestamp, value == 0), firstOpen = minif(timestamp, value > 0), lastOpen = maxif(timestamp, value > 0) by partner = tostring(customDimensions["partner"]), instance = cloud_RoleInstance | where isnotnull(lastOpen) and (isnull(lastClosed) or lastOpen > lastClosed) | extend openMinutes = (lastOpen - iff(isnull(lastClosed), firstOpen, lastClosed)) / 1m'
            timeAggregation: 'Maximum'
            metricMeasureColumn: 'openMinutes'
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

// The outbox sweep (every 2 minutes, for events unrelayed after 2 minutes) reports the oldest event
// it found; one older than 10 minutes means five sweeps in a row could not relay it. 10 minutes
// leaves the rest of the SLA's first step (22.5 min) to the subscription that delivers it.
var outboxBacklogSeconds = 600

module outboxBacklog 'br/public:avm/res/insights/scheduled-query-rule:0.6.0' = [
  for (app, i) in apps: {
    name: 'alert-outbox-backlog${regionParts[i]}'
    params: {
      name: '${namePrefix}${regionParts[i]}-outbox-backlog'
      alertDisplayName: 'Outbox backlog'
      alertDescription: 'The outbox sweep found an event still unrelayed after more than 10 minutes. See docs/operations.md#outbox-backlog.'
      location: app.location
      tags: tags
      severity: 2
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      scopes: [app.appInsightsResourceId]
      criterias: {
        allOf: [
          {
            query: 'customMetrics | where name == "algesta.outbox.oldest_unrelayed_age" | summarize oldestSeconds = max(valueMax) by container = tostring(customDimensions["container"])'
            timeAggregation: 'Maximum'
            metricMeasureColumn: 'oldestSeconds'
            dimensions: [
              {
                name: 'container'
                operator: 'Include'
                values: ['*']
              }
            ]
            operator: 'GreaterThan'
            threshold: outboxBacklogSeconds
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

// A failed deployment notifies on-call, two ways (docs/decisions.md, "Seeing the system"):
// 1. The Bicep step: ARM records a failed subscription deployment in the activity log as the
//    Administrative operation Microsoft.Resources/deployments/write with status Failed; an activity
//    log alert scoped to the subscription matches it by the deployment's resource ID (the pipeline
//    names the deployment algesta-<env>, infra/pipelines/deploy.yml, = namePrefix)
//    (learn.microsoft.com/azure/azure-monitor/alerts/activity-log-alerts,
//    learn.microsoft.com/rest/api/monitor/activitylogalerts/createorupdate).
module deploymentFailed 'br/public:avm/res/insights/activity-log-alert:0.4.2' = {
  name: 'alert-deployment-failed'
  params: {
    name: '${namePrefix}-deployment-failed'
    alertDescription: 'The infrastructure deployment ${namePrefix} failed. See docs/operations.md#deployment-failed.'
    location: 'global'
    tags: tags
    // The module's default scope: the subscription (where the pipeline's deployment runs).
    conditions: [
      {
        field: 'category'
        equals: 'Administrative'
      }
      {
        field: 'operationName'
        equals: 'Microsoft.Resources/deployments/write'
      }
      {
        field: 'status'
        equals: 'Failed'
      }
      {
        field: 'resourceId'
        equals: subscriptionResourceId('Microsoft.Resources/deployments', namePrefix)
      }
    ]
    actions: [
      {
        actionGroupId: actionGroup.outputs.resourceId
      }
    ]
    enableTelemetry: false
  }
}

// 2. The rollout (infra/scripts/rollout.ts), whose failures are not ARM's: it sends the custom event
//    algesta.deployment.failed to the primary's Application Insights (deployment-notice.ts), and
//    this alert pages on it. Once, on the primary only: the pipeline sends it there.
module deploymentNotices 'br/public:avm/res/insights/scheduled-query-rule:0.6.0' = {
  name: 'alert-deployment-notices'
  params: {
    name: '${namePrefix}-deployment-rolled-back'
    alertDisplayName: 'Deployment failed or rolled back'
    alertDescription: 'The pipeline reported a failed or rolled-back rollout. See docs/operations.md#deployment-failed.'
    location: primaryApp.location
    tags: tags
    severity: 1
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    scopes: [primaryApp.appInsightsResourceId]
    criterias: {
      allOf: [
        {
          query: 'customEvents | where name == "algesta.deployment.failed" | summarize notices = count() by step = tostring(customDimensions["step"]), region = tostring(customDimensions["region"]), rolledBack = tostring(customDimensions["rolledBack"])'
          timeAggregation: 'Total'
          metricMeasureColumn: 'notices'
          dimensions: [
            {
              name: 'step'
              operator: 'Include'
              values: ['*']
            }
            {
              name: 'region'
              operator: 'Include'
              values: ['*']
            }
            {
              name: 'rolledBack'
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

// The deploying identity (the pipeline's service connection; azd's user in dev: deployer(),
// learn.microsoft.com/azure/azure-resource-manager/bicep/bicep-functions-deployment#deployer) may send that event:
// the component takes only Entra-authenticated telemetry, from holders of Monitoring Metrics
// Publisher on it (learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication).
resource primaryAppInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: last(split(primaryApp.appInsightsResourceId, '/'))
}

var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource deployerTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(primaryAppInsights.id, deployer().objectId, monitoringMetricsPublisher)
  scope: primaryAppInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: deployer().objectId
  }
}

// ---- end of issue 23's alerts ----

output actionGroupResourceId string = actionGroup.outputs.resourceId
