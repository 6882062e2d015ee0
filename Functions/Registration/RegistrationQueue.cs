using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Registration;

/// <summary>The registration queue, as the pipeline's steps write to it: messages now, or after a delay (visibility timeout, no sleeping).</summary>
public sealed class RegistrationQueue(QueueServiceClient queues, IOptions<TriggerOptions> triggers)
{
    private readonly QueueClient _queue = queues.GetQueueClient(triggers.Value.RegistrationQueueName);

    public Task SendAsync(RegistrationMessage message, CancellationToken cancellationToken) =>
        _queue.SendMessageAsync(message.ToJson(), cancellationToken);

    public Task SendAsync(RegistrationMessage message, TimeSpan delay, CancellationToken cancellationToken) =>
        _queue.SendMessageAsync(message.ToJson(), visibilityTimeout: delay, cancellationToken: cancellationToken);

    /// <summary>Messages waiting or in flight (approximate, as the service counts them).</summary>
    public async Task<int> DepthAsync(CancellationToken cancellationToken) =>
        (await _queue.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount;
}
