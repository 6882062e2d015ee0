using System.Text.Json;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.Schools;
using Sarthe.Enrolment.Audit;

namespace Sarthe.Enrolment.Trail;

/// <summary>Decides whether a queue message is an audit event worth storing; says why when it is not.</summary>
public static class AuditEventValidator
{
    public const int MaxDataChars = 16 * 1024;
    private const int MaxActorIdLength = 128;

    /// <summary>The events of a message: the elements of a JSON array, or the message itself.</summary>
    public static IEnumerable<string> Split(string message)
    {
        if (!message.AsSpan().TrimStart().StartsWith("["))
        {
            return [message];
        }

        try
        {
            using var document = JsonDocument.Parse(message);
            return document.RootElement.EnumerateArray().Select(e => e.GetRawText()).ToList();
        }
        catch (JsonException)
        {
            return [message];
        }
    }

    public static AuditEvent? Parse(string message, out string? reason)
    {
        AuditEvent? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<AuditEvent>(message, ApiJson.Options);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or FormatException or InvalidOperationException)
        {
            reason = "not an audit event JSON object";
            return null;
        }

        reason = parsed switch
        {
            null => "empty message",
            { EventId: var id } when id == Guid.Empty => "eventId is missing",
            { OccurredAt: var at } when at == default => "occurredAt is missing",
            { Type: var type } when !AuditEventTypes.All.Contains(type, StringComparer.Ordinal) => $"unknown type '{Truncate(type)}'",
            { Actor: null } => "actor is missing",
            { Actor: var actor } when !AuditActor.Kinds.Contains(actor.Kind, StringComparer.Ordinal) => "actor.kind is not device, administrator or system",
            { Actor: var actor } when string.IsNullOrEmpty(actor.Id) || actor.Id.Length > MaxActorIdLength => "actor.id is missing or too long",
            { SchoolUai: { } uai } when SchoolUai.Normalize(uai) != uai => "schoolUai is not a stored UAI",
            { SerialNumber: { } serial } when SerialNumber.Normalize(serial) != serial => "serialNumber is not a stored serial number",
            { Data: { } data } when data.ToJsonString().Length > MaxDataChars => "data is too long",
            _ => null,
        };
        return reason is null ? parsed : null;
    }

    private static string Truncate(string? value) => value is null ? "" : value.Length <= 40 ? value : value[..40] + "…";
}
