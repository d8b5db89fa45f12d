// Service Bus: the `domain-events` topic and one subscription per workflow, exactly as
// shared/adapters/servicebus/topology.ts defines them (test/infra checks it). Called once per
// namespace: the primary declares the entities (and, in production, the Geo-Disaster Recovery alias
// pairing it with the secondary); the secondary declares none, because Geo-DR replicates the
// primary's entities to it and keeps it read-only while paired
// (learn.microsoft.com/azure/service-bus-messaging/service-bus-geo-dr).

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Namespace name (6-50 letters, digits, hyphens).')
param namespaceName string

@description('Standard is enough for topics, filters, duplicate detection and scheduled messages; Premium adds isolation and zone redundancy.')
@allowed(['Standard', 'Premium'])
param skuName string

@description('Log Analytics workspace for the namespace\'s operational logs.')
param logAnalyticsWorkspaceId string

@description('Declare the topic and its subscriptions here (the primary). False for a Geo-DR secondary, which receives them by replication.')
param declareEntities bool = true

@description('Geo-DR: pair this (primary) namespace with a secondary by an alias.')
param geoRecovery bool = false

@description('Geo-DR: name of the alias (its host name is <alias>.servicebus.windows.net, the name the app connects to).')
param geoRecoveryAlias string = ''

@description('Geo-DR: resource ID of the secondary namespace (with `geoRecoveryAlias`).')
param geoRecoveryPartnerNamespaceResourceId string = ''

// ---- issue 24: private networking ----
@description('Private networking: public network access off (Premium only: private endpoints are a Premium feature); the app reaches this resource through `privateEndpoints`.')
param privateNetworking bool = false

@description('Private endpoints of this resource, one per region\'s network (main.bicep\'s privateEndpointsOf; [] without private networking), in the AVM module\'s own `privateEndpoints` form.')
param privateEndpoints array = []
// ---- end issue 24 ----

var topicName = 'domain-events'

// One subscription per workflow and the event types it receives, as in topology.ts. Exported:
// rbac.bicep gives the app its role on each of these subscriptions.
@export()
var workflows = [
  {
    name: 'orders-workflow'
    eventTypes: [
      'order.submitted'
      'order.quote-deadline-reached'
      'order.sla-check-due'
      'order.status-changed'
      'order.contract-requested'
      'order.approval-escalation-due'
    ]
  }
  {
    name: 'providers-workflow'
    eventTypes: [
      'provider.compliance-check-due'
      'order.quotes-requested'
      'order.quote-submitted'
      'order.quote-selected'
      'order.work-completed'
      'order.rated'
      'order.rework-requested'
      'order.status-changed'
      'order.sla-at-risk'
      'order.sla-breached'
    ]
  }
  {
    name: 'notifications'
    // NOTIFIED_EVENT_TYPES: every event a notification rule reacts to (shared/domain/notifications/rules.ts).
    eventTypes: [
      'order.submitted'
      'order.quotes-requested'
      'order.quote-submitted'
      'order.status-changed'
      'order.contract-requested'
      'order.sla-at-risk'
      'order.sla-breached'
      'provider.document-reviewed'
      'provider.document-expiring'
      'provider.approved'
      'provider.suspended'
      'feed.endpoint-disabled'
      'order.geofence-flagged'
      'order.invoice-held'
      'order.invoice-approved'
      'order.invoice-rejected'
      'order.approval-requested'
      'order.approval-escalated'
      'order.nte-increase-requested'
      'order.nte-increase-approved'
      'order.nte-increase-rejected'
      'plan.provider-ineligible'
      'whatsapp.inbound-received'
    ]
  }
  {
    name: 'client-feed'
    // The client event feed: every order event of the registry but the scheduled wake-ups
    // (FEED_EVENT_TYPES, shared/application/feed/endpoints.ts), and its own lane wake-ups.
    eventTypes: [
      'order.submitted'
      'order.status-changed'
      'order.contract-requested'
      'order.quote-round-closed'
      'order.sla-at-risk'
      'order.sla-breached'
      'order.quotes-requested'
      'order.quote-submitted'
      'order.quote-selected'
      'order.work-completed'
      'order.rated'
      'order.rework-requested'
      'order.geofence-flagged'
      'order.invoice-approved'
      'order.invoice-held'
      'order.invoice-rejected'
      'order.approval-requested'
      'order.approval-recorded'
      'order.approval-escalated'
      'order.nte-increase-requested'
      'order.nte-increase-approved'
      'order.nte-increase-rejected'
      'feed.lane-due'
    ]
  }
]

// The SQL rule on the `type` application property, written exactly as `sqlFilter()` in topology.ts
// writes it. A workflow with no event types yet receives nothing (1=0). A workflow's re-sent copy of
// a failed message carries `target` = its subscription (docs/events.md, Retries): only that
// subscription takes it; `target IS NULL` is true for every other message, which has no `target`.
func sqlFilter(name string, eventTypes string[]) string => empty(eventTypes) ? '1=0' : 'type IN (${join(map(eventTypes, t => '\'${replace(t, '\'', '\'\'')}\''), ', ')}) AND (target IS NULL OR target = \'${replace(name, '\'', '\'\'')}\')'

module namespace 'br/public:avm/res/service-bus/namespace:0.17.0' = {
  name: 'servicebus-namespace'
  params: {
    name: namespaceName
    location: location
    tags: tags
    // One messaging unit: Premium is billed per messaging unit and hour (main.bicep gives the price).
    skuObject: skuName == 'Premium'
      ? {
          name: skuName
          capacity: 1
        }
      : {
          name: skuName
        }
    zoneRedundant: skuName == 'Premium'
    // Entra ID only: the namespace's shared access keys exist but are refused.
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    // The module writes a network rule set whenever it has private endpoints, whose own
    // publicNetworkAccess wins over the namespace's; it is given explicitly so both say the same.
    networkRuleSets: privateNetworking
      ? {
          publicNetworkAccess: 'Disabled'
          defaultAction: 'Deny'
          trustedServiceAccessEnabled: true
        }
      : null
    // Geo-DR: with a pairing in place, an endpoint on the primary can only be added after the
    // secondary has one; main.bicep deploys the secondary (and its endpoints) first
    // (learn.microsoft.com/azure/service-bus-messaging/service-bus-geo-dr#existing-pairings).
    privateEndpoints: privateEndpoints
    diagnosticSettings: [
      {
        workspaceResourceId: logAnalyticsWorkspaceId
        logCategoriesAndGroups: [
          {
            category: 'OperationalLogs'
          }
        ]
      }
    ]
    // No shared access rule is declared (the AVM default declares RootManageSharedAccessKey): the
    // keys are refused anyway (disableLocalAuth), and a Geo-DR secondary is read-only while paired.
    authorizationRules: []
    disasterRecoveryConfig: !geoRecovery
      ? null
      : {
          name: geoRecoveryAlias
          partnerNamespace: geoRecoveryPartnerNamespaceResourceId
        }
    topics: !declareEntities ? [] : [
      {
        name: topicName
        // The relay sends each event with messageId = event id: a re-send within the window is dropped.
        requiresDuplicateDetection: true
        duplicateDetectionHistoryTimeWindow: 'PT10M'
        enableBatchedOperations: true
        subscriptions: [
          for workflow in workflows: {
            name: workflow.name
            maxDeliveryCount: 10
            lockDuration: 'PT1M'
            defaultMessageTimeToLive: 'P14D'
            deadLetteringOnMessageExpiration: true
            deadLetteringOnFilterEvaluationExceptions: true
            enableBatchedOperations: true
            // Named $Default, the rule replaces the catch-all rule Service Bus gives a new subscription.
            rules: [
              {
                name: '$Default'
                filterType: 'SqlFilter'
                sqlFilter: {
                  sqlExpression: sqlFilter(workflow.name, workflow.eventTypes)
                }
              }
            ]
          }
        ]
      }
    ]
    enableTelemetry: false
  }
}

output namespaceName string = namespaceName
output namespaceResourceId string = namespace.outputs.resourceId
// With an alias the app connects to the alias, which follows a Geo-DR failover; otherwise to the namespace.
output fullyQualifiedNamespace string = !geoRecovery
  ? '${namespaceName}.servicebus.windows.net'
  : '${geoRecoveryAlias}.servicebus.windows.net'
output topicName string = topicName
output subscriptionNames string[] = [for workflow in workflows: workflow.name]
