// A Service Bus namespace's data-plane roles: the app's identity publishes to the topic and receives
// from each workflow's subscription; the developer (dev) and the on-call group may replay dead letters.
// Called for the primary namespace and, with Geo-DR, for the secondary: Entra role assignments are not
// replicated by the Geo-DR pairing (MicrosoftDocs/azure-docs#78945 on
// learn.microsoft.com/azure/service-bus-messaging/service-bus-geo-dr), and after a failover the app
// reaches the secondary through the alias with the same identity. The secondary's topic and
// subscriptions are the primary's, replicated by the pairing (servicebus.bicep declares them on the
// primary only), so this module runs after the pairing exists.

import { workflows } from 'servicebus.bicep'

@description('Principal (object) ID of the app\'s user-assigned identity.')
param appPrincipalId string

@description('Service Bus namespace name.')
param serviceBusNamespaceName string

@description('The topic the app publishes to and whose subscriptions (servicebus.bicep `workflows`) it consumes.')
param topicName string

@description('Who runs `azd up` in a development environment. Empty: nobody.')
param deployerPrincipalId string

@description('User or ServicePrincipal.')
@allowed(['User', 'ServicePrincipal', 'Group'])
param deployerPrincipalType string

@description('Entra group of the people on call (dead-letter replay with Service Bus Explorer). Empty: nobody.')
param operatorsGroupObjectId string

var roles = {
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  serviceBusDataOwner: '090c5cfd-751d-490a-894a-3ce6f1109419'
}

var grantDeployer = !empty(deployerPrincipalId)
var grantOperators = !empty(operatorsGroupObjectId)

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName

  resource topic 'topics@2024-01-01' existing = {
    name: topicName
  }
}

resource workflowSubscriptions 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' existing = [
  for workflow in workflows: {
    parent: namespace::topic
    name: workflow.name
  }
]

// The outbox relay publishes (and schedules) messages on the topic.
resource appBusSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(namespace::topic.id, appPrincipalId, roles.serviceBusDataSender)
  scope: namespace::topic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Each workflow's topic trigger receives from its subscription, and Flex Consumption scales that
// trigger from the subscription's message count (target-based scaling), read with the trigger's
// connection, i.e. this identity. Reading the count needs Manage rights: "use Manage rights on
// resources for the most efficient scaling. With Listen rights scaling reverts to incremental scale
// because the queue or topic length can't be used to inform scaling decisions"
// (learn.microsoft.com/azure/azure-functions/functions-target-based-scaling, "Service Bus queues and
// topics"). Azure Service Bus Data Owner is the data role that carries Manage, and one of the two
// roles Microsoft lists for the trigger, whose assignment "needs to have effective scope over the
// Service Bus subscription resource" (.../functions-bindings-service-bus-trigger, identity-based
// connections). So: Data Owner on each workflow subscription, not on the topic or the namespace.
resource appBusWorkflows 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (workflow, i) in workflows: {
    name: guid(workflowSubscriptions[i].id, appPrincipalId, roles.serviceBusDataOwner)
    scope: workflowSubscriptions[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataOwner)
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource deployerBus 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantDeployer) {
  name: guid(namespace.id, deployerPrincipalId, roles.serviceBusDataOwner)
  scope: namespace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataOwner)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}

// Service Bus Explorer peeks and re-sends dead-lettered messages with the caller's Entra identity.
resource operatorsBus 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantOperators) {
  name: guid(namespace.id, operatorsGroupObjectId, roles.serviceBusDataOwner)
  scope: namespace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataOwner)
    principalId: operatorsGroupObjectId
    principalType: 'Group'
  }
}

