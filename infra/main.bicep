// The enrolment backend on Azure, deployed with `azd up`. Subscription scope: this template creates the resource
// group, as the Azure Developer CLI's quickstarts do (azd's resource-group scope is a beta feature), then
// resources.bicep fills it (Function App on Flex Consumption, storage without shared keys, Key Vault, Log Analytics
// + Application Insights) and monitoring.bicep watches it (alerts, availability test, workbook). Plain resources
// only (no registry modules), so `.ci/run` compiles and lints it offline.
//
// Every app setting is written by this template: an ARM deployment replaces all app settings, so a value changed
// in the portal is lost at the next `azd provision`. Settings operators tune are parameters here (set them with
// `azd env set NAME value`, see main.parameters.json); any other setting goes in `additionalAppSettings`.
targetScope = 'subscription'

@minLength(1)
@maxLength(48)
@description('Name of the azd environment; names the resource group and the resources.')
param environmentName string

// Data about French collèges' devices stays in the European Union. Flex Consumption is not offered in every
// region: `az functionapp list-flexconsumption-locations` lists where it is.
@description('Azure region of every resource: an EU region, France Central unless chosen otherwise.')
@allowed([
  'francecentral'
  'francesouth'
  'germanywestcentral'
  'germanynorth'
  'northeurope'
  'westeurope'
  'swedencentral'
  'italynorth'
  'polandcentral'
  'spaincentral'
])
@metadata({ azd: { type: 'location' } })
param location string = 'francecentral'

@description('Audience of administrators\' tokens (the API app registration\'s application ID URI).')
param adminAudience string

@description('Entra ID tenant of the administrators and of Intune.')
param tenantId string = subscription().tenantId

@description('Client id (a GUID) of the API app registration: the audience of v2 access tokens. Empty: v1 tokens only.')
param adminClientId string = ''

@description('Application (client) id of the dashboard\'s single-page-app registration; empty leaves the dashboard without sign-in.')
param dashboardClientId string = ''

@description('Object id of the Entra group of operators: Queue and Table Data Reader on the storage account (read the audit queues, the tables). Empty: none.')
param operatorGroupId string = ''

// No default, on purpose: an alert that reaches nobody is one nobody reads. 'none' says so explicitly.
@minLength(1)
@description('E-mail address the alerts are sent to (required), or \'none\' to leave them in the portal only, explicitly.')
param alertEmail string

@description('Largest number of instances Flex Consumption may scale to (a whole number).')
param maximumInstanceCount string = '40'

// The roll-out comes in waves (deliveries, the start of the school year): busy weeks and a quiet rest of the year.
// docs/operations.md, "Busy weeks and the rest of the year", gives what each costs.
@description('busy: the roll-out weeks (always-ready instances, the fast sync); quiet: the rest of the year (no always-ready instance, the quiet sync).')
@allowed(['busy', 'quiet'])
param rolloutSeason string = 'busy'

@description('Always-ready instances of the HTTP group in the busy season (a whole number): the morning\'s first boots find one warm. 0: none (billed only when used). The quiet season has none.')
param alwaysReadyHttpInstances string = '1'

@description('Deny public network access to storage and Key Vault (true): the app reaches them through private endpoints in its virtual network; operators from OPERATOR_IP_RANGES. false: public endpoints, Entra ID only.')
@allowed(['true', 'false'])
param networkIsolation string = 'true'

@description('Public addresses (CIDR, comma-separated) of the operators\' machines allowed through the storage and vault firewalls: the bootstrap writes the master secret from there. Empty: none.')
param operatorIpRanges string = ''

@description('Name of the Key Vault. Empty: kv-enrol-<token>. Set by the preprovision hook (tools/Bootstrap --before-provision), which keeps it across azd down / azd up.')
param keyVaultName string = ''

@description('default, or recover: the vault of that name is soft-deleted (after azd down) and is brought back with its master secret. Set by the preprovision hook.')
@allowed(['default', 'recover'])
param keyVaultCreateMode string = 'default'

@description('Registration failures in one hour above which the "failed devices rising" alert fires (a whole number).')
param failedDevicesPerHourAlert string = '20'

// Tunable settings of the app: each is the app setting of the same name (README, "Settings"), default included.
@description('Enrolment__RotationGracePeriod: how long a rotated-out school key keeps working.')
param rotationGracePeriod string = '7.00:00:00'

@description('Enrolment__TimestampTolerance: allowed distance between a device\'s clock and the server\'s.')
param timestampTolerance string = '00:05:00'

@description('Enrolment__UnknownDevices: first enrolment of a serial not in the school\'s purchase inventory: accept, hold (until an administrator approves) or reject; any other value stops the app at start.')
param unknownDevices string = 'accept'

@description('Enrolment__PublicEndpoint: the https address devices call, written into provisioning bundles; empty: the app\'s own URL (https://<app>.azurewebsites.net). Set it when a custom domain or Front Door is in front of the app.')
param publicEndpoint string = ''

@description('EnrolmentLimits__PerSourceBurst: refused enrolment attempts one source address may make at once (signed ones never count).')
param perSourceBurst string = '600'

@description('EnrolmentLimits__PerSourcePerMinute: refused attempts a source address regains per minute.')
param perSourcePerMinute string = '60'

@description('EnrolmentLimits__PerSchoolBurst: attempts signed with one school\'s key at once.')
param perSchoolBurst string = '2000'

@description('EnrolmentLimits__PerSchoolPerMinute: signed attempts a school regains per minute.')
param perSchoolPerMinute string = '200'

@description('AutopilotSyncSchedule in the busy season: CRON (6 fields) of the Autopilot sync.')
param autopilotSyncSchedule string = '*/10 * * * * *'

@description('AutopilotSyncSchedule in the quiet season: a device waits for registration at most this long more.')
param quietAutopilotSyncSchedule string = '0 */5 * * * *'

@description('RegistrationSweepSchedule: CRON (6 fields, UTC) of the sweep.')
param registrationSweepSchedule string = '0 */5 * * * *'

@description('FundingReportSchedule: CRON of the (hourly) report timer.')
param fundingReportSchedule string = '0 5 * * * *'

@description('Registration__ImportBatchSize: devices per Autopilot import.')
param importBatchSize string = '500'

@description('Registration__MaxAutomaticAttempts: attempts the pipeline makes itself for a transient failure.')
param maxAutomaticAttempts string = '3'

@description('Registration__AutomaticRetryAfter: how long such a device stays failed before the sweep retries it.')
param automaticRetryAfter string = '00:15:00'

@description('Registration__StuckAfter: a device unchanged this long is driven again by the sweep.')
param stuckAfter string = '00:10:00'

@description('Graph__WritesPerWindow: Intune\'s per-app write budget per window.')
param graphWritesPerWindow string = '100'

@description('Graph__RequestsPerWindow: Intune\'s per-app request budget per window.')
param graphRequestsPerWindow string = '1000'

@description('Graph__BudgetShare: part of the per-app budget the pipeline plans to use (0..1).')
param graphBudgetShare string = '0.9'

@description('Graph__ReadProfileStatus: follow the deployment profile (a Graph beta read): true or false.')
@allowed(['true', 'false'])
param readProfileStatus string = 'true'

@description('Funding__CofinancingRate: ERDF share of eligible expenditure (0..1).')
param cofinancingRate string = '0.5'

@description('Funding__BuildHour: the Paris hour after which last night\'s report is due (a whole number); the alert expects it an hour later.')
param fundingBuildHour string = '2'

@description('Funding__ProgrammeStart: first day of the programme (yyyy-MM-dd).')
param programmeStart string = '2024-09-01'

@description('Funding__CatchUpDays: how many missed nights are caught up.')
param catchUpDays string = '7'

@description('Dashboard__DeviceTarget: devices the programme plans to register (the dashboard\'s 100 %).')
param deviceTarget string = '8000'

@description('Dashboard__RefreshSeconds: how often the dashboard reloads its figures.')
param dashboardRefreshSeconds string = '15'

@description('RetentionSchedule: CRON (UTC) of the daily retention purge.')
param retentionSchedule string = '0 30 3 * * *'

@description('Funding__ProgrammeClosingDate: date of the managing authority\'s last payment (yyyy-MM-dd); empty until known (then no closing+ rule deletes anything).')
param programmeClosingDate string = ''

@description('Retention__AuditEntries: retention rule of the audit trail (a duration such as 365d or 2y, or closing+Ny).')
param auditEntriesRetention string = 'closing+5y'

@description('Retention__RejectedAttempts: retention rule of refused enrolment attempts.')
param rejectedAttemptsRetention string = '365d'

@description('Retention__DeregisteredDevices: retention rule of a device row after its deregistration.')
param deregisteredDevicesRetention string = '365d'

@description('Retention__Archive: retention rule of archived rows of deregistered devices.')
param archiveRetention string = '365d'

@description('Retention__Inventory: retention rule of purchase inventory lines and manifests.')
param inventoryRetention string = 'closing+5y'

@description('Retention__Reports: retention rule of built funding reports.')
param reportsRetention string = 'closing+5y'

@description('Retention__Logs and the Log Analytics workspace retention, in days (the app setting reads it as \'{days}d\').')
param logRetentionDays string = '90'

@description('Audit__RetentionYears: stamped on every audit entry.')
param auditRetentionYears string = '10'

@description('Any other app settings, as a JSON object by name (\'{"EnrolmentLimits__PerSourceBurst": "900"}\'): kept across deployments, unlike a value set in the portal.')
param additionalAppSettings string = '{}'

var tags = { 'azd-env-name': environmentName, product: 'sarthe-device-enrolment' }

var busy = rolloutSeason == 'busy'

var tunedSettings = [
  { name: 'AutopilotSyncSchedule', value: busy ? autopilotSyncSchedule : quietAutopilotSyncSchedule }
  { name: 'RegistrationSweepSchedule', value: registrationSweepSchedule }
  { name: 'FundingReportSchedule', value: fundingReportSchedule }
  { name: 'RetentionSchedule', value: retentionSchedule }
  { name: 'Enrolment__RotationGracePeriod', value: rotationGracePeriod }
  { name: 'Enrolment__TimestampTolerance', value: timestampTolerance }
  { name: 'Enrolment__UnknownDevices', value: unknownDevices }
  { name: 'EnrolmentLimits__PerSourceBurst', value: perSourceBurst }
  { name: 'EnrolmentLimits__PerSourcePerMinute', value: perSourcePerMinute }
  { name: 'EnrolmentLimits__PerSchoolBurst', value: perSchoolBurst }
  { name: 'EnrolmentLimits__PerSchoolPerMinute', value: perSchoolPerMinute }
  { name: 'Registration__ImportBatchSize', value: importBatchSize }
  { name: 'Registration__MaxAutomaticAttempts', value: maxAutomaticAttempts }
  { name: 'Registration__AutomaticRetryAfter', value: automaticRetryAfter }
  { name: 'Registration__StuckAfter', value: stuckAfter }
  { name: 'Graph__WritesPerWindow', value: graphWritesPerWindow }
  { name: 'Graph__RequestsPerWindow', value: graphRequestsPerWindow }
  { name: 'Graph__BudgetShare', value: graphBudgetShare }
  { name: 'Graph__ReadProfileStatus', value: readProfileStatus }
  { name: 'Funding__CofinancingRate', value: cofinancingRate }
  { name: 'Funding__BuildHour', value: fundingBuildHour }
  { name: 'Funding__ProgrammeStart', value: programmeStart }
  { name: 'Funding__CatchUpDays', value: catchUpDays }
  { name: 'Funding__ProgrammeClosingDate', value: programmeClosingDate }
  { name: 'Retention__AuditEntries', value: auditEntriesRetention }
  { name: 'Retention__RejectedAttempts', value: rejectedAttemptsRetention }
  { name: 'Retention__DeregisteredDevices', value: deregisteredDevicesRetention }
  { name: 'Retention__Archive', value: archiveRetention }
  { name: 'Retention__Inventory', value: inventoryRetention }
  { name: 'Retention__Reports', value: reportsRetention }
  { name: 'Retention__Logs', value: '${logRetentionDays}d' }
  { name: 'Dashboard__DeviceTarget', value: deviceTarget }
  { name: 'Dashboard__RefreshSeconds', value: dashboardRefreshSeconds }
  { name: 'Audit__RetentionYears', value: auditRetentionYears }
]

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module resources 'resources.bicep' = {
  scope: rg
  name: 'resources'
  params: {
    environmentName: environmentName
    location: location
    tags: tags
    tenantId: tenantId
    adminAudience: adminAudience
    adminClientId: adminClientId
    dashboardClientId: dashboardClientId
    operatorGroupId: operatorGroupId
    maximumInstanceCount: int(maximumInstanceCount)
    alwaysReadyHttpInstances: busy ? int(alwaysReadyHttpInstances) : 0
    networkIsolation: networkIsolation == 'true'
    operatorIpRanges: filter(map(split(operatorIpRanges, ','), range => trim(range)), range => !empty(range))
    keyVaultName: keyVaultName
    keyVaultCreateMode: keyVaultCreateMode
    publicEndpoint: publicEndpoint
    logRetentionDays: int(logRetentionDays)
    appSettings: concat(tunedSettings, map(items(json(additionalAppSettings)), setting => { name: setting.key, value: string(setting.value) }))
  }
}

module monitoring 'monitoring.bicep' = {
  scope: rg
  name: 'monitoring'
  params: {
    environmentName: environmentName
    location: location
    tags: tags
    insightsName: resources.outputs.insightsName
    workspaceName: resources.outputs.workspaceName
    healthUrl: '${resources.outputs.functionUri}/health'
    alertEmail: alertEmail
    failedDevicesPerHour: int(failedDevicesPerHourAlert)
    reportDueHour: int(fundingBuildHour) + 1
  }
}

output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = resources.outputs.functionAppName
output AZURE_FUNCTION_APP_ID string = resources.outputs.functionAppId
output AZURE_FUNCTION_URI string = resources.outputs.functionUri
output AZURE_DASHBOARD_URL string = '${resources.outputs.functionUri}/dashboard'
output AZURE_KEY_VAULT_NAME string = resources.outputs.vaultName
output AZURE_KEY_VAULT_ID string = resources.outputs.vaultId
output AZURE_KEY_VAULT_URI string = resources.outputs.vaultUri
output AZURE_STORAGE_ACCOUNT_NAME string = resources.outputs.storageName
output APP_IDENTITY_PRINCIPAL_ID string = resources.outputs.identityPrincipalId
output AZURE_WORKBOOK_ID string = monitoring.outputs.workbookId
