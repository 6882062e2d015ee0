using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Registration;

namespace Sarthe.Enrolment.Devices;

/// <summary>An administrator lets a device that the unknown-device policy held go on to registration.</summary>
public sealed class DeviceApproval(DeviceStore devices, RegistrationRedriver registration, DeviceEvents events, TimeProvider time)
{
    /// <summary>A held device is received and put in line for registration (<c>device.approved</c>, by the administrator).</summary>
    public async Task<DeviceActionOutcome> ApproveAsync(string routeSerial, AuditActor administrator, CancellationToken cancellationToken)
    {
        if (await devices.FindAsync(routeSerial, cancellationToken) is not { } found)
        {
            return new DeviceActionOutcome.NotFound();
        }

        var (device, approved) = await devices.UpdateAsync(found.Key, d => d.TryApprove(administrator, time.GetUtcNow()), cancellationToken);
        if (!approved)
        {
            var current = device ?? found;
            return new DeviceActionOutcome.NotAllowed(current, $"Device {current.SerialNumber} is {current.Status.ToName()}; only a held device can be approved.");
        }

        await registration.QueueAsync(device!, cancellationToken);
        await events.PublishAsync(device!, cancellationToken);
        return new DeviceActionOutcome.Done(device!);
    }
}
