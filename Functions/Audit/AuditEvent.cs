using System.Text.Json.Nodes;

namespace Sarthe.Enrolment.Audit;

public static class AuditEventTypes
{
    public const string DeviceEnrolled = "device.enrolled";
    public const string DeviceReenrolled = "device.reenrolled";
    public const string DeviceEnrolmentRejected = "device.enrolment_rejected";
    public const string DeviceRegistrationStarted = "device.registration_started";
    public const string DeviceRegistered = "device.registered";
    public const string DeviceRegistrationFailed = "device.registration_failed";
    public const string DeviceRetryRequested = "device.retry_requested";
    public const string SchoolKeyRotated = "school.key_rotated";
    public const string ReportFundingBuilt = "report.funding_built";

    public static readonly string[] All =
    [
        DeviceEnrolled, DeviceReenrolled, DeviceEnrolmentRejected, DeviceRegistrationStarted, DeviceRegistered,
        DeviceRegistrationFailed, DeviceRetryRequested, SchoolKeyRotated, ReportFundingBuilt,
    ];
}

public static class ActorKinds
{
    public const string Device = "device";
    public const string Administrator = "administrator";
    public const string System = "system";
}

public sealed record AuditActor(string Kind, string Id)
{
    public static readonly AuditActor Registration = new(ActorKinds.System, "registration");
}

/// <summary>The contract's audit event.</summary>
public sealed record AuditEvent(
    Guid EventId,
    DateTimeOffset OccurredAt,
    string Type,
    AuditActor Actor,
    string? SchoolUai,
    string? SerialNumber,
    JsonObject? Data);
