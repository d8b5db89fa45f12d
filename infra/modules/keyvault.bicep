// Key Vault for the partner secrets the app reads through Key Vault references (their names are
// `keyVaultSettings` in functionapp.bicep). Bicep never holds a value: people set them
// (docs/operations.md), so a redeployment cannot overwrite a rotated secret. Deleting the vault
// leaves it soft-deleted under the same name: docs/infrastructure.md ("Deleting and making an
// environment again") has the way back for each environment.

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Vault name (3-24 letters, digits, hyphens).')
param vaultName string

@description('Purge protection (main.bicep\'s keyVaultPurgeProtection says where it is off, and why).')
param purgeProtection bool

@description('Log Analytics workspace for the vault\'s audit log (who read which secret).')
param logAnalyticsWorkspaceId string

// ---- issue 24: private networking ----
@description('Private networking: public network access off; the app reaches this resource through `privateEndpoints`.')
param privateNetworking bool = false

@description('Private endpoints of this resource, one per region\'s network (main.bicep\'s privateEndpointsOf; [] without private networking), in the AVM module\'s own `privateEndpoints` form.')
param privateEndpoints array = []
// ---- end issue 24 ----

// The secrets the app reads, by name (people set the values, docs/operations.md): PARTNER_SECRETS of
// shared/adapters/partners/secret-names.ts, read by the partner adapters through the SDK, and the Key
// Vault references of functionapp.bicep (`keyVaultSettings`).
var expectedSecretNames = [
  'docusign-private-key'
  'docusign-connect-hmac-keys'
  'asana-pat'
  'assets-api-key'
  'qsystems-api-token'
  'sendgrid-api-key'
  'sendgrid-webhook-public-key'
  'jelou-client-secret'
  'jelou-webhook-secret'
]

module vault 'br/public:avm/res/key-vault/vault:0.14.0' = {
  name: 'key-vault'
  params: {
    name: vaultName
    location: location
    tags: tags
    sku: 'standard'
    // Azure RBAC decides who reads secrets (rbac.bicep), not access policies.
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // On: a deleted vault or secret cannot be purged before its retention ends, and the vault's name
    // stays taken until then. Off (dev): `azd down --purge` purges the vault, so `azd up` can make it
    // again under the same name. ARM takes no `false` here (purge protection is irreversible); the
    // AVM module sends nothing for false.
    enablePurgeProtection: purgeProtection
    enableVaultForDeployment: false
    enableVaultForTemplateDeployment: false
    enableVaultForDiskEncryption: false
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: privateNetworking ? 'Deny' : 'Allow'
    }
    privateEndpoints: privateEndpoints
    diagnosticSettings: [
      {
        workspaceResourceId: logAnalyticsWorkspaceId
        logCategoriesAndGroups: [
          {
            categoryGroup: 'audit'
          }
        ]
      }
    ]
    enableTelemetry: false
  }
}

output vaultName string = vaultName
output vaultUri string = vault.outputs.uri
output expectedSecretNames string[] = expectedSecretNames
