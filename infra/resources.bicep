// What main.bicep puts in the resource group: the Function App (Flex Consumption, .NET 10 isolated) with a
// user-assigned managed identity, a storage account without shared keys (locked against deletion: it holds the
// 10-year audit trail and the funding data), Log Analytics + Application Insights, a Key Vault for the enrolment
// master secret, and the diagnostic settings that send Key Vault's audit log, storage's logs and the function
// logs to the workspace.
targetScope = 'resourceGroup'

param environmentName string
param location string
param tags object
param tenantId string
param adminAudience string
param adminClientId string
param dashboardClientId string
param operatorGroupId string
param maximumInstanceCount int
param alwaysReadyHttpInstances int
param networkIsolation bool
param operatorIpRanges array
param keyVaultName string
param keyVaultCreateMode string

@description('The app settings operators tune (main.bicep\'s parameters), added to those this file derives from the resources.')
param appSettings array

@description('Enrolment__PublicEndpoint when set; empty: the app\'s own URL.')
param publicEndpoint string

@description('Days Log Analytics keeps logs and traces (Retention__Logs): docs/privacy.md.')
param logRetentionDays int

var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var deploymentContainer = 'app-package'
var storageIpRules = [for range in operatorIpRanges: { value: range, action: 'Allow' }]
var vaultIpRules = [for range in operatorIpRanges: { value: range }]

// Built-in role definition ids: learn.microsoft.com/azure/role-based-access-control/built-in-roles.
var appRoles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}
var operatorRoles = {
  storageQueueDataReader: '19e7f393-937e-4f77-808e-94535e297925'
  storageTableDataReader: '76199698-9eea-4c19-bc75-cec21354c6b6'
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
    // Isolated: the app through its private endpoints, operators from their addresses, nobody else.
    networkAcls: networkIsolation ? {
      defaultAction: 'Deny'
      bypass: 'AzureServices'
      ipRules: storageIpRules
    } : { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

// The account holds the audit trail (ten years) and the funding data: deleting it, or its resource group, needs
// this lock removed first, by someone allowed to (Owner or User Access Administrator):
// learn.microsoft.com/azure/azure-resource-manager/management/lock-resources.
resource storageLock 'Microsoft.Authorization/locks@2020-05-01' = {
  scope: storage
  name: 'do-not-delete-audit-trail'
  properties: {
    level: 'CanNotDelete'
    notes: 'Holds the 10-year audit trail and the ERDF funding data of the school device programme.'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
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
    retentionInDays: logRetentionDays
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
    // Client addresses are never stored: ingestion keeps only a geolocation and writes 0.0.0.0 (the default, set here
    // so it cannot be turned off unnoticed): learn.microsoft.com/azure/azure-monitor/app/ip-collection.
    DisableIpMasking: false
  }
}

// Purge protection keeps a deleted vault's name taken for 90 days: after `azd down`, the preprovision hook
// (tools/Bootstrap --before-provision) finds it soft-deleted and asks for 'recover', which brings it back with the
// master secret, so the schools' keys keep working (learn.microsoft.com/azure/key-vault/general/key-vault-recovery).
resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: empty(keyVaultName) ? 'kv-enrol-${token}' : keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: tenantId
    sku: { family: 'A', name: 'standard' }
    createMode: keyVaultCreateMode
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
    softDeleteRetentionInDays: 90
    networkAcls: networkIsolation ? {
      defaultAction: 'Deny'
      bypass: 'AzureServices'
      ipRules: vaultIpRules
    } : { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

// Network isolation (networkIsolation): the app's outbound traffic goes through a subnet of its own virtual network
// (Flex Consumption's virtual network integration: a subnet delegated to Microsoft.App/environments), and storage
// and the vault answer it on private endpoints whose names resolve in private DNS zones linked to that network, as
// Microsoft's Flex Consumption azd quickstart does (Azure-Samples/functions-quickstart-dotnet-azd, vnetEnabled).
resource network 'Microsoft.Network/virtualNetworks@2024-05-01' = if (networkIsolation) {
  name: 'vnet-enrol-${token}'
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: ['10.40.0.0/24'] }
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: '10.40.0.0/25'
          delegations: [{ name: 'flex-consumption', properties: { serviceName: 'Microsoft.App/environments' } }]
        }
      }
      {
        name: 'private-endpoints'
        properties: { addressPrefix: '10.40.0.128/27', privateEndpointNetworkPolicies: 'Disabled' }
      }
    ]
  }
}

var privateEndpoints = [
  { name: 'blob', target: storage.id, group: 'blob', zone: 'privatelink.blob.${environment().suffixes.storage}' }
  { name: 'queue', target: storage.id, group: 'queue', zone: 'privatelink.queue.${environment().suffixes.storage}' }
  { name: 'table', target: storage.id, group: 'table', zone: 'privatelink.table.${environment().suffixes.storage}' }
  { name: 'vault', target: vault.id, group: 'vault', zone: 'privatelink.vaultcore.azure.net' }
]

resource privateZones 'Microsoft.Network/privateDnsZones@2024-06-01' = [for endpoint in privateEndpoints: if (networkIsolation) {
  name: endpoint.zone
  location: 'global'
  tags: tags
}]

resource privateZoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [for (endpoint, i) in privateEndpoints: if (networkIsolation) {
  parent: privateZones[i]
  name: 'vnet-enrol'
  location: 'global'
  properties: { registrationEnabled: false, virtualNetwork: { id: network.id } }
}]

resource endpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [for endpoint in privateEndpoints: if (networkIsolation) {
  name: 'pe-${endpoint.name}-${token}'
  location: location
  tags: tags
  properties: {
    subnet: { id: '${network.id}/subnets/private-endpoints' }
    privateLinkServiceConnections: [{ name: endpoint.name, properties: { privateLinkServiceId: endpoint.target, groupIds: [endpoint.group] } }]
  }
}]

resource endpointZones 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [for (endpoint, i) in privateEndpoints: if (networkIsolation) {
  parent: endpoints[i]
  name: 'default'
  properties: { privateDnsZoneConfigs: [{ name: endpoint.name, properties: { privateDnsZoneId: privateZones[i].id } }] }
}]

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-enrol-${token}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

// Settings derived from the resources; the tunable ones come from main.bicep (appSettings).
var derivedSettings = [
  // Storage through the managed identity: no connection string, no account key.
  { name: 'AzureWebJobsStorage__accountName', value: storage.name }
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'AzureWebJobsStorage__clientId', value: identity.properties.clientId }
  // The host's limit on a request body (default 104,857,600), just above the manifest route's own (200,000,000 bytes of
  // UTF-16, as Get-WindowsAutopilotInfo writes 20,000 lines), so that a larger file gets the API's 413, not the host's.
  { name: 'FUNCTIONS_REQUEST_BODY_SIZE_LIMIT', value: '210000000' }
  // Telemetry: the host and the worker export to Application Insights with the identity (local auth is off).
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identity.properties.clientId};Authorization=AAD' }
  { name: 'AuditQueueName', value: 'audit-events' }
  { name: 'AdminAuth__MetadataAddress', value: '${environment().authentication.loginEndpoint}${tenantId}/v2.0/.well-known/openid-configuration' }
  { name: 'AdminAuth__Audience', value: adminAudience }
  { name: 'AdminAuth__ClientId', value: adminClientId }
  // The dashboard signs administrators in with MSAL (authorization code + PKCE) for this API's scope.
  { name: 'Dashboard__ClientId', value: dashboardClientId }
  { name: 'Dashboard__Authority', value: '${environment().authentication.loginEndpoint}${tenantId}' }
  { name: 'Dashboard__Scope', value: '${adminAudience}/.default' }
  // The secret itself is created by the postprovision hook (tools/Bootstrap), never in a template or an output.
  { name: 'Enrolment__MasterSecret', value: '@Microsoft.KeyVault(VaultName=${vault.name};SecretName=enrolment-master-secret)' }
  // The endpoint provisioning bundles name comes from here, never from a request's X-Forwarded-Host. The default host
  // name of a site is <name>.azurewebsites.net (no unique default hostname is asked for).
  { name: 'Enrolment__PublicEndpoint', value: empty(publicEndpoint) ? 'https://${appName}.azurewebsites.net' : publicEndpoint }
  { name: 'Graph__Credential', value: 'ManagedIdentity' }
  { name: 'Graph__ClientId', value: identity.properties.clientId }
]

var appName = 'func-enrol-${token}'

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
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
    virtualNetworkSubnetId: networkIsolation ? '${network.id}/subnets/app' : null
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identity.id }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: 2048
        // Always-ready instances of the HTTP group ("http": every HTTP function) are warm and billed when idle:
        // learn.microsoft.com/azure/azure-functions/flex-consumption-plan#always-ready-instances.
        alwaysReady: alwaysReadyHttpInstances > 0 ? [{ name: 'http', instanceCount: alwaysReadyHttpInstances }] : []
      }
      runtime: { name: 'dotnet-isolated', version: '10.0' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: concat(derivedSettings, appSettings)
    }
  }
}

// No FTP or SCM basic-auth publishing: azd deploys with Entra ID (learn.microsoft.com/azure/app-service/
// configure-basic-auth-disable).
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'ftp'
  properties: { allow: false }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'scm'
  properties: { allow: false }
}

// Diagnostic settings: who read or changed a secret (Key Vault's audit category group), every storage request
// on the tables, queues and blobs, and the function logs, all in the workspace the alerts and workbook read
// (learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings).
resource vaultDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: vault
  name: 'to-log-analytics'
  properties: {
    workspaceId: logs.id
    logs: [{ categoryGroup: 'audit', enabled: true }]
    metrics: [{ category: 'AllMetrics', enabled: true }]
  }
}

resource storageDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: storage
  name: 'to-log-analytics'
  properties: {
    workspaceId: logs.id
    metrics: [{ category: 'Transaction', enabled: true }]
  }
}

resource tableDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: tableService
  name: 'to-log-analytics'
  properties: {
    workspaceId: logs.id
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
    metrics: [{ category: 'Transaction', enabled: true }]
  }
}

resource queueDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: queueService
  name: 'to-log-analytics'
  properties: {
    workspaceId: logs.id
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
    metrics: [{ category: 'Transaction', enabled: true }]
  }
}

resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: blobService
  name: 'to-log-analytics'
  properties: {
    workspaceId: logs.id
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
    metrics: [{ category: 'Transaction', enabled: true }]
  }
}

resource appDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: app
  name: 'to-log-analytics'
  properties: {
    workspaceId: logs.id
    logs: [{ category: 'FunctionAppLogs', enabled: true }]
  }
}

// Least privilege for the app's identity: data-plane roles on its own account and vault only.
resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, appRoles.storageBlobDataOwner)
  properties: { principalId: identity.properties.principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', appRoles.storageBlobDataOwner) }
}

resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, appRoles.storageQueueDataContributor)
  properties: { principalId: identity.properties.principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', appRoles.storageQueueDataContributor) }
}

resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, appRoles.storageTableDataContributor)
  properties: { principalId: identity.properties.principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', appRoles.storageTableDataContributor) }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, identity.id, appRoles.keyVaultSecretsUser)
  properties: { principalId: identity.properties.principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', appRoles.keyVaultSecretsUser) }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: insights
  name: guid(insights.id, identity.id, appRoles.monitoringMetricsPublisher)
  properties: { principalId: identity.properties.principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', appRoles.monitoringMetricsPublisher) }
}

// Operators read what the product holds (the audit queues, poison included, and the tables), and change nothing.
resource operatorQueueReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorGroupId)) {
  scope: storage
  name: guid(storage.id, operatorGroupId, operatorRoles.storageQueueDataReader)
  properties: { principalId: operatorGroupId, principalType: 'Group', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', operatorRoles.storageQueueDataReader) }
}

resource operatorTableReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorGroupId)) {
  scope: storage
  name: guid(storage.id, operatorGroupId, operatorRoles.storageTableDataReader)
  properties: { principalId: operatorGroupId, principalType: 'Group', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', operatorRoles.storageTableDataReader) }
}

output functionAppName string = app.name
output functionAppId string = app.id
output functionUri string = 'https://${app.properties.defaultHostName}/api'
output vaultName string = vault.name
output vaultId string = vault.id
output vaultUri string = vault.properties.vaultUri
output storageName string = storage.name
output identityPrincipalId string = identity.properties.principalId
output insightsName string = insights.name
output workspaceName string = logs.name
