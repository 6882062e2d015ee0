using Microsoft.Extensions.Logging;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Registration;

namespace Sarthe.Enrolment.Inventory;

/// <summary>A stored manifest line that carries a hardware hash: its inventory row as stored, and the line's hash.</summary>
public sealed record PreRegistrationCandidate(InventoryEntity Row, string HardwareHash);

/// <summary>
/// Registration before first boot: the manifest lines of a batch that carry a hardware hash become devices of their
/// school, received and in the registration outbox, as a first enrolment would make them (the same serial claim, so a
/// later enrolment at another school is refused; the same pipeline, batched into Autopilot imports under the shared
/// Graph budget). Run by the importer after each batch is stored, for every stored line with a hash, changed or not:
/// a device is created once (the batch's devices are read first, one range read per school), so the same manifest
/// again creates nothing, and completes what a crash left half-done (a claim without its device; a device without its
/// outbox row is driven again by the sweep). A failed device whose line brings another hash starts again with it, as
/// when the device itself sends one (<see cref="Device.TryReplaceHash"/>).
/// </summary>
public sealed class PreRegistration(DeviceStore devices, RegistrationOutbox outbox, DeviceEvents events, TimeProvider time, ILogger<PreRegistration> logger)
{
    // Above this many devices in a batch's serial range of one school, its devices are read one by one.
    private const int MaxRangeRows = 1000;
    private const int Concurrency = 16;

    /// <summary>Pre-registers the candidates of one batch; returns how many devices it created or started again.</summary>
    public async Task<int> RegisterAsync(IReadOnlyList<PreRegistrationCandidate> candidates, string manifestId, AuditActor importedBy, CancellationToken cancellationToken)
    {
        var queued = new List<Device>();
        var replacedHashes = new List<Device>();
        foreach (var school in candidates.GroupBy(c => c.Row.SchoolUai, StringComparer.Ordinal))
        {
            var lines = school.ToList();
            var known = await devices.StatusesInRangeAsync(school.Key, lines.Select(c => c.Row.SerialNumber).Min(StringComparer.Ordinal)!,
                lines.Select(c => c.Row.SerialNumber).Max(StringComparer.Ordinal)!, MaxRangeRows, cancellationToken);
            var created = new List<Device>();
            await Parallel.ForEachAsync(lines, new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken }, async (line, ct) =>
            {
                var key = new DeviceKey(line.Row.SchoolUai, line.Row.SerialNumber);
                var status = known is null ? (await devices.GetAsync(key, ct))?.Status : known.TryGetValue(key.SerialNumber, out var s) ? s : null;
                if (status == DeviceStatus.Failed)
                {
                    var (device, replaced) = await devices.UpdateAsync(key, d => d.TryReplaceHash(line.HardwareHash, time.GetUtcNow(), importedBy), ct);
                    if (replaced)
                    {
                        lock (replacedHashes)
                        {
                            replacedHashes.Add(device!);
                        }
                    }
                }
                else if (status is null)
                {
                    if (await devices.ClaimSerialAsync(key.SerialNumber, key.SchoolUai, ct) != key.SchoolUai)
                    {
                        // Enrolled at another school since the batch was checked: that device keeps its school.
                        logger.LogWarning("Manifest {ManifestId}: serial {SerialNumber} was enrolled at another school meanwhile; not pre-registered at {SchoolUai}",
                            manifestId, key.SerialNumber, key.SchoolUai);
                        return;
                    }

                    var description = new DeviceDescription(line.Row.DeviceType ?? "", line.Row.Manufacturer ?? "", line.Row.Model ?? "", line.HardwareHash, line.Row.AssetTag);
                    lock (created)
                    {
                        created.Add(Device.PreRegister(key, description, manifestId, importedBy, time.GetUtcNow()));
                    }
                }
            });

            queued.AddRange(await devices.TryAddManyAsync(created, cancellationToken));
        }

        queued.AddRange(replacedHashes);
        if (queued.Count > 0)
        {
            // New devices' events wait in their rows (published when the planner takes them); a replaced hash's now.
            await outbox.AddManyAsync(queued.Select(DeviceRef.Of), time.GetUtcNow(), cancellationToken);
            await events.PublishAsync(replacedHashes, cancellationToken);
        }

        return queued.Count;
    }
}
