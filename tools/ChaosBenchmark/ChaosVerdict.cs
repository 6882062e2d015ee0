using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Sarthe.DevHost;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Trail;

namespace Sarthe.ChaosBenchmark;

/// <summary>What storage and Graph hold at the end of a run, checked device by device.</summary>
public sealed record ChaosOutcome(
    int Devices,
    int Accepted,
    int Registered,
    int Failed,
    IReadOnlyDictionary<string, int> FailedByCode,
    int Lost,
    IReadOnlyList<string> LostExamples,
    int DuplicateImports,
    IReadOnlyList<string> DuplicateExamples,
    int RegisteredWithoutImport,
    long IdentitiesLeft,
    int ImportsLeft,
    int AuditAnomalies,
    IReadOnlyDictionary<string, int> AnomalyKinds,
    IReadOnlyList<string> AnomalyExamples,
    int AuditQueueLeft,
    int PoisonMessages,
    int RowsWithPendingAudit,
    int RowsOfUnacceptedDevices,
    IReadOnlyDictionary<string, TimeSpan> SettledAfterEnrolment);

/// <summary>
/// Checks the end state: every accepted device settled (lost = accepted − settled), imported by Graph at most once,
/// its identities deleted, and its audit trail complete and exactly once: one device.enrolled; per attempt one
/// device.registration_started and one outcome (device.registered or device.registration_failed, matching the row),
/// one device.retry_requested from the second on, device.profile_assigned at most once; each event stored once in the
/// device's partition and the same events in its school's.
/// </summary>
public static class ChaosVerdict
{
    private const int Examples = 10;

    public static async Task<ChaosOutcome> VerifyAsync(PipelineProbe probe, EmulatorProcess emulator, IReadOnlyList<FleetDevice> accepted, int devices, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<string, TableEntity>(StringComparer.OrdinalIgnoreCase);
        await foreach (var row in probe.Tables.GetTableClient(TableNames.Devices).QueryAsync<TableEntity>(maxPerPage: 1000,
                           select: ["PartitionKey", "RowKey", "Status", "Attempt", "LastErrorCode", "PendingAudit", "EnrolledAt", "RegisteredAt", "FailedAt"], cancellationToken: cancellationToken))
        {
            rows[row.RowKey] = row;
        }

        var trails = await ReadTrailsAsync(probe.Tables.GetTableClient(TableNames.AuditEvents), cancellationToken);
        var imports = await emulator.ImportsBySerialAsync(cancellationToken);
        var counters = await emulator.CountersAsync(cancellationToken);

        var acceptedSerials = accepted.Select(d => d.Serial).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var registered = 0;
        var failedByCode = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var lost = new List<string>();
        var registeredWithoutImport = 0;
        var anomalyKinds = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var anomalyExamples = new List<string>();
        var anomalousDevices = 0;
        foreach (var device in accepted)
        {
            var row = rows.GetValueOrDefault(device.Serial);
            var status = row?.GetString("Status");
            switch (status)
            {
                case "registered":
                    registered++;
                    registeredWithoutImport += imports.GetValueOrDefault(device.Serial) == 0 ? 1 : 0;
                    break;
                case "failed":
                    var code = row!.GetString("LastErrorCode") ?? "?";
                    failedByCode[code] = failedByCode.GetValueOrDefault(code) + 1;
                    break;
                default:
                    lost.Add($"{device.Serial} ({status ?? "no row"})");
                    break;
            }

            var problems = TrailProblems(device, row, trails);
            if (problems.Count > 0)
            {
                anomalousDevices++;
                foreach (var problem in problems)
                {
                    anomalyKinds[problem] = anomalyKinds.GetValueOrDefault(problem) + 1;
                }

                if (anomalyExamples.Count < Examples)
                {
                    anomalyExamples.Add($"{device.Serial}: {string.Join("; ", problems)}");
                }
            }
        }

        var poison = await probe.PoisonQueueDepthAsync(cancellationToken);
        if (poison > 0)
        {
            anomalyKinds["audit message poisoned"] = poison;
        }

        var duplicates = imports.Where(i => i.Value > 1).OrderBy(i => i.Key, StringComparer.Ordinal).ToList();
        return new ChaosOutcome(
            devices, accepted.Count, registered, failedByCode.Values.Sum(), failedByCode, lost.Count, lost.Take(Examples).ToList(),
            duplicates.Count, duplicates.Take(Examples).Select(d => $"{d.Key} imported {d.Value} times").ToList(), registeredWithoutImport,
            counters.ImportedIdentitiesStored, await probe.ImportsInFlightAsync(cancellationToken),
            anomalousDevices + poison, anomalyKinds, anomalyExamples,
            await probe.AuditQueueDepthAsync(cancellationToken), poison, await probe.RowsWithPendingAuditAsync(cancellationToken),
            rows.Keys.Count(serial => !acceptedSerials.Contains(serial)),
            rows.Values.Where(r => r.GetDateTimeOffset("EnrolledAt") is not null && (r.GetDateTimeOffset("RegisteredAt") ?? r.GetDateTimeOffset("FailedAt")) is not null)
                .ToDictionary(r => r.RowKey, r => (r.GetDateTimeOffset("RegisteredAt") ?? r.GetDateTimeOffset("FailedAt"))!.Value - r.GetDateTimeOffset("EnrolledAt")!.Value, StringComparer.OrdinalIgnoreCase));
    }

    private sealed record Entry(Guid EventId, string Type, int? Attempt);

    /// <summary>Every audit entry by partition (device|serial, school|uai, ...), with the serial it names.</summary>
    private static async Task<Dictionary<string, List<(Entry Entry, string? Serial)>>> ReadTrailsAsync(TableClient audit, CancellationToken cancellationToken)
    {
        var partitions = new Dictionary<string, List<(Entry, string?)>>(StringComparer.OrdinalIgnoreCase);
        await foreach (var entity in audit.QueryAsync<TableEntity>(maxPerPage: 1000, select: ["PartitionKey", "EventId", "Type", "SerialNumber", "Data"], cancellationToken: cancellationToken))
        {
            int? attempt = null;
            if (entity.GetString("Data") is { } data && JsonNode.Parse(data) is JsonObject json && json["attempt"] is JsonValue value && value.TryGetValue<int>(out var n))
            {
                attempt = n;
            }

            if (!partitions.TryGetValue(entity.PartitionKey, out var entries))
            {
                partitions[entity.PartitionKey] = entries = [];
            }

            entries.Add((new Entry(entity.GetGuid("EventId") ?? Guid.Empty, entity.GetString("Type") ?? "", attempt), entity.GetString("SerialNumber")));
        }

        return partitions;
    }

    /// <summary>What is missing or doubled in one device's trail (empty when the trail is right).</summary>
    private static List<string> TrailProblems(FleetDevice device, TableEntity? row, Dictionary<string, List<(Entry Entry, string? Serial)>> trails)
    {
        var problems = new List<string>();
        var entries = trails.GetValueOrDefault(AuditTrail.DevicePartition(device.Serial))?.Select(e => e.Entry).ToList() ?? [];
        if (entries.GroupBy(e => e.EventId).Any(g => g.Count() > 1))
        {
            problems.Add("an event stored twice in the device's trail");
        }

        var events = entries.DistinctBy(e => e.EventId).ToList();
        var schoolCopy = trails.GetValueOrDefault(AuditTrail.SchoolPartition(device.SchoolUai))?
            .Where(e => string.Equals(e.Serial, device.Serial, StringComparison.OrdinalIgnoreCase)).Select(e => e.Entry.EventId).ToHashSet() ?? [];
        if (!schoolCopy.SetEquals(events.Select(e => e.EventId)))
        {
            problems.Add("the school's trail differs from the device's");
        }

        Expect(problems, events.Count(e => e.Type == AuditEventTypes.DeviceEnrolled), 1, "device.enrolled");
        var attempts = row?.GetInt32("Attempt") ?? 1;
        var status = row?.GetString("Status");
        var settled = status is "registered" or "failed";
        foreach (var attempt in Enumerable.Range(1, attempts))
        {
            int Count(params string[] types) => events.Count(e => e.Attempt == attempt && types.Contains(e.Type));
            var last = attempt == attempts;
            if (!last || status != "received")
            {
                Expect(problems, Count(AuditEventTypes.DeviceRegistrationStarted), 1, $"device.registration_started (attempt {attempt})");
            }

            if (!last || settled)
            {
                Expect(problems, Count(AuditEventTypes.DeviceRegistered, AuditEventTypes.DeviceRegistrationFailed), 1, $"outcome (attempt {attempt})");
            }

            if (last && settled && Count(status == "registered" ? AuditEventTypes.DeviceRegistered : AuditEventTypes.DeviceRegistrationFailed) != 1)
            {
                problems.Add($"no outcome event matching the row's status {status}");
            }

            if (attempt > 1)
            {
                Expect(problems, Count(AuditEventTypes.DeviceRetryRequested), 1, $"device.retry_requested (attempt {attempt})");
            }

            if (Count(AuditEventTypes.DeviceProfileAssigned) > 1)
            {
                problems.Add($"device.profile_assigned (attempt {attempt}) ×{Count(AuditEventTypes.DeviceProfileAssigned)}");
            }
        }

        var stray = events.Count(e => e.Type is AuditEventTypes.DeviceRegistrationStarted or AuditEventTypes.DeviceRegistered or AuditEventTypes.DeviceRegistrationFailed
                                      && (e.Attempt is null || e.Attempt > attempts));
        if (stray > 0)
        {
            problems.Add("pipeline events of an attempt the device never had");
        }

        return problems;
    }

    private static void Expect(List<string> problems, int count, int expected, string what)
    {
        if (count != expected)
        {
            problems.Add(count == 0 ? $"{what} missing" : $"{what} ×{count}");
        }
    }
}
