namespace Sarthe.Enrolment.Hosting;

/// <summary>Table names, fixed; queue names come from settings so triggers can use %Setting% expressions.</summary>
public static class TableNames
{
    public const string Schools = "Schools";
    public const string SchoolKeys = "SchoolKeys";
    public const string Devices = "Devices";
    public const string DeviceSerials = "DeviceSerials";
    public const string AuditEvents = "AuditEvents";
    public const string RegistrationOutbox = "RegistrationOutbox";
    public const string FundingReports = "FundingReports";
}
