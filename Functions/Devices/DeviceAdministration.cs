using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Registration;

namespace Sarthe.Enrolment.Devices;

/// <summary>What administrators do to devices (today: retry a failed one), each change audited with who did it.</summary>
public sealed class DeviceAdministration(DeviceStore devices, RegistrationRedriver registration, DeviceEvents events, TimeProvider time)
{
    /// <summary>A failed device goes back in line for registration as a new attempt.</summary>
    public async Task<DeviceActionOutcome> RetryAsync(string routeSerial, AuditActor administrator, CancellationToken cancellationToken)
    {
        if (await devices.FindAsync(routeSerial, cancellationToken) is not { } found)
        {
            return new DeviceActionOutcome.NotFound();
        }

        var (device, retried) = await devices.UpdateAsync(found.Key, d => d.TryRequestRetry(administrator, time.GetUtcNow()), cancellationToken);
        if (!retried)
        {
            var current = device ?? found;
            return new DeviceActionOutcome.NotAllowed(current, $"Device {current.SerialNumber} is {current.Status.ToName()}; only a failed device can be retried.");
        }

        await registration.QueueAsync(device!, cancellationToken);
        await events.PublishAsync(device!, cancellationToken);
        return new DeviceActionOutcome.Done(device!);
    }
}
