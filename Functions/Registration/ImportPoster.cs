using Microsoft.Extensions.Logging;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Graph;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// Sends an import to Graph, write-ahead: the import is marked <see cref="ImportStage.Posting"/> (durably) before
/// the POST and <see cref="ImportStage.Posted"/> with the identities Graph answered after it. An import found
/// Posting was cut short (a crash, a lost answer): the documented list of imported identities, matched on its
/// Graph importId, tells whether Graph has it, and only what Graph does not have is sent again.
/// </summary>
public sealed class ImportPoster(ImportStore imports, DeviceStore devices, AutopilotClient autopilot, TimeProvider time, ILogger<ImportPoster> logger)
{
    /// <summary>Sends the import's queued devices (one Graph write). Throws what Graph throws; the import stays Posting then.</summary>
    public async Task PostAsync(AutopilotImport import, CancellationToken cancellationToken)
    {
        var queued = import.Queued.ToList();
        var rows = await devices.ResolveManyAsync(queued.Select(e => e.Key).ToList(), cancellationToken);
        var items = new List<(ImportedDevice Entry, AutopilotImportItem Item)>();
        foreach (var (entry, row) in queued.Zip(rows))
        {
            if (ImportDecisions.Belongs(row, import, entry))
            {
                items.Add((entry, new AutopilotImportItem(row!.SerialNumber, row.HardwareHash, row.SchoolUai)));
            }
            else
            {
                entry.Release(); // retried, removed or moved on meanwhile: not this import's any more
            }
        }

        if (!import.TryStartPosting())
        {
            import.TryFinishSending();
            await imports.SaveAsync(import, cancellationToken);
            return;
        }

        await imports.SaveAsync(import, cancellationToken);
        using var span = EnrolmentTelemetry.Source.StartActivity("post import")?
            .SetTag("enrolment.import_id", import.ImportId).SetTag("enrolment.import_round", import.Round).SetTag("enrolment.devices", items.Count);
        var ids = await autopilot.ImportAsync(items.Select(i => i.Item).ToList(), import.GraphImportId, cancellationToken);
        import.RecordPosted(items.Select((item, index) => (item.Entry, ids[index])).ToList(), time.GetUtcNow());
        await imports.SaveAsync(import, cancellationToken);
        logger.LogInformation("Import {ImportId} round {Round} sent: {DeviceCount} devices", import.ImportId, import.Round, items.Count);
    }

    /// <summary>
    /// An import left Posting: adopts the identities Graph holds for its current round (matched on importId and
    /// serial number in <paramref name="imported"/>, the list of every imported identity), and queues the rest to
    /// be sent again.
    /// </summary>
    public async Task ReconcileAsync(AutopilotImport import, IReadOnlyList<AutopilotImportState> imported, CancellationToken cancellationToken)
    {
        var ours = imported.Where(s => string.Equals(s.ImportId, import.GraphImportId, StringComparison.Ordinal))
            .ToLookup(s => s.SerialNumber ?? "", StringComparer.OrdinalIgnoreCase);
        var found = import.Queued
            .Select(entry => (Entry: entry, Identity: ours[entry.SerialNumber].FirstOrDefault()))
            .Where(f => f.Identity is not null)
            .Select(f => (f.Entry, f.Identity!.IdentityId))
            .ToList();

        // Identities Graph holds for this round beyond the first of each serial are ours too, and are deleted.
        foreach (var extra in ours.SelectMany(g => g.Skip(1)))
        {
            import.DeviceOfSerial(extra.SerialNumber)?.RecordExtraIdentity(extra.IdentityId);
        }

        if (found.Count > 0)
        {
            import.RecordPosted(found, time.GetUtcNow());
        }

        // What Graph does not have is sent again, in a new round, so that a late answer of the lost POST cannot be mistaken for it.
        import.Requeue(import.Queued.ToList());
        import.TryFinishSending();
        logger.LogWarning("Import {ImportId} was cut short while being sent: Graph had {Found} of its identities; {Resent} to send again",
            import.ImportId, found.Count, import.Queued.Count());
        await imports.SaveAsync(import, cancellationToken);
    }
}
