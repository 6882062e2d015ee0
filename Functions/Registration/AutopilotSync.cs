using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Kiota.Abstractions;
using Sarthe.Enrolment.Graph;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// The one place the product talks to Graph: a timer function, which the Functions host runs on one instance at a
/// time however far the app scales out ("If a function app scales out to multiple instances, only a single instance
/// of a timer-triggered function is run across all instances": learn.microsoft.com/azure/azure-functions/
/// functions-bindings-timer#scale-out). It owns every import in flight, so all instances together spend one Graph
/// budget (<see cref="GraphBudget"/>) and each look at Graph serves every import at once.
/// Each run: pre-register queued manifest lines (storage only), plan imports from the outbox, send what is ready,
/// look at import states, look at Autopilot, the group tags to set and the deregistrations (<see cref="LifecycleWorker"/>),
/// then delete what is settled; while Graph fails or throttles it waits (doubling, up to
/// MaxGraphBackoff) and abandons nothing.
/// </summary>
public sealed class AutopilotSync(
    ImportStore imports,
    ImportPlanner planner,
    ImportPoster poster,
    ImportMonitor monitor,
    AutopilotWatcher watcher,
    ImportCleaner cleaner,
    LifecycleWorker lifecycle,
    PreRegistration preRegistration,
    GraphBudget budget,
    PipelineGauges gauges,
    IOptions<RegistrationOptions> options,
    TimeProvider time,
    ILogger<AutopilotSync> logger)
{
    /// <summary>How long the sync waits when Graph refuses the app itself (401/403): a permission or licence takes an administrator.</summary>
    public static readonly TimeSpan AppRefusedWait = TimeSpan.FromMinutes(1);

    private DateTimeOffset _nextImportCheck = DateTimeOffset.MinValue;
    private DateTimeOffset _nextAutopilotCheck = DateTimeOffset.MinValue;
    private DateTimeOffset _graphAvailableAt = DateTimeOffset.MinValue;
    private int _graphFailures;
    private DateTimeOffset? _lastRunEnded;

    /// <summary>When Graph may be asked again after failing (for the health of the pipeline: logs and tests).</summary>
    public DateTimeOffset GraphAvailableAt => _graphAvailableAt;

    /// <summary>Runs this instance has made (the timer runs on one instance at a time).</summary>
    public long Runs => Interlocked.Read(ref _runs);

    private long _runs;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // One span per run: the plans, sends and Graph calls of the run are its children.
        using var span = EnrolmentTelemetry.Source.StartActivity("autopilot sync");
        var started = time.GetTimestamp();
        var settings = options.Value;
        Interlocked.Increment(ref _runs);
        if (_lastRunEnded is { } last && time.GetUtcNow() - last > settings.MaxSyncRun + TimeSpan.FromMinutes(1))
        {
            // The timer did not run here for a while: another instance held it, or the host was stopped.
            logger.LogWarning("Autopilot sync resumes on this instance after {GapSeconds:F0} s", (time.GetUtcNow() - last).TotalSeconds);
        }

        try
        {
            await gauges.MeasureIfDueAsync(cancellationToken);
            await RunPassesAsync(started, cancellationToken);
        }
        finally
        {
            _lastRunEnded = time.GetUtcNow();
        }
    }

    private async Task RunPassesAsync(long started, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        while (time.GetElapsedTime(started) < settings.MaxSyncRun && !cancellationToken.IsCancellationRequested)
        {
            // Manifest lines waiting to be pre-registered become devices in the outbox first (storage only, bounded).
            await preRegistration.DrainAsync(settings.MaxSyncRun / 3, cancellationToken);
            var inFlight = await imports.ListAsync(cancellationToken);
            await FinishPlanningAsync(inFlight, cancellationToken);
            var ready = inFlight.Count(i => i.Stage is ImportStage.Ready or ImportStage.Planned);
            if (await planner.PlanAsync(ready, cancellationToken) > 0)
            {
                inFlight = await imports.ListAsync(cancellationToken);
            }

            if (time.GetUtcNow() < _graphAvailableAt || budget.BlockedFor > TimeSpan.Zero)
            {
                return; // Graph asked us to wait, or is failing: the next tick looks again.
            }

            if (!await WithGraphAsync(() => StepAsync(inFlight, cancellationToken), cancellationToken))
            {
                return;
            }

            if (!inFlight.Any(i => i.HasDevicesToSend) || !budget.Affords(1, 1) || SendingWaitsForIntune(inFlight))
            {
                return; // nothing more to send now: the next tick comes back for the checks.
            }
        }
    }

    /// <summary>
    /// One pass over the imports in flight: send, check import states, check Autopilot, the lifecycle work, then the
    /// clean-up. Each stage stands on its own (<see cref="StageAsync"/>): one whose request Graph refuses, or whose import
    /// another writer changed, is logged and the next stages still run; Graph unavailable stops the pass (it waits).
    /// </summary>
    private async Task StepAsync(IReadOnlyList<AutopilotImport> inFlight, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await StageAsync("reconcile", async () =>
        {
            var posting = inFlight.Where(i => i.Stage == ImportStage.Posting).ToList();
            if (posting.Count > 0)
            {
                var listed = await monitor.ListAsync(cancellationToken);
                foreach (var import in posting)
                {
                    await poster.ReconcileAsync(import, listed, cancellationToken);
                }
            }
        });

        await StageAsync("send", async () =>
        {
            // Intune processes a few imports at once: another is sent only while fewer than MaxImportsInFlight have
            // identities still being processed (the rest of an import already in flight, a part or a resend, may go).
            var processing = Processing(inFlight);
            foreach (var import in inFlight.Where(i => i.Stage == ImportStage.Ready && i.Queued.Any()).OrderBy(i => i.CreatedAt))
            {
                if (!budget.Affords(1, 1))
                {
                    break;
                }

                if (!processing.Contains(import.ImportId) && processing.Count >= settings.MaxImportsInFlight)
                {
                    continue;
                }

                // A round Graph refused whole took nothing of Intune's: the parts it was split into go at once, down to the
                // record refused, rather than one a pass.
                var split = !await poster.PostAsync(import, cancellationToken);
                while (split && import.Stage == ImportStage.Ready && import.Queued.Any() && budget.Affords(1, 1))
                {
                    await poster.PostAsync(import, cancellationToken);
                }

                processing.Add(import.ImportId);
            }
        });

        var now = time.GetUtcNow();
        if (now >= _nextImportCheck && budget.Affords(1))
        {
            _nextImportCheck = now + settings.CheckInterval;
            await StageAsync("check import states", async () =>
            {
                await monitor.CheckAsync(inFlight, cancellationToken);
                await SaveAsync(inFlight, cancellationToken);
            });
        }

        if (now >= _nextAutopilotCheck && budget.Affords(1))
        {
            _nextAutopilotCheck = now + settings.AutopilotCheckInterval;
            await StageAsync("check Autopilot", async () =>
            {
                await watcher.CheckAsync(inFlight, cancellationToken);
                await SaveAsync(inFlight, cancellationToken);
            });
        }

        // The lifecycle work before the clean-up: a group tag to set keeps a device from being ready, a settled identity
        // left a while longer keeps no one waiting, and the clean-up spends what of the budget is left.
        await StageAsync("lifecycle", () => lifecycle.RunAsync(cancellationToken));
        await StageAsync("clean up", () => cleaner.CleanAsync(inFlight, cancellationToken));
        _graphFailures = 0;
    }

    /// <summary>
    /// Runs one stage of a pass. Graph refusing one of its requests (a 4xx that is neither throttling nor the app
    /// refused) or an import changed by another writer ends this stage only: logged, and the next tick runs it again.
    /// </summary>
    private async Task StageAsync(string stage, Func<Task> run)
    {
        try
        {
            await run();
        }
        catch (ApiException ex) when (!ImportDecisions.IsGraphUnavailable(ex) && !ImportDecisions.IsAppRefused(ex))
        {
            logger.LogError(ex, "Autopilot sync: Graph refused a request of the {Stage} stage ({Status}); the other stages go on", stage, ex.ResponseStatusCode);
        }
        catch (ImportChangedException ex)
        {
            logger.LogWarning("Autopilot sync: {Message} during the {Stage} stage; the next run reads it again", ex.Message, stage);
        }
    }

    /// <summary>Every import that could be sent waits for Intune to process those in flight: the next tick looks again.</summary>
    private bool SendingWaitsForIntune(IReadOnlyList<AutopilotImport> inFlight)
    {
        var processing = Processing(inFlight);
        return processing.Count >= options.Value.MaxImportsInFlight
               && inFlight.Where(i => i.HasDevicesToSend).All(i => !processing.Contains(i.ImportId));
    }

    /// <summary>The imports with identities Intune is still processing.</summary>
    private static HashSet<string> Processing(IReadOnlyList<AutopilotImport> inFlight) =>
        inFlight.Where(i => i.Devices.Any(d => d.AwaitsImportState)).Select(i => i.ImportId).ToHashSet(StringComparer.Ordinal);

    /// <summary>Imports whose planning a crash cut short (still Planned a while after they were written) are finished now.</summary>
    private async Task FinishPlanningAsync(IReadOnlyList<AutopilotImport> inFlight, CancellationToken cancellationToken)
    {
        foreach (var import in inFlight.Where(i => i.Stage == ImportStage.Planned && i.CreatedAt < time.GetUtcNow() - TimeSpan.FromMinutes(1)))
        {
            logger.LogWarning("Import {ImportId} was left half-planned; finishing it", import.ImportId);
            await planner.MoveDevicesInAsync(import, cancellationToken);
        }
    }

    private async Task SaveAsync(IEnumerable<AutopilotImport> inFlight, CancellationToken cancellationToken)
    {
        foreach (var import in inFlight)
        {
            await imports.SaveAsync(import, cancellationToken);
        }
    }

    /// <summary>
    /// Runs a step that calls Graph; if Graph throttles (429, in whatever shape the SDK throws it), fails (5xx) or
    /// does not answer, waits before the next try (Retry-After when Graph gives one, else doubling from
    /// GraphBackoff up to MaxGraphBackoff) and returns false. Nothing is failed or abandoned for it.
    /// </summary>
    private async Task<bool> WithGraphAsync(Func<Task> step, CancellationToken cancellationToken)
    {
        try
        {
            await step();
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ImportDecisions.IsGraphUnavailable(ex))
        {
            var settings = options.Value;
            var wait = GraphThrottle.Delay(ex, _graphFailures++, settings.GraphBackoff, settings.MaxGraphBackoff);
            _graphAvailableAt = time.GetUtcNow() + wait;
            logger.LogWarning("Graph {Problem}; the Autopilot sync waits {WaitSeconds:F0} s (failure {Failures} in a row)",
                GraphThrottle.IsThrottled(ex) ? "throttled the app" : "failed: " + ex.GetType().Name, wait.TotalSeconds, _graphFailures);
            return false;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ImportDecisions.IsAppRefused(ex))
        {
            // No permission or no Intune licence: nothing the next tick changes; look again in a minute, say it once a minute.
            _graphAvailableAt = time.GetUtcNow() + AppRefusedWait;
            logger.LogError("Graph refused the app ({Status}): grant it DeviceManagementServiceConfig.ReadWrite.All (application) with admin consent, " +
                            "and check that the tenant has an Intune licence; the Autopilot sync looks again in {WaitSeconds:F0} s and fails no device meanwhile",
                (ex as ApiException ?? (ex as AggregateException)?.Flatten().InnerExceptions.OfType<ApiException>().FirstOrDefault())?.ResponseStatusCode, AppRefusedWait.TotalSeconds);
            return false;
        }
    }
}
