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
    public Task RegisterDevices(
        [QueueTrigger(TriggerOptions.RegistrationQueueExpression, Connection = TriggerOptions.Connection)] string message,
        CancellationToken cancellationToken) =>
        ParsedAsync(message, parsed => imports.HandleAsync(parsed, cancellationToken));

    [Function(nameof(RecordAbandonedRegistrations))]
    public Task RecordAbandonedRegistrations(
        [QueueTrigger(TriggerOptions.RegistrationPoisonQueueExpression, Connection = TriggerOptions.Connection)] string message,
        CancellationToken cancellationToken) =>
        ParsedAsync(message, parsed => sweeper.AbandonAsync(parsed, cancellationToken));

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

    private Task ParsedAsync(string message, Func<RegistrationMessage, Task> handle, [System.Runtime.CompilerServices.CallerMemberName] string function = "")
    {
        if (RegistrationMessage.Parse(message) is { } parsed)
        {
            return handle(parsed);
        }

        // Retrying cannot make it valid: log and let it go (it names no device we could fail).
        logger.LogError("{Function} discards a message that is not a registration message ({Length} chars)", function, message.Length);
        return Task.CompletedTask;
    }
}
