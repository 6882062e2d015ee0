using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Retention;

namespace Sarthe.Enrolment.Audit;

/// <summary>
/// One factory per kind of audit event, so each kind has one shape. Events that describe a state a device row
/// records take their id from what happened (kind, device, attempt) and their time from the row: published
/// again after a failure, they collapse into the same audit entry.
/// </summary>
public static class AuditEvents
{
    public static AuditEvent DeviceEnrolled(Device device) =>
        ForDeviceState(AuditEventTypes.DeviceEnrolled, AuditActor.Device(device.SerialNumber), device, 1, device.EnrolledAt,
            new JsonObject { ["deviceType"] = device.DeviceType, ["manufacturer"] = device.Manufacturer, ["model"] = device.Model });

    public static AuditEvent DeviceReenrolled(Device device, DateTimeOffset now) =>
        New(AuditEventTypes.DeviceReenrolled, AuditActor.Device(device.SerialNumber), device.SchoolUai, device.SerialNumber, now,
            new JsonObject { ["enrolmentCount"] = device.EnrolmentCount });

    /// <summary>A refused enrolment: who (school, serial when known), the HTTP status and a reason code; never the body.</summary>
    public static AuditEvent EnrolmentRejected(string schoolUai, string? serialNumber, int status, string reason, IEnumerable<string>? fields, DateTimeOffset now)
    {
        var data = new JsonObject { ["status"] = status, ["reason"] = reason };
        if (fields is not null)
        {
            data["fields"] = new JsonArray(fields.Select(f => (JsonNode?)f).ToArray());
        }

        return New(AuditEventTypes.DeviceEnrolmentRejected, AuditActor.Device(serialNumber ?? "unauthenticated"), schoolUai, serialNumber, now, data);
    }

    /// <summary>
    /// Unauthenticated attempts refused for one school, reason and minute: one entry per school, reason and minute (its
    /// id and time derive from them), to which the trail adds each count it receives once (<paramref name="flushId"/>).
    /// </summary>
    public static AuditEvent EnrolmentRejectedTally(string schoolUai, string reason, int status, DateTimeOffset minute, int attempts, Guid flushId) =>
        new(StableId($"{AuditEventTypes.DeviceEnrolmentRejected}|{schoolUai}|{reason}|{minute.UtcTicks}"), minute, AuditEventTypes.DeviceEnrolmentRejected,
            AuditActor.Device("unauthenticated"), schoolUai, null,
            new JsonObject { ["status"] = status, ["reason"] = reason, ["attempts"] = attempts, [TallyFlushProperty] = flushId.ToString("N") });

    /// <summary>The member of a tally's data that names its flush: the trail keeps it out of the entry's data.</summary>
    public const string TallyFlushProperty = "flushId";

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

    /// <summary>The key itself never reaches the audit trail, only its id.</summary>
    public static AuditEvent SchoolKeyRotated(string schoolUai, string keyId, DateTimeOffset? previousKeyValidUntil, AuditActor administrator, DateTimeOffset now) =>
        New(AuditEventTypes.SchoolKeyRotated, administrator, schoolUai, null, now,
            new JsonObject { ["keyId"] = keyId, ["previousKeyValidUntil"] = previousKeyValidUntil });

    public static AuditEvent FundingReportBuilt(string reportDate, int devicesRegistered, decimal erdfAmountEur, AuditActor actor, DateTimeOffset now) =>
        New(AuditEventTypes.ReportFundingBuilt, actor, null, null, now,
            new JsonObject { ["reportDate"] = reportDate, ["devicesRegistered"] = devicesRegistered, ["erdfAmountEur"] = erdfAmountEur });

    /// <summary>A manifest import and what it did (the rows it added are in the inventory, named by the manifest id; the devices it pre-registered or started again).</summary>
    public static AuditEvent InventoryManifestImported(string manifestId, string name, string format, int rows, int accepted, int updated, int unchanged, int rejected, int preRegistered, AuditActor administrator, DateTimeOffset now) =>
        New(AuditEventTypes.InventoryManifestImported, administrator, null, null, now, new JsonObject
        {
            ["manifestId"] = manifestId, ["name"] = name, ["format"] = format, ["rows"] = rows, ["accepted"] = accepted,
            ["updated"] = updated, ["unchanged"] = unchanged, ["rejected"] = rejected, ["preRegistered"] = preRegistered,
        });

    /// <summary>A serial's purchase data changed by a manifest line: the changed fields before and after (a hash by its digest).</summary>
    public static AuditEvent InventoryUpdated(string schoolUai, string serialNumber, string manifestId, int line, JsonObject before, JsonObject after, AuditActor administrator, DateTimeOffset now) =>
        New(AuditEventTypes.InventoryUpdated, administrator, schoolUai, serialNumber, now,
            new JsonObject { ["manifestId"] = manifestId, ["line"] = line, ["before"] = before, ["after"] = after });

    /// <summary>An administrator moved a device to another school; filed under the new school, with both in its data.</summary>
    public static AuditEvent DeviceMoved(Device device, string fromUai, string toUai, AuditActor administrator, DateTimeOffset now) =>
        New(AuditEventTypes.DeviceMoved, administrator, toUai, device.SerialNumber, now,
            new JsonObject { ["from"] = fromUai, ["to"] = toUai, ["status"] = device.Status.ToName() });

    /// <summary>A device removed from Autopilot at an administrator's request (its serial is free again).</summary>
    public static AuditEvent DeviceDeregistered(Device device, AuditActor requestedBy) =>
        New(AuditEventTypes.DeviceDeregistered, requestedBy, device.SchoolUai, device.SerialNumber, device.DeregisteredAt ?? device.UpdatedAt,
            new JsonObject { ["autopilotDeviceId"] = device.AutopilotDeviceId, ["requestedAt"] = device.DeregistrationRequestedAt });

    /// <summary>
    /// One retention purge run: the rows it deleted per category, the rule of each and the closing date it knew (null:
    /// unset, so no <c>closing+</c> rule deleted anything). Of the programme (neither school nor device).
    /// </summary>
    public static AuditEvent RetentionPurged(RetentionRun run)
    {
        var deleted = new JsonObject();
        var rules = new JsonObject();
        foreach (var (category, rule) in run.Rules)
        {
            deleted[category] = run.Deleted.TryGetValue(category, out var count) ? count : 0;
            rules[category] = rule.ToString();
        }

        return New(AuditEventTypes.RetentionPurged, AuditActor.Retention, null, null, run.RanAt, new JsonObject
        {
            ["deleted"] = deleted, ["releasedClaims"] = run.ReleasedClaims, ["rules"] = rules,
            ["programmeClosingDate"] = run.ProgrammeClosingDate?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    private static AuditEvent New(string type, AuditActor actor, string? schoolUai, string? serialNumber, DateTimeOffset now, JsonObject data) =>
        new(Guid.NewGuid(), now, type, actor, schoolUai, serialNumber, data);

    private static AuditEvent ForDeviceState(string type, AuditActor actor, Device device, int attempt, DateTimeOffset occurredAt, JsonObject data) =>
        new(StableId($"{type}|{device.SchoolUai}|{device.SerialNumber}|{attempt}"), occurredAt, type, actor, device.SchoolUai, device.SerialNumber, data);

    private static Guid StableId(string name) => new(SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, 16));
}
