using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Graph;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// The Autopilot side of moves and deregistrations, run by the Autopilot sync (so within its Graph budget and its
/// back-off on 429 and 5xx): a moved device's group tag is changed with updateDeviceProperties and read back until
/// Intune shows it (it applies the change later); a device to deregister is removed from Autopilot once no import of it
/// is settling, read back until Intune no longer serves it, then marked deregistered and its serial released. Each step is idempotent: an entry taken twice, or a
/// step repeated after a crash, does the same thing again or nothing.
/// </summary>
public sealed class LifecycleWorker(
    LifecycleOutbox outbox,
    DeviceStore devices,
    SerialClaims claims,
    AutopilotClient autopilot,
    GraphBudget budget,
    IOptions<RegistrationOptions> options,
    TimeProvider time,
    ILogger<LifecycleWorker> logger)
{
    /// <summary>The lastError code of a removal Graph refused (its own code and message are in the message).</summary>
    public const string DeregistrationRefused = "DeregistrationRefused";

    /// <summary>updateDeviceProperties, or a removal, is sent again when Intune has not carried it out after this long.</summary>
    public static readonly TimeSpan ResendAfter = TimeSpan.FromMinutes(30);

    private const int BatchSize = 50;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        foreach (var entry in await outbox.TakeDueAsync(time.GetUtcNow(), BatchSize, cancellationToken))
        {
            // A removal is a lookup and a delete at most; a retag a read and an update.
            if (!budget.Affords(2, 1))
            {
                return;
            }

            var device = await devices.ResolveAsync(entry.Key, cancellationToken);
            var next = device is null ? null : await StepAsync(device, cancellationToken);
            if (next is { } dueAt)
            {
                await outbox.PostponeAsync(device!.Key, dueAt, cancellationToken);
            }
            else
            {
                await outbox.RemoveAsync(entry, cancellationToken);
            }
        }
    }

    /// <summary>One step of the device's work; returns when to look again, or null when nothing is left.</summary>
    private async Task<DateTimeOffset?> StepAsync(Device device, CancellationToken cancellationToken)
    {
        if (device.Status == DeviceStatus.Deregistered)
        {
            // Deregistered by an earlier run that stopped before releasing the serial (its events, if a crash left them, first).
            await devices.PublishLeftEventsAsync([device], cancellationToken);
            await claims.ReleaseAsync(device, cancellationToken);
            return null;
        }

        if (device.DeregistrationRequestedAt is not null)
        {
            return await DeregisterAsync(device, cancellationToken);
        }

        return device.GroupTagWanted is not null ? await RetagAsync(device, cancellationToken) : null;
    }

    private async Task<DateTimeOffset?> DeregisterAsync(Device device, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (device.Status == DeviceStatus.Registering)
        {
            return now + options.Value.AutopilotCheckInterval; // its import settles first (it could still register it)
        }

        // A device that never showed in Autopilot may still be there (an import that completed after it failed, 806): look.
        var id = device.AutopilotDeviceId;
        if (id is null && device.Status == DeviceStatus.Failed && AutopilotClient.CanFilterBySerial(device.SerialNumber))
        {
            id = (await autopilot.FindDeviceAsync(device.SerialNumber, cancellationToken))?.Id;
        }

        if (id is not null)
        {
            if (device.AutopilotRemovalSentAt is { } sent && now - sent < ResendAfter)
            {
                // Sent: Intune removes it within minutes ("The deletion process can take a few minutes", memdocs
                // add-devices.md). Only once it is gone is the serial free: an import of it meanwhile would end in 806.
                if (await autopilot.GetDeviceAsync(id, cancellationToken) is not null)
                {
                    return now + options.Value.AutopilotCheckInterval;
                }
            }
            else
            {
                if (await autopilot.DeleteDeviceAsync(id, cancellationToken) is { IsRemoved: false } refusal)
                {
                    var message = $"Graph refused to remove the device from Autopilot ({refusal.Code}: {refusal.Message}). A device still enrolled in Intune " +
                                  "can be removed from Autopilot only once its Intune record is deleted; then ask again.";
                    await devices.UpdateAsync(device.Key, d => d.TryRefuseDeregistration(DeregistrationRefused, message, time.GetUtcNow()), cancellationToken);
                    logger.LogWarning("Graph refused to remove device {SerialNumber} of {SchoolUai} from Autopilot: {Code}", device.SerialNumber, device.SchoolUai, refusal.Code);
                    return null;
                }

                await devices.UpdateAsync(device.Key, d => d.TryMarkRemovalSent(time.GetUtcNow()), cancellationToken);
                return now + options.Value.AutopilotCheckInterval;
            }
        }

        var (done, _) = await devices.UpdateAsync(device.Key, d => d.TryDeregister(time.GetUtcNow()), cancellationToken);
        if (done is not { Status: DeviceStatus.Deregistered })
        {
            return now + options.Value.AutopilotCheckInterval; // it started registering meanwhile: wait for it
        }

        // The update published the event before the serial is released: a takeover deletes the row, and its pending events with it.
        await claims.ReleaseAsync(done, cancellationToken);
        logger.LogInformation("Device {SerialNumber} of {SchoolUai} is deregistered", done.SerialNumber, done.SchoolUai);
        return null;
    }

    private async Task<DateTimeOffset?> RetagAsync(Device device, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (device.Status is DeviceStatus.Failed or DeviceStatus.Received)
        {
            await devices.UpdateAsync(device.Key, d => d.TryForgetGroupTag(time.GetUtcNow()), cancellationToken);
            return null;
        }

        if (device.Status != DeviceStatus.Registered || device.AutopilotDeviceId is not { } id)
        {
            return now + options.Value.AutopilotCheckInterval; // registering: the tag is checked once it is registered
        }

        var seen = await autopilot.GetDeviceAsync(id, cancellationToken);
        if (seen is null)
        {
            logger.LogWarning("Device {SerialNumber} of {SchoolUai} is no longer in Autopilot; its group tag {GroupTag} cannot be set", device.SerialNumber, device.SchoolUai, device.GroupTagWanted);
            return null;
        }

        if (device.TryRecordGroupTag(seen.GroupTag, now))
        {
            await devices.UpdateAsync(device.Key, d => d.TryRecordGroupTag(seen.GroupTag, time.GetUtcNow()), cancellationToken);
            return null;
        }

        if (device.GroupTagRequestedAt is not { } requested || now - requested >= ResendAfter)
        {
            if (!await autopilot.UpdateGroupTagAsync(id, device.GroupTagWanted!, cancellationToken))
            {
                return now + options.Value.AutopilotCheckInterval;
            }

            await devices.UpdateAsync(device.Key, d => d.TryMarkGroupTagRequested(time.GetUtcNow()), cancellationToken);
        }

        return now + options.Value.AutopilotCheckInterval;
    }
}
