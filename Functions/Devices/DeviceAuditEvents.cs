using System.Text.Json.Nodes;
using Sarthe.Enrolment.Audit;

namespace Sarthe.Enrolment.Devices;

/// <summary>
/// One factory per kind of audit event a device's transition records, so each kind has one shape. Events that
/// describe a state a device row records take their id from what happened (kind, device, attempt) and their time
/// from the row: published again after a failure, they collapse into the same audit entry.
/// </summary>
public static class DeviceAuditEvents
{
    public static AuditEvent DeviceEnrolled(Device device) =>
        ForDeviceState(AuditEventTypes.DeviceEnrolled, AuditActor.Device(device.SerialNumber), device, 1, device.EnrolledAt,
            new JsonObject { ["deviceType"] = device.DeviceType, ["manufacturer"] = device.Manufacturer, ["model"] = device.Model });

    public static AuditEvent DeviceReenrolled(Device device, DateTimeOffset now) =>
        AuditEvents.New(AuditEventTypes.DeviceReenrolled, AuditActor.Device(device.SerialNumber), device.SchoolUai, device.SerialNumber, now,
            new JsonObject { ["enrolmentCount"] = device.EnrolmentCount });

    public static AuditEvent RegistrationStarted(Device device, string importId) =>
        ForDeviceState(AuditEventTypes.DeviceRegistrationStarted, AuditActor.Registration, device, device.Attempt, device.RegisteringAt ?? device.UpdatedAt,
            new JsonObject { ["importId"] = importId, ["attempt"] = device.Attempt });

    public static AuditEvent Registered(Device device) =>
        ForDeviceState(AuditEventTypes.DeviceRegistered, AuditActor.Registration, device, device.Attempt, device.RegisteredAt ?? device.UpdatedAt,
            new JsonObject { ["autopilotDeviceId"] = device.AutopilotDeviceId, ["importedIdentityId"] = device.ImportedIdentityId, ["attempt"] = device.Attempt });

    public static AuditEvent RegistrationFailed(Device device) =>
        ForDeviceState(AuditEventTypes.DeviceRegistrationFailed, AuditActor.Registration, device, device.Attempt, device.FailedAt ?? device.UpdatedAt,
            new JsonObject
            {
                ["code"] = device.LastError?.Code, ["message"] = device.LastError?.Message, ["importedIdentityId"] = device.ImportedIdentityId, ["attempt"] = device.Attempt,
            });

    /// <summary>
    /// When Autopilot says the profile was assigned (in <c>data.assignedAt</c>); the event itself is dated after the
    /// registration it follows (Autopilot may have assigned it before the product saw the device listed), so the
    /// trail reads in the order the product learnt things.
    /// </summary>
    public static AuditEvent ProfileAssigned(Device device)
    {
        var assignedAt = device.ProfileAssignedAt ?? device.UpdatedAt;
        var occurredAt = device.RegisteredAt is { } registered && registered >= assignedAt ? registered.AddMilliseconds(1) : assignedAt;
        return ForDeviceState(AuditEventTypes.DeviceProfileAssigned, AuditActor.Registration, device, device.Attempt, occurredAt,
            new JsonObject { ["autopilotDeviceId"] = device.AutopilotDeviceId, ["assignedAt"] = assignedAt, ["attempt"] = device.Attempt });
    }

    /// <summary>A new attempt, asked by an administrator or by the pipeline re-driving a transient failure.</summary>
    public static AuditEvent RetryRequested(Device device, AuditActor requestedBy) =>
        ForDeviceState(AuditEventTypes.DeviceRetryRequested, requestedBy, device, device.Attempt, device.RetryRequestedAt ?? device.UpdatedAt,
            new JsonObject { ["attempt"] = device.Attempt, ["previousError"] = device.LastError?.Code });

    /// <summary>
    /// A failed device enrolled again with another hardware hash: a new attempt, by the device. Neither hash is written
    /// to the trail (the device row keeps the current one).
    /// </summary>
    public static AuditEvent HashReplaced(Device device, AuditActor? importedBy = null) =>
        ForDeviceState(AuditEventTypes.DeviceHashReplaced, importedBy ?? AuditActor.Device(device.SerialNumber), device, device.Attempt, device.RetryRequestedAt ?? device.UpdatedAt,
            new JsonObject { ["attempt"] = device.Attempt, ["previousError"] = device.LastError?.Code, ["enrolmentCount"] = device.EnrolmentCount });

    /// <summary>
    /// A device pre-registered from a manifest line (it has not booted yet): enrolled by whoever imported the manifest,
    /// with the manifest's id.
    /// </summary>
    public static AuditEvent DevicePreRegistered(Device device, string manifestId, AuditActor importedBy) =>
        ForDeviceState(AuditEventTypes.DeviceEnrolled, importedBy, device, 1, device.EnrolledAt,
            new JsonObject { ["deviceType"] = device.DeviceType, ["manufacturer"] = device.Manufacturer, ["model"] = device.Model, ["manifestId"] = manifestId, ["preRegistered"] = true });

    /// <summary>A first enrolment held by the unknown-device policy: its serial is not in the school's purchase inventory.</summary>
    public static AuditEvent DeviceHeld(Device device) =>
        ForDeviceState(AuditEventTypes.DeviceHeld, AuditActor.Device(device.SerialNumber), device, 1, device.EnrolledAt.AddMilliseconds(1),
            new JsonObject { ["reason"] = "not_in_inventory" });

    public static AuditEvent DeviceApproved(Device device, AuditActor administrator) =>
        ForDeviceState(AuditEventTypes.DeviceApproved, administrator, device, device.Attempt, device.UpdatedAt, new JsonObject { ["attempt"] = device.Attempt });

    /// <summary>An administrator moved a device to another school; filed under the new school, with both in its data.</summary>
    public static AuditEvent DeviceMoved(Device device, string fromUai, string toUai, AuditActor administrator, DateTimeOffset now) =>
        AuditEvents.New(AuditEventTypes.DeviceMoved, administrator, toUai, device.SerialNumber, now,
            new JsonObject { ["from"] = fromUai, ["to"] = toUai, ["status"] = device.Status.ToName() });

    /// <summary>A device removed from Autopilot at an administrator's request (its serial is free again).</summary>
    public static AuditEvent DeviceDeregistered(Device device, AuditActor requestedBy) =>
        AuditEvents.New(AuditEventTypes.DeviceDeregistered, requestedBy, device.SchoolUai, device.SerialNumber, device.DeregisteredAt ?? device.UpdatedAt,
            new JsonObject { ["autopilotDeviceId"] = device.AutopilotDeviceId, ["requestedAt"] = device.DeregistrationRequestedAt });

    /// <summary>A device's own enrolment filled facts its manifest line did not give (type, make, model, asset tag): those fields before and after.</summary>
    public static AuditEvent DeviceDescribed(Device device, JsonObject before, JsonObject after, DateTimeOffset now) =>
        AuditEvents.New(AuditEventTypes.DeviceDescribed, AuditActor.Device(device.SerialNumber), device.SchoolUai, device.SerialNumber, now,
            new JsonObject { ["before"] = before, ["after"] = after });

    /// <summary>Autopilot now shows the school's group tag on a device it held under another (<paramref name="foundTag"/>): the profile follows the school's.</summary>
    public static AuditEvent GroupTagCorrected(Device device, string? foundTag, DateTimeOffset now) =>
        ForDeviceState(AuditEventTypes.DeviceGroupTagCorrected, AuditActor.Registration, device, device.Attempt, now,
            new JsonObject { ["from"] = foundTag, ["to"] = device.SchoolUai, ["autopilotDeviceId"] = device.AutopilotDeviceId });

    private static AuditEvent ForDeviceState(string type, AuditActor actor, Device device, int attempt, DateTimeOffset occurredAt, JsonObject data) =>
        new(AuditEvents.StableId($"{type}|{device.SchoolUai}|{device.SerialNumber}|{attempt}"), occurredAt, type, actor, device.SchoolUai, device.SerialNumber, data);
}
