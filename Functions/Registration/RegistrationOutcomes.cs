using Microsoft.Extensions.Logging;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// Settles devices: registered or failed, through <see cref="Device"/>'s transitions. Each returns the audit event
/// of the outcome whenever the device is in that outcome for this attempt, changed now or by an earlier delivery
/// whose audit message may not have gone out (the event's stable id makes the repeat harmless), so callers publish
/// the events of a whole batch in one message.
/// </summary>
public sealed class RegistrationOutcomes(DeviceStore devices, TimeProvider time, ILogger<RegistrationOutcomes> logger)
{
    public async Task<AuditEvent?> MarkRegisteredAsync(DeviceRef item, string? autopilotDeviceId, CancellationToken cancellationToken)
    {
        var (device, _) = await devices.UpdateAsync(item.Key, d => d.TryMarkRegistered(item.Attempt, item.ImportedIdentityId, autopilotDeviceId, time.GetUtcNow()), cancellationToken);
        return device is { Status: DeviceStatus.Registered } && device.Attempt == item.Attempt ? AuditEvents.Registered(device) : null;
    }

    /// <summary>No-op when the device is settled already or the attempt is stale.</summary>
    public async Task<AuditEvent?> MarkFailedAsync(DeviceRef item, string code, string message, CancellationToken cancellationToken)
    {
        var (device, changed) = await devices.UpdateAsync(item.Key, d => d.TryFail(item.Attempt, code, message, time.GetUtcNow()), cancellationToken);
        if (changed)
        {
            logger.LogWarning("Device {SerialNumber} of {SchoolUai} failed registration: {ErrorCode}", item.SerialNumber, item.SchoolUai, code);
        }

        return device is { Status: DeviceStatus.Failed } && device.Attempt == item.Attempt ? AuditEvents.RegistrationFailed(device) : null;
    }
}
