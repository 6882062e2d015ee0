using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// Turns devices waiting in the outbox into Autopilot imports, oldest first, before anything is sent to Graph: the
/// import is written (its id and devices), then each device moves into it (received → registering, with its
/// audit event in the same write), then the outbox rows go. A crash between two steps is harmless: the next plan
/// takes the same rows again and finds those devices already moving (they are skipped), and an import whose
/// devices are elsewhere ends empty.
/// </summary>
public sealed class ImportPlanner(
    RegistrationOutbox outbox,
    ImportStore imports,
    DeviceStore devices,
    IOptions<RegistrationOptions> options,
    TimeProvider time,
    ILogger<ImportPlanner> logger)
{
    /// <summary>Plans imports while there is room for them; returns how many devices were put in one.</summary>
    public async Task<int> PlanAsync(int readyImports, CancellationToken cancellationToken)
    {
        var planned = 0;
        while (readyImports < options.Value.MaxReadyImports && !cancellationToken.IsCancellationRequested)
        {
            var batch = await outbox.TakeOldestAsync(options.Value.ImportBatchSize, cancellationToken);
            if (batch.Count == 0)
            {
                break;
            }

            var import = AutopilotImport.Plan(AutopilotImport.NewId(time.GetUtcNow()), batch.Select(p => p.Device), time.GetUtcNow());
            using var span = EnrolmentTelemetry.StartPlan(import.ImportId, batch);
            await imports.AddAsync(import, cancellationToken);
            await MoveDevicesInAsync(import, cancellationToken);
            await outbox.RemoveAsync(batch, cancellationToken);
            planned += import.Devices.Count;
            readyImports++;
        }

        return planned;
    }

    /// <summary>
    /// Moves each device into the import (or finds it there already; <see cref="DeviceStore.Concurrency"/> at a time),
    /// lets go of those that are elsewhere, and marks the import ready once every device's write is done. Also what
    /// finishes an import whose planning was cut short.
    /// </summary>
    public async Task MoveDevicesInAsync(AutopilotImport import, CancellationToken cancellationToken)
    {
        var queued = import.Queued.ToList();
        var updates = await devices.UpdateManyAsync(queued.Select(entry => new DeviceChange(entry.Key,
            d => d.TryStartRegistration(entry.Attempt, import.ImportId, time.GetUtcNow()))).ToList(), cancellationToken);
        foreach (var (entry, update) in queued.Zip(updates))
        {
            if (!ImportDecisions.Belongs(update.Device, import, entry))
            {
                entry.Release(); // stale, moving in another import, or gone: not this import's
            }
        }

        import.TryMarkReady();
        try
        {
            await imports.SaveAsync(import, cancellationToken);
        }
        catch (ImportChangedException)
        {
            logger.LogWarning("Import {ImportId} changed while it was planned; the next run reads it again", import.ImportId);
        }
    }
}
