using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// The pipeline's safety nets: devices of a message that exhausted its deliveries end failed (never silently
/// lost), and a timer re-drives any device that stopped moving for <see cref="RegistrationOptions.StuckAfter"/>.
/// </summary>
public sealed class RegistrationSweeper(
    DeviceStore devices,
    RegistrationOutbox outbox,
    RegistrationQueue queue,
    RegistrationOutcomes outcomes,
    AuditPublisher audit,
    IOptions<RegistrationOptions> options,
    TimeProvider time,
    ILogger<RegistrationSweeper> logger)
{
    public async Task AbandonAsync(RegistrationMessage message, CancellationToken cancellationToken)
    {
        var events = new List<AuditEvent?>();
        foreach (var device in message.Devices)
        {
            events.Add(await outcomes.MarkFailedAsync(device, "RegistrationAbandoned",
                "Registration failed on every delivery of its queue message (Graph or storage errors); an administrator can retry it.", cancellationToken));
        }

        await audit.PublishAsync(events.OfType<AuditEvent>().ToList(), cancellationToken);
    }

    /// <summary>Returns how many devices were driven again.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var cutoff = now - options.Value.StuckAfter;
        var redriven = 0;
        await foreach (var stuck in devices.FindUnsettledAsync(cutoff, cancellationToken))
        {
            // Taking the device is an ETag-guarded change: two sweeps never both re-drive it.
            var (device, taken) = await devices.UpdateAsync(stuck.Key, d => d.TryTakeForRedrive(stuck.UpdatedAt, now), cancellationToken);
            if (!taken)
            {
                continue;
            }

            var reference = DeviceRef.Of(device!);
            if (device!.Status == DeviceStatus.Received || device.ImportedIdentityId is null)
            {
                await outbox.AddAsync(reference, null, now, cancellationToken);
            }
            else
            {
                await queue.SendAsync(new CheckImportCommand("sweep-" + device.ImportedIdentityId, 1, [reference]), cancellationToken);
            }

            redriven++;
        }

        if (redriven > 0)
        {
            logger.LogWarning("Sweep re-drove {DeviceCount} devices unchanged since {Cutoff}", redriven, cutoff);
        }

        return redriven;
    }
}
