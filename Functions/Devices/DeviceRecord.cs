namespace Sarthe.Enrolment.Devices;

public sealed record AutopilotInfo(string? ImportedIdentityId, string? ImportStatus, string? GroupTag);

public sealed record DeviceError(string Code, string Message, DateTimeOffset At);

/// <summary>The contract's device record.</summary>
public sealed record DeviceRecord(
    string SerialNumber,
    string SchoolUai,
    string DeviceType,
    string Manufacturer,
    string Model,
    string? AssetTag,
    string Status,
    DateTimeOffset EnrolledAt,
    DateTimeOffset UpdatedAt,
    int EnrolmentCount,
    AutopilotInfo? Autopilot,
    DeviceError? LastError)
{
    public static DeviceRecord From(DeviceEntity e) => new(
        e.SerialNumber,
        e.SchoolUai,
        e.DeviceType,
        e.Manufacturer,
        e.Model,
        e.AssetTag,
        e.Status,
        e.EnrolledAt,
        e.UpdatedAt,
        e.EnrolmentCount,
        e.ImportedIdentityId is null ? null : new AutopilotInfo(e.ImportedIdentityId, e.ImportStatus, e.GroupTag),
        e.LastErrorCode is null ? null : new DeviceError(e.LastErrorCode, e.LastErrorMessage ?? "", e.LastErrorAt ?? e.UpdatedAt));
}

public sealed record DevicePage(IReadOnlyList<DeviceRecord> Items, string? ContinuationToken);
