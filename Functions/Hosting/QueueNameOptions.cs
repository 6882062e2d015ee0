namespace Sarthe.Enrolment.Hosting;

/// <summary>
/// Queue names are settings (top-level keys) because queue triggers name them as %Setting%.
/// </summary>
public sealed class QueueNameOptions
{
    public const string RegistrationSetting = "RegistrationQueueName";
    public const string AuditSetting = "AuditQueueName";
    public const string SweepScheduleSetting = "RegistrationSweepSchedule";
    public const string DispatchScheduleSetting = "RegistrationDispatchSchedule";
    public const string FundingReportScheduleSetting = "FundingReportSchedule";

    public string Registration { get; set; } = "device-registrations";

    public string Audit { get; set; } = "audit-events";

    public IEnumerable<string> All => [Registration, Audit, Registration + "-poison", Audit + "-poison"];
}
