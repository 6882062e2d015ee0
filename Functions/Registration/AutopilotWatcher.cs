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
/// after page (and a serial with a hyphen, which the filter cannot find, is always found by listing). What each look
/// means is <see cref="ImportDecisions.OnAutopilotLook"/>'s.
/// </summary>
public sealed class AutopilotWatcher(
    AutopilotClient autopilot,
    DeviceStore devices,
    LifecycleOutbox lifecycle,
    IOptions<RegistrationOptions> options,
    IOptions<GraphOptions> graphOptions,
    TimeProvider time,
    ILogger<AutopilotWatcher> logger)
{
    private int _listPages = 1;

    public async Task CheckAsync(IReadOnlyList<AutopilotImport> imports, CancellationToken cancellationToken)
    {
        var waiting = imports.SelectMany(i => i.Devices.Where(d => d.AwaitsAutopilot).Select(d => (Import: i, Entry: d))).ToList();
        if (waiting.Count == 0)
        {
            return;
        }

        var found = await FindAsync(waiting.Select(w => w.Entry).ToList(), cancellationToken);
        var changes = new List<DeviceChange>();
        var retag = new List<DeviceKey>();
        foreach (var (import, entry) in waiting)
        {
            var seen = found.GetValueOrDefault(entry.SerialNumber);
            var decision = ImportDecisions.OnAutopilotLook(entry, seen, options.Value, graphOptions.Value.ReadProfileStatus);
            entry.Apply(decision);
            if (Transition(import, entry, decision) is { } transition)
            {
                changes.Add(new DeviceChange(entry.Key, transition));
            }

            if (decision is ImportDecision.Registered && ImportDecisions.HasForeignTag(entry, seen!))
            {
                retag.Add(entry.Key);
            }
        }

        // The lifecycle worker sets the school's tag (updateDeviceProperties, read back): its entry is written before the
        // row asks for the work, so no crash leaves the work without its entry.
        foreach (var key in retag)
        {
            await lifecycle.AddAsync(key, time.GetUtcNow(), cancellationToken);
        }

        var updates = await devices.UpdateManyAsync(changes, cancellationToken);
        foreach (var device in updates.Where(u => u.Changed && u.Device!.Status == DeviceStatus.Registered).Select(u => u.Device!))
        {
            logger.LogInformation("Device {SerialNumber} of {SchoolUai} is registered in Autopilot", device.SerialNumber, device.SchoolUai);
        }
    }

    /// <summary>The device's transition for a decision, or null when the row has nothing to record.</summary>
    private Func<Device, bool>? Transition(AutopilotImport import, ImportedDevice entry, ImportDecision decision)
    {
        var readProfile = graphOptions.Value.ReadProfileStatus;
        return decision switch
        {
            ImportDecision.Fail fail => d => d.TryFail(entry.Attempt, import.ImportId, entry.IdentityId, fail.Code, fail.Message, time.GetUtcNow()),
            ImportDecision.Registered registered => d =>
                d.TryMarkRegistered(entry.Attempt, import.ImportId, entry.IdentityId!, registered.Seen.Id, time.GetUtcNow())
                | d.TryClaimGroupTag(registered.Seen.GroupTag, time.GetUtcNow())
                | (readProfile && d.TryRecordProfile(entry.Attempt, registered.ProfileStatus, registered.Seen.ProfileAssignedAt, time.GetUtcNow())),
            ImportDecision.ProfileSeen { Seen: { } seen } profile => d => d.TryRecordProfile(entry.Attempt, profile.ProfileStatus, seen.ProfileAssignedAt, time.GetUtcNow()),
            _ => null,
        };
    }

    private async Task<Dictionary<string, AutopilotDevice>> FindAsync(IReadOnlyList<ImportedDevice> entries, CancellationToken cancellationToken)
    {
        var serials = entries.Select(e => e.SerialNumber).ToList();
        var found = new Dictionary<string, AutopilotDevice>(StringComparer.OrdinalIgnoreCase);
        if (serials.Count <= _listPages && serials.All(AutopilotClient.CanFilterBySerial))
        {
            foreach (var entry in entries)
            {
                // Intune names the Autopilot device an import registered (state.deviceRegistrationId, which Microsoft's
                // Get-WindowsAutopilotInfo reads as the device's id): among devices of the same serial, that one.
                if (await autopilot.FindDeviceAsync(entry.SerialNumber, cancellationToken, entry.RegistrationId) is { } device)
                {
                    found[entry.SerialNumber] = device;
                }
            }

            return found;
        }

        var listing = await autopilot.ListDevicesAsync(cancellationToken);
        _listPages = Math.Max(1, listing.Pages);
        var byId = listing.Items.ToDictionary(d => d.Id, StringComparer.OrdinalIgnoreCase);
        foreach (var device in listing.Items)
        {
            found.TryAdd(device.SerialNumber, device);
        }

        foreach (var entry in entries)
        {
            if (entry.RegistrationId is { } id && byId.TryGetValue(id, out var registered))
            {
                found[entry.SerialNumber] = registered;
            }
        }

        return found;
    }
}
