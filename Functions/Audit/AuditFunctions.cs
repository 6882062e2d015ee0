using System.Globalization;
using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.Schools;
using Sarthe.Enrolment.OpenApi;

namespace Sarthe.Enrolment.Audit;

public sealed class AuditFunctions(
    AuditTrail trail,
    AdminAuthenticator authenticator,
    QueueServiceClient queues,
    IOptions<QueueNameOptions> names,
    ILogger<AuditFunctions> logger)
{
    [Function(nameof(RecordAuditEvent))]
    public async Task RecordAuditEvent(
        [QueueTrigger("%AuditQueueName%", Connection = "AzureWebJobsStorage")] string message,
        CancellationToken cancellationToken)
    {
        // A message holds one event, or an array of events published together (one per device of a batch).
        var events = new List<AuditEvent>();
        foreach (var item in AuditEventValidator.Split(message))
        {
            var auditEvent = AuditEventValidator.Parse(item, out var reason);
            if (auditEvent is null)
            {
                // Retrying cannot make it valid: straight to the dead-letter queue, with the reason beside it.
                logger.LogWarning("Audit event dead-lettered: {Reason}", reason);
                var deadLetter = JsonSerializer.Serialize(new { reason, deadLetteredAt = DateTimeOffset.UtcNow, message = item }, ApiJson.Options);
                await queues.GetQueueClient(names.Value.Audit + "-poison").SendMessageAsync(deadLetter, cancellationToken);
                continue;
            }

            events.Add(auditEvent);
        }

        // Storage errors propagate: the queue redelivers, and the insert-if-absent writes make that safe.
        await trail.AppendAsync(events, cancellationToken);
    }

    [ApiOperation("Audit events of a device or a school, newest first", ApiCaller.Administrator, AdminRoles.Read, Query = ["serialNumber", "schoolUai", "from", "to", "pageSize", "continuationToken"])]
    [ApiResponse(200, typeof(AuditPage))]
    [ApiResponse(400)]
    [ApiResponse(401)]
    [ApiResponse(403)]
    [Function(nameof(GetAuditEvents))]
    public async Task<IActionResult> GetAuditEvents(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "audit")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var auth = await authenticator.AuthorizeAsync(request, AdminRoles.Read, cancellationToken);
        if (!auth.Succeeded)
        {
            return auth.Failure!;
        }

        var query = request.Query;
        var errors = new Dictionary<string, string[]>();
        var serialText = query["serialNumber"].ToString();
        var uaiText = query["schoolUai"].ToString();
        string? partition = null;
        if (serialText.Length > 0 && uaiText.Length > 0)
        {
            errors["schoolUai"] = ["Give serialNumber or schoolUai, not both."];
        }
        else if (serialText.Length > 0)
        {
            var serial = SerialNumber.Normalize(serialText);
            partition = serial is null ? null : AuditTrail.DevicePartition(serial);
            if (serial is null)
            {
                errors["serialNumber"] = ["serialNumber must be 1-64 characters of A-Z, a-z, 0-9, '-', '_' or '.'."];
            }
        }
        else if (uaiText.Length > 0)
        {
            var uai = SchoolUai.Normalize(uaiText);
            partition = uai is null ? null : AuditTrail.SchoolPartition(uai);
            if (uai is null)
            {
                errors["schoolUai"] = ["schoolUai must be a UAI: 7 digits and the matching check letter."];
            }
        }
        else
        {
            errors["serialNumber"] = ["serialNumber or schoolUai is required."];
        }

        var from = ReadTime(query["from"].ToString(), "from", errors);
        var to = ReadTime(query["to"].ToString(), "to", errors);
        if (from > to)
        {
            errors["from"] = ["from must not be after to."];
        }

        var pageSize = Paging.ReadPageSize(request, errors);

        string? after = null;
        var token = query["continuationToken"].ToString();
        if (token.Length > 0 && partition is not null && (after = AuditTrail.DecodeToken(token, partition)) is null)
        {
            errors["continuationToken"] = ["continuationToken is not one this API returned for this query."];
        }

        if (errors.Count > 0)
        {
            return Problem.Validation(errors);
        }

        return new JsonBodyResult(await trail.QueryAsync(partition!, from, to, after, pageSize, cancellationToken));
    }

    private static DateTimeOffset? ReadTime(string text, string field, Dictionary<string, string[]> errors)
    {
        if (text.Length == 0)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            return value;
        }

        errors[field] = [$"{field} must be an ISO 8601 timestamp, e.g. 2026-11-28T02:00:00Z."];
        return null;
    }
}
