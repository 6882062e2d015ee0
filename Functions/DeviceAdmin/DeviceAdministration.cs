using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Registration;
using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.DeviceAdmin;

/// <summary>What administrators do to devices (retry a failed one, approve a held one), each change audited with who did it.</summary>
public sealed class DeviceAdministration(DeviceStore devices, RegistrationRedriver registration, TimeProvider time)
{
    /// <summary>A failed device goes back in line for registration as a new attempt.</summary>
    public Task<DeviceActionOutcome> RetryAsync(string routeSerial, AuditActor administrator, CancellationToken cancellationToken) =>
        PutInLineAsync(routeSerial, d => d.TryRequestRetry(administrator, time.GetUtcNow()), "retried", DeviceStatus.Failed, cancellationToken);

    /// <summary>A held device (the unknown-device policy) is received and put in line for registration (<c>device.approved</c>).</summary>
    public Task<DeviceActionOutcome> ApproveAsync(string routeSerial, AuditActor administrator, CancellationToken cancellationToken) =>
        PutInLineAsync(routeSerial, d => d.TryApprove(administrator, time.GetUtcNow()), "approved", DeviceStatus.Held, cancellationToken);

    /// <summary>Applies a transition that makes the device received, then puts it in line and publishes its events.</summary>
    private async Task<DeviceActionOutcome> PutInLineAsync(string routeSerial, Func<Device, bool> transition, string action, DeviceStatus from, CancellationToken cancellationToken)
    {
        if (await devices.FindAsync(routeSerial, cancellationToken) is not { } found)
        {
            return new DeviceActionOutcome.NotFound();
        }

        var (device, changed) = await devices.UpdateAsync(found.Key, transition, cancellationToken);
        if (!changed)
        {
            var current = device ?? found;
            return new DeviceActionOutcome.NotAllowed(current, $"Device {current.SerialNumber} is {current.Status.ToName()}; only a {from.ToName()} device can be {action}.");
        }

        await registration.QueueAsync(device!, cancellationToken);
        return new DeviceActionOutcome.Done(device!);
    }
}
