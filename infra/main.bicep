// The enrolment backend on Azure: Function App (Flex Consumption, .NET 10 isolated) with a user-assigned
// managed identity, a storage account without shared keys, Application Insights, and a Key Vault for the
// enrolment master secret. Plain resources only (no registry modules). Deploy with `azd up`.
targetScope = 'resourceGroup'

@description('Name of the azd environment; used to name resources.')
param environmentName string

@description('Azure region.')
param location string = resourceGroup().location

@description('Audience of administrators\' tokens (the API app registration\'s application ID URI).')
param adminAudience string

@description('Entra ID tenant of the administrators and of Intune.')
param tenantId string = subscription().tenantId

@description('Client id (a GUID) of the API app registration: the audience of v2 access tokens. Empty: v1 tokens only.')
param adminClientId string = ''

@description('Application (client) id of the dashboard\'s single-page-app registration; empty leaves the dashboard without sign-in.')
param dashboardClientId string = ''

@description('Devices the programme plans to register (the dashboard\'s 100 %).')
param deviceTarget int = 8000

@description('Largest number of instances Flex Consumption may scale to.')
param maximumInstanceCount int = 40

var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = { 'azd-env-name': environmentName, product: 'sarthe-device-enrolment' }
var deploymentContainer = 'app-package'

// Built-in role definition ids.
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-enrol-${token}'
  location: location
  tags: tags
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'stenrol${token}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_ZRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource packageContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainer
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-enrol-${token}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 90
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-enrol-${token}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    DisableLocalAuth: true
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-enrol-${token}'
  location: location
  tags: tags
  properties: {
    tenantId: tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
    softDeleteRetentionInDays: 90
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-enrol-${token}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: 'func-enrol-${token}'
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identity.id }
        }
      }
      scaleAndConcurrency: { maximumInstanceCount: maximumInstanceCount, instanceMemoryMB: 2048 }
      runtime: { name: 'dotnet-isolated', version: '10.0' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: [
        // Storage through the managed identity: no connection string, no account key.
        { name: 'AzureWebJobsStorage__accountName', value: storage.name }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identity.properties.clientId }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identity.properties.clientId};Authorization=AAD' }
        { name: 'AuditQueueName', value: 'audit-events' }
        { name: 'AutopilotSyncSchedule', value: '*/10 * * * * *' }
        { name: 'RegistrationSweepSchedule', value: '0 */5 * * * *' }
        { name: 'FundingReportSchedule', value: '0 5 * * * *' }
        { name: 'AdminAuth__MetadataAddress', value: '${environment().authentication.loginEndpoint}${tenantId}/v2.0/.well-known/openid-configuration' }
        { name: 'AdminAuth__Audience', value: adminAudience }
        { name: 'AdminAuth__ClientId', value: adminClientId }
        // The dashboard signs administrators in with MSAL (authorization code + PKCE) for this API's scope.
        { name: 'Dashboard__ClientId', value: dashboardClientId }
        { name: 'Dashboard__Authority', value: '${environment().authentication.loginEndpoint}${tenantId}' }
        { name: 'Dashboard__Scope', value: '${adminAudience}/.default' }
        { name: 'Dashboard__DeviceTarget', value: string(deviceTarget) }
        // The secret itself is put in the vault by an operator (docs/operations.md), never in a template.
        { name: 'Enrolment__MasterSecret', value: '@Microsoft.KeyVault(VaultName=${vault.name};SecretName=enrolment-master-secret)' }
        { name: 'Graph__Credential', value: 'ManagedIdentity' }
        { name: 'Graph__ClientId', value: identity.properties.clientId }
      ]
    }
  }
}

// Least privilege for the app's identity: data-plane roles on its own account and vault only.
resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, roles.storageBlobDataOwner)
  properties: { principalId: identity.properties.principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner) }
}

resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, roles.storageQueueDataContributor)
  properties: { principalId: identity.properties.principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor) }
}

resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, roles.storageTableDataContributor)
  properties: { principalId: identity.properties.principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor) }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, identity.id, roles.keyVaultSecretsUser)
  properties: { principalId: identity.properties.principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser) }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: insights
  name: guid(insights.id, identity.id, roles.monitoringMetricsPublisher)
  properties: { principalId: identity.properties.principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher) }
}

output AZURE_FUNCTION_APP_NAME string = app.name
output AZURE_FUNCTION_URI string = 'https://${app.properties.defaultHostName}/api'
output AZURE_DASHBOARD_URL string = 'https://${app.properties.defaultHostName}/api/dashboard'
output AZURE_KEY_VAULT_NAME string = vault.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.name
output APP_IDENTITY_PRINCIPAL_ID string = identity.properties.principalId
