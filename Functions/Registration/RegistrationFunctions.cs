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
        sync.RunAsync(cancellationToken);

    [Function(nameof(SweepUnsettledDevices))]
    public Task SweepUnsettledDevices(
        [TimerTrigger(TriggerOptions.SweepScheduleExpression)] TimerInfo timer,
        CancellationToken cancellationToken) =>
        sweeper.SweepAsync(cancellationToken);
}
