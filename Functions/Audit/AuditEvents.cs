using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Sarthe.Enrolment.Audit;

/// <summary>
/// One factory per kind of audit event that is not a device's change, so each kind has one shape (a device's are
/// <c>Devices/DeviceAuditEvents</c>, recorded by its transitions).
/// </summary>
public static class AuditEvents
{
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

    public static AuditEvent New(string type, AuditActor actor, string? schoolUai, string? serialNumber, DateTimeOffset now, JsonObject data) =>
        new(Guid.NewGuid(), now, type, actor, schoolUai, serialNumber, data);

    public static Guid StableId(string name) => new(SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, 16));
}
