// The dashboard: one Azure Monitor workbook over every region's Application Insights, the Cosmos DB
// account and every Service Bus namespace (docs/operations.md, "Dashboard"). Its definition is
// infra/monitoring/workbook.json, a file test/infra/workbook.test.ts parses; the resource IDs are put
// in its placeholders here. No AVM module deploys workbooks (Azure/bicep-registry-modules has none
// under avm/res/insights), so the resource is declared directly, at the newest non-preview API
// version in bicep-types-az (learn.microsoft.com/azure/templates/microsoft.insights/workbooks).

@description('Region of the workbook resource (the primary\'s).')
param location string

@description('Tags for every resource.')
param tags object

@description('Prefix of the names, e.g. algesta-prod: the workbook is shown as "<prefix> operations".')
param namePrefix string

@description('Every region\'s Application Insights component, the primary first: the workbook\'s queries run across all of them, and it is listed under the primary\'s Workbooks.')
param appInsightsResourceIds string[]

@description('Cosmos DB account resource ID.')
param cosmosAccountResourceId string

@description('Every Service Bus namespace, the primary first.')
param serviceBusNamespaceResourceIds string[]

// Placeholders in workbook.json, each a JSON string that becomes a JSON array of resource IDs.
var definition = loadTextContent('../monitoring/workbook.json')
var serializedData = replace(
  replace(
    replace(definition, '"__APP_INSIGHTS_IDS__"', string(appInsightsResourceIds)),
    '"__COSMOS_ACCOUNT_IDS__"',
    string([cosmosAccountResourceId])
  ),
  '"__SERVICE_BUS_NAMESPACE_IDS__"',
  string(serviceBusNamespaceResourceIds)
)

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's name must be a GUID; this one is stable for the environment (its resource group is too).
  name: guid(namePrefix, 'operations-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: '${namePrefix} operations'
    category: 'workbook'
    version: 'Notebook/1.0'
    serializedData: serializedData
    sourceId: appInsightsResourceIds[0]
  }
}

output workbookResourceId string = workbook.id
