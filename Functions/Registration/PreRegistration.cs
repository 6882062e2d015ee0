using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Inventory;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// Registration before first boot: the manifest lines that carry a hardware hash become devices of their school,
/// received and in the registration outbox, as a first enrolment would make them (the same serial claim, so a later
/// enrolment at another school is refused; the same pipeline, batched into Autopilot imports under the shared Graph
/// budget). The import request only queues the lines (<see cref="PreRegistrationQueue"/>); the Autopilot sync drains them
/// (<see cref="DrainAsync"/>). Every stored line with a hash is queued, changed or not, and a device is created once,
/// so the same manifest again creates nothing and what a crash left half-done is completed (a claim without its
/// device; a device without its outbox row is driven again by the sweep). A failed device whose line brings another
/// hash starts again with it, as when the device itself sends one (<see cref="Device.TryReplaceHash"/>).
/// </summary>
public sealed class PreRegistration(
    DeviceStore devices,
    DeviceQueries deviceQueries,
    SerialClaims claims,
    InventoryStore inventory,
    PreRegistrationQueue queue,
    RegistrationOutbox outbox,
    TimeProvider time,
    ILogger<PreRegistration> logger)
{
    /// <summary>Lines taken from the queue at once: one range read of devices per school of them, then their writes.</summary>
    public const int BatchSize = 100;

    // Above this many rows in a batch's serial range (inventory, claims, or one school's devices), rows are read one by one.
    private const int MaxRangeRows = 1000;

    // Schools of a batch handled at once, and writes at once within each: 16 in flight, as the importer's own.
    private const int SchoolsAtOnce = 4;
    private const int WritesPerSchool = 4;

    /// <summary>
    /// In the Autopilot sync (one instance at a time): pre-registers queued lines, oldest first, 100 at a time, starting
    /// no batch after <paramref name="budget"/> (the sync's Graph work comes next). Each batch reads its lines'
    /// inventory rows with their hashes (their current school and hash: a line whose row went or lost its hash is
    /// dropped) and their serial claims, one range read each (a manifest's serials run in sequence), so that only the
    /// schools of claimed serials have their devices read. Returns how many devices were created or started again.
    /// </summary>
    public async Task<int> DrainAsync(TimeSpan budget, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var done = 0;
        while (time.GetElapsedTime(started) < budget && !cancellationToken.IsCancellationRequested)
        {
            var pending = await queue.TakeOldestAsync(BatchSize, cancellationToken);
            if (pending.Count == 0)
            {
                break;
            }

            var serials = pending.Select(p => p.SerialNumber).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var rangeRows = inventory.RangeAsync(serials[0], serials[^1], MaxRangeRows, cancellationToken, withHash: true);
            var enrolled = claims.EnrolledSchoolsInRangeAsync(serials[0], serials[^1], MaxRangeRows, cancellationToken);
            var rows = await rangeRows ?? await PointReadsAsync(serials, cancellationToken);
            var claimed = await enrolled;
            foreach (var manifest in pending.Where(p => rows.GetValueOrDefault(p.SerialNumber) is { HardwareHash: not null })
                         .DistinctBy(p => p.SerialNumber).GroupBy(p => (p.ManifestId, p.ImportedBy)))
            {
                done += await RegisterAsync(manifest.Select(p => rows[p.SerialNumber]).Select(row => new PreRegistrationCandidate(row, row.HardwareHash!, claimed?.ContainsKey(row.SerialNumber))).ToList(),
                    manifest.Key.ManifestId, manifest.Key.ImportedBy, cancellationToken);
            }

            await queue.RemoveAsync(pending, cancellationToken);
        }

        return done;
    }

    private async Task<IReadOnlyDictionary<string, InventoryEntity>> PointReadsAsync(IReadOnlyList<string> serials, CancellationToken cancellationToken)
    {
        var rows = new ConcurrentDictionary<string, InventoryEntity>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(serials, Options(SchoolsAtOnce * WritesPerSchool, cancellationToken), async (serial, ct) =>
        {
            if (await inventory.GetAsync(serial, ct, withHash: true) is { } row)
            {
                rows[serial] = row;
            }
        });
        return rows;
    }

    /// <summary>Pre-registers the candidates of one batch; returns how many devices it created or started again.</summary>
    private async Task<int> RegisterAsync(IReadOnlyList<PreRegistrationCandidate> candidates, string manifestId, AuditActor importedBy, CancellationToken cancellationToken)
    {
        var queued = new ConcurrentBag<Device>();
        var replacedHashes = new ConcurrentBag<Device>();
        await Parallel.ForEachAsync(candidates.GroupBy(c => c.Row.SchoolUai, StringComparer.Ordinal), Options(SchoolsAtOnce, cancellationToken), async (school, ct) =>
        {
            var lines = school.ToList();
            var claimed = lines.Where(c => c.Claimed != false).Select(c => c.Row.SerialNumber).ToList();
            var known = claimed.Count == 0
                ? new Dictionary<string, DeviceStatus>()
                : await deviceQueries.StatusesInRangeAsync(school.Key, claimed.Min(StringComparer.Ordinal)!, claimed.Max(StringComparer.Ordinal)!, MaxRangeRows, ct);
            var created = new ConcurrentBag<Device>();
            await Parallel.ForEachAsync(lines, Options(WritesPerSchool, ct), async (line, lineCt) =>
            {
                var key = new DeviceKey(line.Row.SchoolUai, line.Row.SerialNumber);
                var status = known is null ? (await devices.GetAsync(key, lineCt))?.Status : known.TryGetValue(key.SerialNumber, out var s) ? s : null;
                if (status == DeviceStatus.Failed)
                {
                    var (device, replaced) = await devices.UpdateAsync(key, d => d.TryReplaceHash(line.HardwareHash, time.GetUtcNow(), importedBy), lineCt);
                    if (replaced)
                    {
                        replacedHashes.Add(device!);
                    }
                }
                else if (status is null)
                {
                    if (await claims.ClaimAsync(key.SerialNumber, key.SchoolUai, lineCt) != key.SchoolUai)
                    {
                        // Enrolled at another school since the batch was checked: that device keeps its school.
                        logger.LogWarning("Manifest {ManifestId}: serial {SerialNumber} was enrolled at another school meanwhile; not pre-registered at {SchoolUai}",
                            manifestId, key.SerialNumber, key.SchoolUai);
                        return;
                    }

                    var description = new DeviceDescription(line.Row.DeviceType ?? "", line.Row.Manufacturer ?? "", line.Row.Model ?? "", line.HardwareHash, line.Row.AssetTag);
                    created.Add(Device.PreRegister(key, description, manifestId, importedBy, time.GetUtcNow()));
                }
            });

            foreach (var device in await devices.TryAddManyAsync(created.OrderBy(d => d.SerialNumber, StringComparer.Ordinal).ToList(), NewDeviceEvents.WithNextChange, ct))
            {
                queued.Add(device);
            }
        });

        var inLine = queued.Concat(replacedHashes).ToList();
        if (inLine.Count > 0)
        {
            // New devices' events wait in their rows (published when the planner takes them); a replaced hash's were published with it.
            await outbox.AddManyAsync(inLine.Select(DeviceRef.Of), time.GetUtcNow(), cancellationToken);
        }

        return inLine.Count;
    }

    private static ParallelOptions Options(int degree, CancellationToken cancellationToken) => new() { MaxDegreeOfParallelism = degree, CancellationToken = cancellationToken };
}
