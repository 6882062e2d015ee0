// What watches the roll-out: an availability test of /api/health, log alerts on the product's own metrics (written
// by the worker's OpenTelemetry exporter to the workspace's AppMetrics table: Functions/Hosting/EnrolmentTelemetry.cs
// names them) and a workbook. docs/operations.md says what each alert means and what to do.
targetScope = 'resourceGroup'

param environmentName string
param location string
param tags object
param insightsName string
param workspaceName string
param healthUrl string
param alertEmail string
param failedDevicesPerHour int
param reportDueHour int

resource insights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: insightsName
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-enrol-${environmentName}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'enrolment'
    enabled: true
    // 'none' is the only way to have no receiver, and says so; main.bicep refuses an empty value.
    emailReceivers: alertEmail == 'none' ? [] : [{ name: 'operators', emailAddress: alertEmail, useCommonAlertSchema: true }]
  }
}

// GET /api/health every 5 minutes from three EU test locations (France Central, West Europe, North Europe):
// learn.microsoft.com/azure/azure-monitor/app/availability (standard tests; location ids in its "test locations").
resource healthTest 'Microsoft.Insights/webtests@2022-06-15' = {
  name: 'health-${environmentName}'
  location: location
  // A web test belongs to its Application Insights component through this tag.
  tags: union(tags, { 'hidden-link:${insights.id}': 'Resource' })
  kind: 'standard'
  properties: {
    SyntheticMonitorId: 'health-${environmentName}'
    Name: 'GET /api/health'
    Kind: 'standard'
    Enabled: true
    Frequency: 300
    Timeout: 30
    RetryEnabled: true
    Locations: [{ Id: 'emea-fr-pra-edge' }, { Id: 'emea-nl-ams-azr' }, { Id: 'emea-gb-db3-azr' }]
    Request: { RequestUrl: healthUrl, HttpVerb: 'GET', ParseDependentRequests: false }
    ValidationRules: { ExpectedHttpStatusCode: 200, SSLCheck: true, SSLCertRemainingLifetimeCheck: 7 }
  }
}

resource healthAlert 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'health-failing-${environmentName}'
  location: 'global'
  tags: tags
  properties: {
    description: 'GET /api/health failed from 2 of 3 locations: the app is down or storage is unreachable (docs/operations.md, "Alerts").'
    severity: 1
    enabled: true
    scopes: [healthTest.id, insights.id]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria'
      webTestId: healthTest.id
      componentId: insights.id
      failedLocationCount: 2
    }
    actions: [{ actionGroupId: actionGroup.id }]
  }
}

// Each log alert runs a query over the workspace and fires when its measure crosses the threshold.
var logAlerts = [
  {
    name: 'failed-devices-rising'
    severity: 2
    description: 'More than ${failedDevicesPerHour} devices failed registration in the last hour (docs/operations.md, "Registration errors").'
    frequency: 'PT15M'
    window: 'PT1H'
    query: 'AppMetrics | where Name == "enrolment.registrations" and tostring(Properties["outcome"]) == "failed" | summarize failed = sum(Sum)'
    measure: 'failed'
    operator: 'GreaterThan'
    threshold: failedDevicesPerHour
  }
  {
    name: 'poison-messages'
    severity: 2
    description: 'audit-events-poison holds messages: audit events that could not be recorded (docs/operations.md, "Alerts").'
    frequency: 'PT15M'
    window: 'PT15M'
    query: 'AppMetrics | where Name == "enrolment.queue.messages" and tostring(Properties["queue"]) endswith "-poison" | summarize messages = max(Sum)'
    measure: 'messages'
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'graph-throttling-sustained'
    severity: 3
    description: 'Graph throttled the app in each of the last six 5-minute periods: the pipeline is slowed for 30 minutes (docs/operations.md, "Alerts").'
    frequency: 'PT5M'
    window: 'PT30M'
    query: 'AppMetrics | where Name == "enrolment.graph.throttled" and Sum > 0 | summarize periods = dcount(bin(TimeGenerated, 5m))'
    measure: 'periods'
    operator: 'GreaterThanOrEqual'
    threshold: 6
  }
  {
    // Hourly report timer: every run records whether last night's report exists. From the due hour (Paris) until
    // midnight, an answer given since the build hour must be 1; no answer at all (the timer is not running) is 0.
    name: 'funding-report-late'
    severity: 2
    description: 'Last night\'s ERDF funding report was not built by ${reportDueHour}:00 Europe/Paris (docs/operations.md, "Alerts").'
    frequency: 'PT15M'
    window: 'PT2H'
    query: format('let paris = datetime_utc_to_local(now(), "Europe/Paris"); let since = datetime_local_to_utc(startofday(paris) + {0}h, "Europe/Paris"); AppMetrics | where Name == "enrolment.reports.last_night_ready" and TimeGenerated >= since | summarize ready = max(Sum) | union (print ready = real(0)) | summarize ready = max(ready) | where hourofday(paris) >= {1}', reportDueHour - 1, reportDueHour)
    measure: 'ready'
    operator: 'LessThan'
    threshold: 1
  }
]

resource alerts 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = [for alert in logAlerts: {
  name: '${alert.name}-${environmentName}'
  location: location
  tags: tags
  properties: {
    description: alert.description
    severity: alert.severity
    enabled: true
    scopes: [logs.id]
    evaluationFrequency: alert.frequency
    windowSize: alert.window
    criteria: {
      allOf: [
        {
          query: alert.query
          timeAggregation: 'Maximum'
          metricMeasureColumn: alert.measure
          operator: alert.operator
          threshold: alert.threshold
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: true
    actions: { actionGroups: [actionGroup.id] }
  }
}]

// The roll-out at a glance, from the same metrics (Monitor → Workbooks, or the azd output AZURE_WORKBOOK_ID).
resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, environmentName, 'rollout-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Sarthe device enrolment: roll-out (${environmentName})'
    category: 'workbook'
    sourceId: logs.id
    serializedData: loadTextContent('workbook.json')
  }
}

output workbookId string = workbook.id
