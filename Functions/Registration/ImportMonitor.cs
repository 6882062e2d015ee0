using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Graph;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// Follows the imported identities of every import in flight until Intune has processed them, with documented
/// reads only: one GET per identity, or the whole list page after page, whichever costs fewer requests (a list
/// costs its pages whatever the number of imports). What each answer means is <see cref="ImportDecisions"/>'; this
/// class reads and carries the decisions out.
/// </summary>
public sealed class ImportMonitor(
    AutopilotClient autopilot,
    DeviceStore devices,
    IOptions<RegistrationOptions> options,
    TimeProvider time,
    ILogger<ImportMonitor> logger)
{
    private int _listPages = 1;

    /// <summary>The list of every imported identity (for <see cref="ImportPoster.ReconcileAsync"/> too).</summary>
    public async Task<IReadOnlyList<AutopilotImportState>> ListAsync(CancellationToken cancellationToken)
    {
        var listing = await autopilot.ListImportedAsync(cancellationToken);
        _listPages = Math.Max(1, listing.Pages);
        return listing.Items;
    }

    /// <summary>Reads the state of every identity still being processed and carries out what Intune decided.</summary>
    public async Task CheckAsync(IReadOnlyList<AutopilotImport> imports, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var waiting = imports
            .Where(i => i.Stage != ImportStage.Posting && i.PostedAt + settings.FirstCheckDelay <= now)
            .SelectMany(i => i.Devices.Where(d => d.AwaitsImportState).Select(d => (Import: i, Entry: d)))
            .ToList();
        if (waiting.Count == 0)
        {
            return;
        }

        var states = waiting.Count <= _listPages
            ? await GetEachAsync(waiting.Select(w => w.Entry.IdentityId!), cancellationToken)
            : (await ListAsync(cancellationToken)).ToDictionary(s => s.IdentityId, StringComparer.OrdinalIgnoreCase);

        var failures = new List<(AutopilotImport Import, ImportedDevice Entry, ImportDecision.Fail Fail)>();
        var resend = new List<(AutopilotImport Import, ImportedDevice Entry)>();
        foreach (var (import, entry) in waiting)
        {
            var state = states.GetValueOrDefault(entry.IdentityId!) ?? AutopilotImportState.MissingFor(entry.IdentityId!);
            var decision = ImportDecisions.OnImportState(entry, state, settings);
            entry.RecordState(state);
            entry.Apply(decision);
            switch (decision)
            {
                case ImportDecision.Resend resent:
                    logger.LogWarning("Device {SerialNumber} of import {ImportId}: {Reason}; sent again in a new round", entry.SerialNumber, import.ImportId, resent.Reason);
                    resend.Add((import, entry));
                    break;
                case ImportDecision.Fail fail:
                    failures.Add((import, entry, fail));
                    break;
            }
        }

        foreach (var group in resend.GroupBy(r => r.Import))
        {
            group.Key.Requeue(group.Select(r => r.Entry).ToList());
        }

        var updates = await devices.UpdateManyAsync(failures.Select(f => new DeviceChange(f.Entry.Key,
            d => d.TryFail(f.Entry.Attempt, f.Import.ImportId, f.Entry.IdentityId, f.Fail.Code, f.Fail.Message, time.GetUtcNow()))).ToList(), cancellationToken);
        foreach (var (failure, update) in failures.Zip(updates).Where(p => p.Second.Changed))
        {
            logger.LogWarning("Device {SerialNumber} of {SchoolUai} failed registration: {ErrorCode}", failure.Entry.SerialNumber, failure.Entry.SchoolUai, failure.Fail.Code);
        }
    }

    private async Task<Dictionary<string, AutopilotImportState>> GetEachAsync(IEnumerable<string> identityIds, CancellationToken cancellationToken)
    {
        var states = new Dictionary<string, AutopilotImportState>(StringComparer.OrdinalIgnoreCase);
        foreach (var id in identityIds)
        {
            states[id] = await autopilot.GetImportedAsync(id, cancellationToken);
        }

        return states;
    }
}
