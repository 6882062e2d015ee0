namespace Sarthe.Enrolment.Devices;

/// <summary>The contract's device record: what administrators read of a device.</summary>
public sealed record DeviceRecord(
    string SerialNumber,
    string SchoolUai,
    string DeviceType,
    string Manufacturer,
    string Model,
    string? AssetTag,
    DeviceStatus Status,
    DateTimeOffset EnrolledAt,
    DateTimeOffset UpdatedAt,
    int EnrolmentCount,
    DeviceRecord.AutopilotView? Autopilot,
    DeviceError? LastError)
{
    public static DeviceRecord From(Device device) => new(
        device.SerialNumber,
        device.SchoolUai,
        device.DeviceType,
        device.Manufacturer,
        device.Model,
        device.AssetTag,
        device.Status,
        device.EnrolledAt,
        device.UpdatedAt,
        device.EnrolmentCount,
        device.ImportedIdentityId is null ? null : new AutopilotView(device.ImportedIdentityId, device.ImportStatus, device.GroupTag),
        device.LastError);

    /// <summary>The record's <c>autopilot</c> object.</summary>
    public sealed record AutopilotView(string? ImportedIdentityId, string? ImportStatus, string? GroupTag);
}
