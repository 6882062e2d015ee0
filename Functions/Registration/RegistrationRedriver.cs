using Microsoft.Extensions.Logging;
using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// Drives a device that stopped moving again, idempotently and without a second import: a received device goes
/// back in the outbox (the planner imports a device once, whatever the number of its outbox rows); a registering
/// device whose import no longer exists goes back in line; a device whose import is in flight is left to it. Used
/// by the sweep, and by a repeat enrolment of a device that has not moved for a while.
/// </summary>
public sealed class RegistrationRedriver(DeviceStore devices, ImportStore imports, RegistrationOutbox outbox, TimeProvider time, ILogger<RegistrationRedriver> logger)
{
    /// <summary>True when the device was put back in line.</summary>
    public async Task<bool> RedriveAsync(Device stuck, CancellationToken cancellationToken)
    {
        if (!stuck.IsUnsettled || (stuck.ImportId is { } importId && await imports.ContainsAsync(importId, cancellationToken)))
        {
            return false;
        }

        var now = time.GetUtcNow();
        var (device, taken) = await devices.UpdateAsync(stuck.Key,
            d => d.Status == DeviceStatus.Registering
                ? d.TryRequeue(stuck.Attempt, stuck.ImportId!, now)
                : d.TryTakeForRedrive(stuck.UpdatedAt, now),
            cancellationToken);
        if (!taken)
        {
            return false;
        }

        await QueueAsync(device!, cancellationToken);
        logger.LogWarning("Device {SerialNumber} of {SchoolUai} had stopped moving ({Status} since {UpdatedAt}); back in line", stuck.SerialNumber, stuck.SchoolUai, stuck.Status.ToName(), stuck.UpdatedAt);
        return true;
    }

    /// <summary>Puts a received device in line (a new attempt, or one driven again).</summary>
    public Task QueueAsync(Device device, CancellationToken cancellationToken) =>
        outbox.AddAsync(DeviceRef.Of(device), time.GetUtcNow(), cancellationToken);
}
