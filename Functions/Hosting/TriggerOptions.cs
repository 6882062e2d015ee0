namespace Sarthe.Enrolment.Hosting;

/// <summary>
/// The settings queue and timer triggers name as <c>%Setting%</c>: top-level keys (no section), because the
/// Functions host resolves trigger expressions from the app settings themselves. The attributes use the
/// <c>…Expression</c> constants, so the Functions app and the dev host's WebJobs adapters name the same settings;
/// the defaults here are the only ones (the dev host, <c>local.settings.sample.json</c> and Bicep copy them, and a
/// test holds them to it).
/// </summary>
public sealed class TriggerOptions
{
    public const string AuditQueueSetting = "AuditQueueName";
    public const string AutopilotSyncScheduleSetting = "AutopilotSyncSchedule";
    public const string SweepScheduleSetting = "RegistrationSweepSchedule";
    public const string FundingReportScheduleSetting = "FundingReportSchedule";
    public const string RetentionScheduleSetting = "RetentionSchedule";

    /// <summary>The storage connection every trigger uses (a connection string, or <c>__accountName</c> with a managed identity).</summary>
    public const string Connection = StorageConnection.SettingName;

    public const string AuditQueueExpression = "%" + AuditQueueSetting + "%";
    public const string AutopilotSyncScheduleExpression = "%" + AutopilotSyncScheduleSetting + "%";
    public const string SweepScheduleExpression = "%" + SweepScheduleSetting + "%";
    public const string FundingReportScheduleExpression = "%" + FundingReportScheduleSetting + "%";
    public const string RetentionScheduleExpression = "%" + RetentionScheduleSetting + "%";

    /// <summary>Queue of audit events (its poison queue is this name + <c>-poison</c>).</summary>
    public string AuditQueueName { get; set; } = "audit-events";

    /// <summary>
    /// CRON (6 fields) of the Autopilot sync: plans imports from the outbox and makes every Graph call (one instance at
    /// a time). Every 10 s: Intune takes a minute or more per import, and each run does what is due.
    /// </summary>
    public string AutopilotSyncSchedule { get; set; } = "*/10 * * * * *";

    /// <summary>CRON (6 fields, UTC) of the sweep that re-drives devices that stopped moving.</summary>
    public string RegistrationSweepSchedule { get; set; } = "0 */5 * * * *";

    /// <summary>
    /// CRON of the funding report timer. Hourly on purpose: each run builds what is due in Funding:TimeZone, so
    /// 02:00 Paris is right in summer and winter whether or not the plan honours WEBSITE_TIME_ZONE.
    /// </summary>
    public string FundingReportSchedule { get; set; } = "0 5 * * * *";

    /// <summary>CRON (6 fields, UTC) of the retention purge: daily, at night, away from the report's hour.</summary>
    public string RetentionSchedule { get; set; } = "0 30 3 * * *";

    public IEnumerable<string> Queues => [AuditQueueName, AuditQueueName + "-poison"];

    /// <summary>Every setting with its value, by name: what the dev host puts in configuration for the WebJobs SDK to resolve.</summary>
    public IReadOnlyDictionary<string, string> AsSettings() => new Dictionary<string, string>
    {
        [AuditQueueSetting] = AuditQueueName,
        [AutopilotSyncScheduleSetting] = AutopilotSyncSchedule,
        [SweepScheduleSetting] = RegistrationSweepSchedule,
        [FundingReportScheduleSetting] = FundingReportSchedule,
        [RetentionScheduleSetting] = RetentionSchedule,
    };
}
