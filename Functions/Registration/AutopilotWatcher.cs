using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Graph;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// Follows imported devices until they are visible in Autopilot (listed by windowsAutopilotDeviceIdentities: only
/// then are they registered), then their deployment profile until it is assigned (Graph beta), as Microsoft's
/// Get-WindowsAutopilotInfo -Online -Assign waits for both before a device restarts into OOBE. Devices are looked up
/// one by one with <c>contains(serialNumber,…)</c> while that costs fewer requests than listing every device page
/// after page (and a serial with a hyphen, which the filter cannot find, is always found by listing).
/// </summary>
public sealed class AutopilotWatcher(
    AutopilotClient autopilot,
    DeviceStore devices,
    DeviceEvents events,
    IOptions<RegistrationOptions> options,
    IOptions<GraphOptions> graphOptions,
    TimeProvider time,
    ILogger<AutopilotWatcher> logger)
{
    public const string NotVisible = "NotVisibleInAutopilot";

    private int _listPages = 1;

    public async Task CheckAsync(IReadOnlyList<AutopilotImport> imports, CancellationToken cancellationToken)
    {
        var waiting = imports.SelectMany(i => i.Devices.Where(d => d.AwaitsAutopilot).Select(d => (Import: i, Device: d))).ToList();
        if (waiting.Count == 0)
        {
            return;
        }

        var found = await FindAsync(waiting.Select(w => w.Device.SerialNumber).ToList(), cancellationToken);
        var changed = await DeviceWrites.RunAsync(waiting, (w, ct) => w.Device.Stage == ImportedDeviceStage.Imported
            ? SeenImportedAsync(w.Import, w.Device, found.GetValueOrDefault(w.Device.SerialNumber), ct)
            : SeenRegisteredAsync(w.Device, found.GetValueOrDefault(w.Device.SerialNumber), ct), cancellationToken);
        await events.PublishAsync(changed, cancellationToken);
    }

    private async Task<Dictionary<string, AutopilotDevice>> FindAsync(IReadOnlyList<string> serials, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, AutopilotDevice>(StringComparer.OrdinalIgnoreCase);
        if (serials.Count <= _listPages && serials.All(AutopilotClient.CanFilterBySerial))
        {
            foreach (var serial in serials)
            {
                if (await autopilot.FindDeviceAsync(serial, cancellationToken) is { } device)
                {
                    found[serial] = device;
                }
            }

            return found;
        }

        var listing = await autopilot.ListDevicesAsync(cancellationToken);
        _listPages = Math.Max(1, listing.Pages);
        foreach (var device in listing.Items)
        {
            found.TryAdd(device.SerialNumber, device);
        }

        return found;
    }

    /// <summary>An imported device: registered once Autopilot lists it; failed if it never does.</summary>
    private async Task<Device?> SeenImportedAsync(AutopilotImport import, ImportedDevice entry, AutopilotDevice? seen, CancellationToken cancellationToken)
    {
        if (seen is null)
        {
            entry.Scans++;
            if (entry.Scans <= options.Value.MaxVisibilityScans)
            {
                return null;
            }

            entry.Stage = ImportedDeviceStage.Done;
            var (code, message) = entry.AlreadyInTenant
                ? (ImportMonitor.AlreadyAssigned, ImportMonitor.Explain(ImportMonitor.AlreadyAssigned, entry.ErrorCode))
                : (NotVisible, $"The import completed but the device was not listed in Autopilot after {entry.Scans} checks.");
            var (failed, changedToFailed) = await devices.UpdateAsync(entry.Key,
                d => d.TryFail(entry.Attempt, import.ImportId, entry.IdentityId, code, message, time.GetUtcNow()), cancellationToken);
            return changedToFailed ? failed : null;
        }

        entry.AutopilotDeviceId = seen.Id;
        entry.Scans = 0;
        entry.Stage = graphOptions.Value.ReadProfileStatus ? ImportedDeviceStage.Registered : ImportedDeviceStage.Done;
        var profile = DeploymentProfileStatus.FromGraph(seen.ProfileAssignmentStatus);
        var now = time.GetUtcNow();
        var (device, changed) = await devices.UpdateAsync(entry.Key,
            d => d.TryMarkRegistered(entry.Attempt, import.ImportId, entry.IdentityId!, seen.Id, now)
                 | (graphOptions.Value.ReadProfileStatus && d.TryRecordProfile(entry.Attempt, profile, seen.ProfileAssignedAt, now)),
            cancellationToken);
        if (graphOptions.Value.ReadProfileStatus && DeploymentProfileStatus.IsFinal(profile))
        {
            entry.Stage = ImportedDeviceStage.Done;
        }

        if (changed)
        {
            logger.LogInformation("Device {SerialNumber} of {SchoolUai} is registered in Autopilot", entry.SerialNumber, entry.SchoolUai);
        }

        return changed ? device : null;
    }

    /// <summary>A registered device: its profile, until assigned (or failed), or until it is no longer worth asking.</summary>
    private async Task<Device?> SeenRegisteredAsync(ImportedDevice entry, AutopilotDevice? seen, CancellationToken cancellationToken)
    {
        var profile = DeploymentProfileStatus.FromGraph(seen?.ProfileAssignmentStatus);
        entry.Scans++;
        if (DeploymentProfileStatus.IsFinal(profile) || entry.Scans > options.Value.MaxProfileScans)
        {
            entry.Stage = ImportedDeviceStage.Done;
        }

        if (seen is null)
        {
            return null;
        }

        var (device, changed) = await devices.UpdateAsync(entry.Key, d => d.TryRecordProfile(entry.Attempt, profile, seen.ProfileAssignedAt, time.GetUtcNow()), cancellationToken);
        return changed ? device : null;
    }
}
