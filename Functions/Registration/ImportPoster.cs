using Microsoft.Extensions.Logging;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;
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
    /// <summary>
    /// Sends the import's queued devices (one Graph write). False when Graph refused the POST whole (the devices split, or
    /// the one left failed). Throws what else Graph throws; the import stays Posting then.
    /// </summary>
    public async Task<bool> PostAsync(AutopilotImport import, CancellationToken cancellationToken)
    {
        var queued = import.NextToSend;
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

        if (items.Count == 0 || !import.TryStartPosting())
        {
            import.TryFinishSending(); // nothing of this part is the import's any more (another part, if any, goes next)
            await imports.SaveAsync(import, cancellationToken);
            return true;
        }

        await imports.SaveAsync(import, cancellationToken);
        using var span = EnrolmentTelemetry.Source.StartActivity("post import")?
            .SetTag("enrolment.import_id", import.ImportId).SetTag("enrolment.import_round", import.Round).SetTag("enrolment.devices", items.Count);
        IReadOnlyList<string> ids;
        try
        {
            ids = await autopilot.ImportAsync(items.Select(i => i.Item).ToList(), import.GraphImportId, cancellationToken);
        }
        catch (ApiException ex) when (ImportDecisions.IsRefusedRequest(ex))
        {
            await RefusedAsync(import, items.Select(i => i.Entry).ToList(), ex, cancellationToken);
            return false;
        }

        import.RecordPosted(items.Select((item, index) => (item.Entry, ids[index])).ToList(), time.GetUtcNow());
        await imports.SaveAsync(import, cancellationToken);
        logger.LogInformation("Import {ImportId} round {Round} sent: {DeviceCount} devices", import.ImportId, import.Round, items.Count);
        return true;
    }

    /// <summary>
    /// Graph refused the POST whole (nothing stored): the devices are split and sent apart, or the one left fails with
    /// Graph's message; the other imports and the sync's other steps go on.
    /// </summary>
    private async Task RefusedAsync(AutopilotImport import, IReadOnlyList<ImportedDevice> sent, ApiException refusal, CancellationToken cancellationToken)
    {
        var message = refusal is ODataError { Error.Message: { } graphMessage } ? graphMessage : refusal.Message;
        var decision = ImportDecisions.OnPostRefused(sent.Count, message);
        import.RecordRefused(sent, decision);
        await imports.SaveAsync(import, cancellationToken);
        logger.LogWarning("Graph refused import {ImportId} round {Round} of {DeviceCount} devices ({Status}): {Outcome}",
            import.ImportId, import.Round, sent.Count, refusal.ResponseStatusCode, decision is ImportDecision.Fail ? "the device fails" : "split in two, sent apart");
        if (decision is ImportDecision.Fail fail)
        {
            var entry = sent[0];
            await devices.UpdateAsync(entry.Key, d => d.TryFail(entry.Attempt, import.ImportId, null, fail.Code, fail.Message, time.GetUtcNow()), cancellationToken);
        }
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

        // What Graph does not have is sent again, in a new round, so that a late answer of the lost POST cannot be mistaken for it.
        if (found.Count > 0)
        {
            import.RecordPosted(found, time.GetUtcNow());
        }
        else
        {
            import.Requeue(import.Queued.ToList());
        }

        import.TryFinishSending();
        logger.LogWarning("Import {ImportId} was cut short while being sent: Graph had {Found} of its identities; {Resent} to send again",
            import.ImportId, found.Count, import.Queued.Count());
        await imports.SaveAsync(import, cancellationToken);
    }
}
