using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Graph;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// Follows the imported identities of every import in flight until Intune has processed them, with documented
/// reads only: one GET per identity, or the whole list page after page, whichever costs fewer requests (a list
/// costs its pages whatever the number of imports). Decides each device by Intune's answer, as
/// learn.microsoft.com/autopilot/add-devices ("Troubleshooting registration failures") and the support article on
/// errors 806 and 808 explain them.
/// </summary>
public sealed class ImportMonitor(
    AutopilotClient autopilot,
    DeviceStore devices,
    DeviceEvents events,
    IOptions<RegistrationOptions> options,
    TimeProvider time,
    ILogger<ImportMonitor> logger)
{
    public const string AlreadyAssigned = "ZtdDeviceAlreadyAssigned";
    public const string AssignedToOtherTenant = "ZtdDeviceAssignedToOtherTenant";
    public const string InvalidHardwareHash = "InvalidZtdHardwareHash";
    public const string Duplicated = "ZtdDeviceDuplicated";
    public const string StorageError = "StorageError";
    public const string TimedOut = "ImportTimedOut";

    private int _listPages = 1;

    /// <summary>The list of every imported identity the last time it was read (for <see cref="ImportPoster.ReconcileAsync"/> too).</summary>
    public async Task<IReadOnlyList<AutopilotImportState>> ListAsync(CancellationToken cancellationToken)
    {
        var listing = await autopilot.ListImportedAsync(cancellationToken);
        _listPages = Math.Max(1, listing.Pages);
        return listing.Items;
    }

    /// <summary>Reads the state of every identity still being processed and settles what Intune has decided.</summary>
    public async Task CheckAsync(IReadOnlyList<AutopilotImport> imports, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var waiting = imports
            .Where(i => i.Stage == ImportStage.Posted && i.PostedAt + options.Value.FirstCheckDelay <= now)
            .SelectMany(i => i.Devices.Where(d => d.AwaitsImportState).Select(d => (Import: i, Device: d)))
            .ToList();
        if (waiting.Count == 0)
        {
            return;
        }

        var states = waiting.Count <= _listPages
            ? await GetEachAsync(waiting.Select(w => w.Device.IdentityId!), cancellationToken)
            : (await ListAsync(cancellationToken)).ToDictionary(s => s.IdentityId, StringComparer.OrdinalIgnoreCase);

        var changed = new List<Device>();
        var resend = new List<(AutopilotImport Import, ImportedDevice Entry)>();
        foreach (var (import, entry) in waiting)
        {
            var state = states.GetValueOrDefault(entry.IdentityId!) ?? AutopilotImportState.MissingFor(entry.IdentityId!);
            switch (await DecideAsync(import, entry, state, cancellationToken))
            {
                case Device device:
                    changed.Add(device);
                    break;
                case Resend:
                    resend.Add((import, entry));
                    break;
            }
        }

        foreach (var group in resend.GroupBy(r => r.Import))
        {
            group.Key.Requeue(group.Select(r => r.Entry).ToList());
        }

        await events.PublishAsync(changed, cancellationToken);
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

    /// <summary>What Intune's answer means for the device: its row when it changed, <see cref="Resend"/>, or null.</summary>
    private async Task<object?> DecideAsync(AutopilotImport import, ImportedDevice entry, AutopilotImportState state, CancellationToken cancellationToken)
    {
        entry.ImportStatus = state.Status;
        entry.ErrorCode = state.ErrorCode;
        entry.ErrorName = state.ErrorName;
        switch (state.Status)
        {
            case AutopilotImportState.Complete:
                entry.Stage = ImportedDeviceStage.Imported;
                return null;
            case AutopilotImportState.Missing:
                // Graph no longer has the identity we were following: send the device again, in a new round.
                entry.IdentitiesToDelete.Remove(entry.IdentityId!);
                return await RequeueOrFailAsync(import, entry, "ImportedIdentityNotFound", "Intune lost the imported identity of this device several times.", cancellationToken);
            case AutopilotImportState.Error:
                return await DecideErrorAsync(import, entry, state, cancellationToken);
            default:
                // unknown, pending or partial: still processing.
                entry.Polls++;
                return entry.Polls > options.Value.MaxPolls
                    ? await FailAsync(import, entry, TimedOut, $"Intune had not processed the import after {entry.Polls} checks.", cancellationToken)
                    : null;
        }
    }

    private async Task<object?> DecideErrorAsync(AutopilotImport import, ImportedDevice entry, AutopilotImportState state, CancellationToken cancellationToken)
    {
        var name = state.ErrorName ?? $"Error{state.ErrorCode}";
        switch (name)
        {
            case AlreadyAssigned:
                // 806: already registered in this tenant (by an earlier import of ours, or by hand): find it in Autopilot.
                entry.AlreadyInTenant = true;
                entry.Stage = ImportedDeviceStage.Imported;
                return null;
            case StorageError:
                return await RequeueOrFailAsync(import, entry, StorageError, "Intune answered StorageError (\"try again later\") on every import of this device.", cancellationToken);
            case Duplicated:
                // The same hash twice in one upload: one of them is processed (memdocs). The planner puts a device in an
                // import once, so the twin is another serial with this device's hash.
                return await FailAsync(import, entry, name,
                    "Another device of the same import was sent with the same hardware hash; only one of them can be registered. Check the hashes.", cancellationToken);
            default:
                return await FailAsync(import, entry, name, Explain(name, state.ErrorCode), cancellationToken);
        }
    }

    /// <summary>What administrators read in the device's lastError, and what to do about it.</summary>
    public static string Explain(string name, int? code) => name switch
    {
        AssignedToOtherTenant => "Error 808: another organisation has this device in its Autopilot. Ask the reseller or that organisation to release it (or Microsoft Support, with proof of ownership), then retry.",
        InvalidHardwareHash => "Error 802: the hardware hash is invalid or incomplete. Run first boot again on the device: it sends a new hash.",
        AlreadyAssigned => "Error 806: Intune says the device is already registered in this tenant, but it could not be found in Autopilot.",
        _ => $"Autopilot import error {code} ({name}).",
    };

    private async Task<object?> RequeueOrFailAsync(AutopilotImport import, ImportedDevice entry, string code, string message, CancellationToken cancellationToken)
    {
        if (entry.Sends < options.Value.MaxImportRounds)
        {
            logger.LogWarning("Device {SerialNumber} of import {ImportId}: {Reason}; sent again in a new round", entry.SerialNumber, import.ImportId, code);
            return Resend.Instance;
        }

        return await FailAsync(import, entry, code, message, cancellationToken);
    }

    /// <summary>The device is to be sent again (collected, then requeued once per import).</summary>
    private sealed class Resend
    {
        public static readonly Resend Instance = new();
    }

    private async Task<Device?> FailAsync(AutopilotImport import, ImportedDevice entry, string code, string message, CancellationToken cancellationToken)
    {
        entry.Stage = ImportedDeviceStage.Done;
        var (device, changed) = await devices.UpdateAsync(entry.Key, d => d.TryFail(entry.Attempt, import.ImportId, entry.IdentityId, code, message, time.GetUtcNow()), cancellationToken);
        if (changed)
        {
            logger.LogWarning("Device {SerialNumber} of {SchoolUai} failed registration: {ErrorCode}", entry.SerialNumber, entry.SchoolUai, code);
        }

        return changed ? device : null;
    }
}
