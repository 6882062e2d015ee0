namespace Sarthe.Enrolment.Devices;

/// <summary>
/// The contract's device record: what administrators read of a device. What is not known is left out, never stood for
/// by a placeholder: a device pre-registered from an Autopilot CSV has no type, make or model until its first boot.
/// </summary>
public sealed record DeviceRecord(
    string SerialNumber,
    string SchoolUai,
    string? DeviceType,
    string? Manufacturer,
    string? Model,
    string? AssetTag,
    DeviceStatus Status,
    DateTimeOffset EnrolledAt,
    DateTimeOffset UpdatedAt,
    int EnrolmentCount,
    DeviceRecord.AutopilotView? Autopilot,
    DeviceError? LastError)
{
    /// <summary>What was invoiced for the device (absent when its serial is not in the purchase inventory).</summary>
    public Inventory.InventoryView? Inventory { get; init; }

    public static DeviceRecord From(Device device) => new(
        device.SerialNumber,
        device.SchoolUai,
        Known(device.DeviceType),
        Known(device.Manufacturer),
        Known(device.Model),
        device.AssetTag,
        device.Status,
        device.EnrolledAt,
        device.UpdatedAt,
        device.EnrolmentCount,
        device.ImportStatus is null && device.AutopilotDeviceId is null ? null : new AutopilotView(
            device.ImportedIdentityId,
            device.ImportStatus,
            device.GroupTag,
            device.AutopilotDeviceId,
            device.Status == DeviceStatus.Registered ? new DeploymentProfileView(device.ProfileStatus, device.ProfileAssignedAt) : null),
        device.LastError);

    private static string? Known(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>The record's <c>autopilot</c> object: the import, and the Autopilot device once visible.</summary>
    public sealed record AutopilotView(string? ImportedIdentityId, string? ImportStatus, string? GroupTag, string? DeviceId, DeploymentProfileView? DeploymentProfile);

    /// <summary>The deployment profile's assignment (unknown, notAssigned, pending, assigned, failed) and when it was assigned.</summary>
    public sealed record DeploymentProfileView(string Status, DateTimeOffset? AssignedAt);
}
