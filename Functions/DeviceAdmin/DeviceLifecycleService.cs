using Microsoft.Extensions.Logging;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Registration;
using Sarthe.Enrolment.Schools;
using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.DeviceAdmin;

/// <summary>
/// An administrator moves a device to another school or deregisters it. Both change the row at once (audited with who
/// did it) and leave the Autopilot side to the sync (<see cref="LifecycleWorker"/>): the entry that asks for it is
/// written before the row, so no crash leaves work nobody will do.
/// </summary>
public sealed class DeviceLifecycleService(
    DeviceStore devices,
    SchoolStore schools,
    LifecycleOutbox lifecycle,
    TimeProvider time,
    ILogger<DeviceLifecycleService> logger)
{
    /// <summary>
    /// The device belongs to <paramref name="schoolUai"/> from now on. Moving it to the school it is at already changes
    /// nothing and answers the device (a retried request gets the same answer).
    /// </summary>
    public async Task<DeviceActionOutcome> MoveAsync(string routeSerial, string? schoolUai, AuditActor administrator, CancellationToken cancellationToken)
    {
        if (SchoolUai.Normalize(schoolUai) is not { } uai)
        {
            return new DeviceActionOutcome.Invalid("schoolUai", "schoolUai " + SchoolUai.Rule);
        }

        if (await schools.GetAsync(uai, cancellationToken) is not { Active: true })
        {
            return new DeviceActionOutcome.Invalid("schoolUai", $"schoolUai {uai} is not an active school of the programme.");
        }

        if (await devices.FindAsync(routeSerial, cancellationToken) is not { } found)
        {
            return new DeviceActionOutcome.NotFound();
        }

        if (found.SchoolUai == uai && found.Status != DeviceStatus.Deregistered)
        {
            return new DeviceActionOutcome.Done(found);
        }

        await lifecycle.AddAsync(new DeviceKey(uai, found.SerialNumber), time.GetUtcNow(), cancellationToken);
        var (marked, moved) = await devices.UpdateAsync(found.Key, d => d.TryMove(uai, administrator, time.GetUtcNow()), cancellationToken);
        if (!moved)
        {
            var current = marked ?? found;
            return current.SchoolUai == uai && current.Status != DeviceStatus.Deregistered
                ? new DeviceActionOutcome.Done(current)
                : new DeviceActionOutcome.NotAllowed(current, $"Device {current.SerialNumber} is {Describe(current)}; it cannot move.");
        }

        var device = await devices.CompleteMoveAsync(marked!, cancellationToken) ?? throw new InvalidOperationException($"Device {found.SerialNumber} vanished during its move.");
        logger.LogInformation("Device {SerialNumber} moved from {FromUai} to {ToUai}", device.SerialNumber, found.SchoolUai, uai);
        return new DeviceActionOutcome.Done(device);
    }

    /// <summary>
    /// The device is to be removed from Autopilot; the sync does it and marks it deregistered. Asking again while it is
    /// under way changes nothing and is accepted again.
    /// </summary>
    public async Task<DeviceActionOutcome> DeregisterAsync(string routeSerial, AuditActor administrator, CancellationToken cancellationToken)
    {
        if (await devices.FindAsync(routeSerial, cancellationToken) is not { } found)
        {
            return new DeviceActionOutcome.NotFound();
        }

        if (found.Status == DeviceStatus.Deregistered)
        {
            return new DeviceActionOutcome.NotAllowed(found, $"Device {found.SerialNumber} is deregistered already.");
        }

        await lifecycle.AddAsync(found.Key, time.GetUtcNow(), cancellationToken);
        var (device, _) = await devices.UpdateAsync(found.Key, d => d.TryRequestDeregistration(administrator, time.GetUtcNow()), cancellationToken);
        return device is null
            ? new DeviceActionOutcome.NotFound()
            : device.Status == DeviceStatus.Deregistered
                ? new DeviceActionOutcome.NotAllowed(device, $"Device {device.SerialNumber} is deregistered already.")
                : new DeviceActionOutcome.Done(device);
    }

    private static string Describe(Device device) =>
        device.DeregistrationRequestedAt is not null && device.Status != DeviceStatus.Deregistered ? "being deregistered" : device.Status.ToName();
}
