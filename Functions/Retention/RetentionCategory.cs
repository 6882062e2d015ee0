namespace Sarthe.Enrolment.Retention;

/// <summary>The categories of stored data a retention rule applies to, by the name the purge's audit entry and docs/privacy.md use.</summary>
public static class RetentionCategory
{
    public const string AuditEntries = "auditEntries";
    public const string RejectedAttempts = "rejectedAttempts";
    public const string DeregisteredDevices = "deregisteredDevices";
    public const string Archive = "archive";
    public const string Inventory = "inventory";
    public const string Reports = "reports";
    public const string Logs = "logs";

    /// <summary>Each category with its rule in <paramref name="options"/>.</summary>
    public static IReadOnlyList<(string Category, RetentionRule Rule)> Rules(RetentionOptions options) =>
    [
        (AuditEntries, options.AuditEntries), (RejectedAttempts, options.RejectedAttempts), (DeregisteredDevices, options.DeregisteredDevices),
        (Archive, options.Archive), (Inventory, options.Inventory), (Reports, options.Reports), (Logs, options.Logs),
    ];
}
