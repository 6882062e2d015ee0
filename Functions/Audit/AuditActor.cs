namespace Sarthe.Enrolment.Audit;

/// <summary>Who caused an audit event: a device (by serial), an administrator (by Entra object id) or the system.</summary>
public sealed record AuditActor(string Kind, string Id)
{
    public const string DeviceKind = "device";
    public const string AdministratorKind = "administrator";
    public const string SystemKind = "system";

    public static readonly IReadOnlyList<string> Kinds = [DeviceKind, AdministratorKind, SystemKind];

    /// <summary>The registration pipeline (queue and timer functions).</summary>
    public static readonly AuditActor Registration = new(SystemKind, "registration");

    /// <summary>The nightly funding report timer.</summary>
    public static readonly AuditActor NightlyReport = new(SystemKind, "nightly-report");

    /// <summary>The daily retention purge.</summary>
    public static readonly AuditActor Retention = new(SystemKind, "retention");

    public static AuditActor Device(string serialNumber) => new(DeviceKind, serialNumber);

    public static AuditActor Administrator(string objectId) => new(AdministratorKind, objectId);
}
