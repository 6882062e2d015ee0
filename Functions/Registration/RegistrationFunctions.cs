using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Sarthe.Enrolment.Registration;

/// <summary>Queue and timer triggers of the registration pipeline; the work is in <see cref="RegistrationProcessor"/>.</summary>
public sealed class RegistrationFunctions(RegistrationProcessor processor, ILogger<RegistrationFunctions> logger)
{
    [Function(nameof(RegisterDevices))]
    public async Task RegisterDevices(
        [QueueTrigger("%RegistrationQueueName%", Connection = "AzureWebJobsStorage")] string message,
        CancellationToken cancellationToken)
    {
        var parsed = RegistrationMessage.Parse(message);
        if (parsed is null)
        {
            // Retrying cannot make it valid: log and let it go (it names no device we could fail).
            logger.LogError("Discarding a registration message that is not valid JSON of a known kind ({Length} chars)", message.Length);
            return;
        }

        await processor.HandleAsync(parsed, cancellationToken);
    }

    [Function(nameof(RecordAbandonedRegistrations))]
    public async Task RecordAbandonedRegistrations(
        [QueueTrigger("%RegistrationQueueName%-poison", Connection = "AzureWebJobsStorage")] string message,
        CancellationToken cancellationToken)
    {
        var parsed = RegistrationMessage.Parse(message);
        if (parsed is null)
        {
            logger.LogError("Poisoned registration message is not a registration message ({Length} chars); nothing to fail", message.Length);
            return;
        }

        await processor.AbandonAsync(parsed, cancellationToken);
    }

    [Function(nameof(DispatchRegistrations))]
    public Task DispatchRegistrations(
        [TimerTrigger("%RegistrationDispatchSchedule%")] TimerInfo timer,
        CancellationToken cancellationToken) =>
        processor.DispatchAsync(cancellationToken);

    [Function(nameof(SweepUnsettledDevices))]
    public Task SweepUnsettledDevices(
        [TimerTrigger("%RegistrationSweepSchedule%")] TimerInfo timer,
        CancellationToken cancellationToken) =>
        processor.SweepAsync(cancellationToken);
}
