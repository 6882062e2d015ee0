using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Registration;

/// <summary>Queue and timer triggers of the registration pipeline; each hands its message or tick to the class that does that job.</summary>
public sealed class RegistrationFunctions(
    ImportHandler imports,
    RegistrationDispatcher dispatcher,
    RegistrationSweeper sweeper,
    ILogger<RegistrationFunctions> logger)
{
    [Function(nameof(RegisterDevices))]
    public async Task RegisterDevices(
        [QueueTrigger(TriggerOptions.RegistrationQueueExpression, Connection = TriggerOptions.Connection)] string message,
        CancellationToken cancellationToken)
    {
        if (RegistrationMessage.Parse(message) is not { } parsed)
        {
            // Retrying cannot make it valid: log and let it go (it names no device we could fail).
            logger.LogError("Discarding a registration message that is not valid JSON of a known kind ({Length} chars)", message.Length);
            return;
        }

        await imports.HandleAsync(parsed, cancellationToken);
    }

    [Function(nameof(RecordAbandonedRegistrations))]
    public async Task RecordAbandonedRegistrations(
        [QueueTrigger(TriggerOptions.RegistrationPoisonQueueExpression, Connection = TriggerOptions.Connection)] string message,
        CancellationToken cancellationToken)
    {
        if (RegistrationMessage.Parse(message) is not { } parsed)
        {
            logger.LogError("Poisoned registration message is not a registration message ({Length} chars); nothing to fail", message.Length);
            return;
        }

        await sweeper.AbandonAsync(parsed, cancellationToken);
    }

    [Function(nameof(DispatchRegistrations))]
    public Task DispatchRegistrations(
        [TimerTrigger(TriggerOptions.DispatchScheduleExpression)] TimerInfo timer,
        CancellationToken cancellationToken) =>
        dispatcher.DispatchAsync(cancellationToken);

    [Function(nameof(SweepUnsettledDevices))]
    public Task SweepUnsettledDevices(
        [TimerTrigger(TriggerOptions.SweepScheduleExpression)] TimerInfo timer,
        CancellationToken cancellationToken) =>
        sweeper.SweepAsync(cancellationToken);
}
