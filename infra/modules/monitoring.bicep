// Log Analytics and a workspace-based Application Insights component. Telemetry is accepted only
// from Entra ID identities (the app's identity holds Monitoring Metrics Publisher, rbac.bicep).

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Log Analytics workspace name.')
param workspaceName string

@description('Application Insights component name.')
param appInsightsName string

@description('Days logs and telemetry are kept.')
// The values Application Insights accepts (main.bicep's logRetentionDays says why).
@allowed([30, 60, 90, 120, 180, 270, 365, 550, 730])
param retentionDays int

module workspace 'br/public:avm/res/operational-insights/workspace:0.16.1' = {
  name: 'log-analytics'
  params: {
    name: workspaceName
    location: location
    tags: tags
    skuName: 'PerGB2018'
    dataRetention: retentionDays
    features: {
      disableLocalAuth: true
    }
    // No customer-managed storage account is linked for saved queries.
    forceCmkForQuery: false
    enableTelemetry: false
  }
}

module appInsights 'br/public:avm/res/insights/component:0.8.0' = {
  name: 'app-insights'
  params: {
    name: appInsightsName
    location: location
    tags: tags
    kind: 'web'
    applicationType: 'web'
    workspaceResourceId: workspace.outputs.resourceId
    retentionInDays: retentionDays
    // Entra ID authentication only: the connection string alone cannot send telemetry.
    disableLocalAuth: true
    // Client IP addresses are personal data; keep them masked.
    disableIpMasking: false
    enableTelemetry: false
  }
}

output workspaceResourceId string = workspace.outputs.resourceId
output appInsightsName string = appInsightsName
output appInsightsResourceId string = appInsights.outputs.resourceId
