using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Http;

namespace Sarthe.Enrolment.Audit;

/// <summary>
/// The one way state changes reach the audit trail: events on the audit queue. A message holds one event
/// (a JSON object) or several (a JSON array), so a step that changes a whole import batch publishes one
/// message, not one per device.
/// </summary>
public sealed class AuditPublisher(QueueServiceClient queues, IOptions<TriggerOptions> triggers)
{
    // Queue messages are limited to 64 KiB after Base64: stay well under it.
    private const int MaxMessageChars = 40 * 1024;
    private readonly QueueClient _queue = queues.GetQueueClient(triggers.Value.AuditQueueName);

    public Task PublishAsync(AuditEvent auditEvent, CancellationToken cancellationToken) =>
        _queue.SendMessageAsync(JsonSerializer.Serialize(auditEvent, ApiJson.Options), cancellationToken);

    public async Task PublishAsync(IReadOnlyCollection<AuditEvent> events, CancellationToken cancellationToken)
    {
        var chunk = new List<string>();
        var length = 2;
        foreach (var serialized in events.Select(e => JsonSerializer.Serialize(e, ApiJson.Options)))
        {
            if (chunk.Count > 0 && length + serialized.Length + 1 > MaxMessageChars)
            {
                await SendAsync(chunk, cancellationToken);
                chunk.Clear();
                length = 2;
            }

            chunk.Add(serialized);
            length += serialized.Length + 1;
        }

        if (chunk.Count > 0)
        {
            await SendAsync(chunk, cancellationToken);
        }
    }

    private Task SendAsync(List<string> events, CancellationToken cancellationToken) =>
        _queue.SendMessageAsync("[" + string.Join(",", events) + "]", cancellationToken);
}
