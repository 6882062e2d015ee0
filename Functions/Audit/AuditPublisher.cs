using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Http;

namespace Sarthe.Enrolment.Audit;

/// <summary>The one way state changes reach the audit trail: an event on the audit queue.</summary>
public sealed class AuditPublisher(QueueServiceClient queues, IOptions<QueueNameOptions> names, TimeProvider time)
{
    private readonly QueueClient _queue = queues.GetQueueClient(names.Value.Audit);

    public async Task PublishAsync(string type, AuditActor actor, string? schoolUai, string? serialNumber, JsonObject? data, CancellationToken cancellationToken)
    {
        var auditEvent = new AuditEvent(Guid.NewGuid(), time.GetUtcNow(), type, actor, schoolUai, serialNumber, data);
        await _queue.SendMessageAsync(JsonSerializer.Serialize(auditEvent, ApiJson.Options), cancellationToken);
    }
}
