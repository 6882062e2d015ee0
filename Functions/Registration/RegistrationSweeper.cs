using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// The pipeline's safety nets, on a timer: moves a crash cut short are finished, devices that stopped moving are driven again, audit events a crash left
/// in device rows are published, and devices that failed for a reason that passes (Intune's StorageError, a lost
/// or never-processed import) are retried automatically a bounded number of times, audited like any retry.
/// </summary>
public sealed class RegistrationSweeper(
    DeviceStore devices,
    DeviceSweepQueries sweep,
    RegistrationRedriver redriver,
    LifecycleOutbox lifecycle,
    IOptions<RegistrationOptions> options,
    TimeProvider time,
    ILogger<RegistrationSweeper> logger)
{
    public async Task<SweepResult> SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var settings = options.Value;

        // Moves a crash cut short are finished; Autopilot work whose entry a crash lost is put back in line.
        await foreach (var moving in sweep.FindMovingAsync(cancellationToken))
        {
            await devices.CompleteMoveAsync(moving, cancellationToken);
        }

        await foreach (var waiting in sweep.FindWithLifecycleWorkAsync(cancellationToken))
        {
            await lifecycle.AddAsync(waiting.Key, now, cancellationToken);
        }

        var redriven = 0;
        await foreach (var stuck in sweep.FindUnsettledAsync(now - settings.StuckAfter, cancellationToken))
        {
            if (await redriver.RedriveAsync(stuck, cancellationToken))
            {
                redriven++;
            }
        }

        var leftovers = new List<Device>();
        await foreach (var device in sweep.FindWithPendingEventsAsync(now - TimeSpan.FromMinutes(2), cancellationToken))
        {
            leftovers.Add(device);
        }

        await devices.PublishLeftEventsAsync(leftovers, cancellationToken);

        var retried = new List<Device>();
        await foreach (var failed in sweep.FindFailedAsync(ImportDecisions.TransientFailures, now - settings.AutomaticRetryAfter, cancellationToken))
        {
            if (failed.Attempt >= settings.MaxAutomaticAttempts)
            {
                continue;
            }

            var (device, changed) = await devices.UpdateAsync(failed.Key, d => d.Attempt == failed.Attempt && d.TryRequestRetry(AuditActor.Registration, now), cancellationToken);
            if (changed)
            {
                await redriver.QueueAsync(device!, cancellationToken);
                retried.Add(device!);
            }
        }

        var result = new SweepResult(redriven, leftovers.Count, retried.Count);
        if (result != SweepResult.Nothing)
        {
            logger.LogWarning("Sweep: {Redriven} devices driven again, {Leftovers} devices' audit events republished, {Retried} transient failures retried",
                result.Redriven, result.EventsRepublished, result.Retried);
        }

        return result;
    }
}

public sealed record SweepResult(int Redriven, int EventsRepublished, int Retried)
{
    public static readonly SweepResult Nothing = new(0, 0, 0);
}
