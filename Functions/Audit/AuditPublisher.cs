using System.Text.Json;
using System.Text.Json.Nodes;
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
public sealed class AuditPublisher(QueueServiceClient queues, IOptions<QueueNameOptions> names, TimeProvider time)
{
    // Queue messages are limited to 64 KiB after Base64: stay well under it.
    private const int MaxMessageChars = 40 * 1024;
    private readonly QueueClient _queue = queues.GetQueueClient(names.Value.Audit);

    public AuditEvent Create(string type, AuditActor actor, string? schoolUai, string? serialNumber, JsonObject? data) =>
        new(Guid.NewGuid(), time.GetUtcNow(), type, actor, schoolUai, serialNumber, data);

    /// <summary>
    /// An event for a state a device row records (its id derived from what happened, its time from the
    /// row), so publishing it again after a failure collapses into the same audit entry.
    /// </summary>
    public static AuditEvent ForState(string type, AuditActor actor, string schoolUai, string serialNumber, int attempt, DateTimeOffset occurredAt, JsonObject? data) =>
        new(StableId($"{type}|{schoolUai}|{serialNumber}|{attempt}"), occurredAt, type, actor, schoolUai, serialNumber, data);

    public Task PublishAsync(AuditEvent auditEvent, CancellationToken cancellationToken) =>
        _queue.SendMessageAsync(JsonSerializer.Serialize(auditEvent, ApiJson.Options), cancellationToken);

    private static Guid StableId(string name)
    {
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name), hash);
        return new Guid(hash[..16]);
    }

    public Task PublishAsync(string type, AuditActor actor, string? schoolUai, string? serialNumber, JsonObject? data, CancellationToken cancellationToken) =>
        _queue.SendMessageAsync(JsonSerializer.Serialize(Create(type, actor, schoolUai, serialNumber, data), ApiJson.Options), cancellationToken);

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
