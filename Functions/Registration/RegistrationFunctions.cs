using Microsoft.Azure.Functions.Worker;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Registration;

/// <summary>The timers of the registration pipeline; each hands its tick to the class that does that job.</summary>
public sealed class RegistrationFunctions(AutopilotSync sync, RegistrationSweeper sweeper)
{
    /// <summary>Every Graph call of the pipeline; a timer, so one instance at a time runs it (see <see cref="AutopilotSync"/>).</summary>
    [Function(nameof(SyncAutopilot))]
    public Task SyncAutopilot(
        [TimerTrigger(TriggerOptions.AutopilotSyncScheduleExpression)] TimerInfo timer,
        CancellationToken cancellationToken) =>
        UntilHostStopsAsync(sync.RunAsync, cancellationToken);

    [Function(nameof(SweepUnsettledDevices))]
    public Task SweepUnsettledDevices(
        [TimerTrigger(TriggerOptions.SweepScheduleExpression)] TimerInfo timer,
        CancellationToken cancellationToken) =>
        UntilHostStopsAsync(sweeper.SweepAsync, cancellationToken);

    /// <summary>
    /// A run cut short by the host stopping is not a failure: what it did is stored, and the next run (here or on
    /// another instance) goes on from there. Logging it as a failed execution would raise the alerts for nothing.
    /// </summary>
    private static async Task UntilHostStopsAsync(Func<CancellationToken, Task> run, CancellationToken cancellationToken)
    {
        try
        {
            await run(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
