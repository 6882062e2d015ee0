using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.OpenApi;
using Sarthe.Enrolment.Audit;

namespace Sarthe.Enrolment.Trail;

/// <summary>The audit trail: events from the queue into the table, and the administrators' read route.</summary>
public sealed class AuditFunctions(
    AuditTrail trail,
    AdminAuthenticator admins,
    QueueServiceClient queues,
    IOptions<TriggerOptions> triggers,
    TimeProvider time,
    ILogger<AuditFunctions> logger)
{
    [Function(nameof(RecordAuditEvent))]
    public async Task RecordAuditEvent(
        [QueueTrigger(TriggerOptions.AuditQueueExpression, Connection = TriggerOptions.Connection)] string message,
        CancellationToken cancellationToken)
    {
        // A message holds one event, or an array of events published together (one per device of a batch).
        var events = new List<AuditEvent>();
        foreach (var item in AuditEventValidator.Split(message))
        {
            if (AuditEventValidator.Parse(item, out var reason) is { } auditEvent)
            {
                events.Add(auditEvent);
                continue;
            }

            // Retrying cannot make it valid: straight to the dead-letter queue, with the reason beside it.
            logger.LogWarning("Audit event dead-lettered: {Reason}", reason);
            var deadLetter = JsonSerializer.Serialize(new { reason, deadLetteredAt = time.GetUtcNow(), message = item }, ApiJson.Options);
            await queues.GetQueueClient(triggers.Value.AuditQueueName + "-poison").SendMessageAsync(deadLetter, cancellationToken);
        }

        // Storage errors propagate: the queue redelivers, and the insert-if-absent writes make that safe.
        await trail.AppendAsync(events, cancellationToken);
    }

    [ApiOperation("Audit events of a device or a school, newest first", Query = ["serialNumber", "schoolUai", "from", "to", "pageSize", "continuationToken"])]
    [RequiresRole(AdminRoles.Read)]
    [ApiResponse(200, typeof(AuditPage))]
    [ApiResponse(400)]
    [Function(nameof(GetAuditEvents))]
    public Task<IActionResult> GetAuditEvents(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "audit")] HttpRequest request,
        CancellationToken cancellationToken) =>
        admins.RunAsync(GetAuditEvents, request, async (_, ct) =>
        {
            var (query, errors) = AuditQuery.Parse(request.Query);
            return query is null ? Problem.Validation(errors) : ApiResult.Json(await trail.QueryAsync(query, ct));
        },
        cancellationToken);
}
