using System.Text.Json.Nodes;

namespace Sarthe.Enrolment.Audit;

/// <summary>The contract's audit event; made by <see cref="AuditEvents"/>.</summary>
public sealed record AuditEvent(
    Guid EventId,
    DateTimeOffset OccurredAt,
    string Type,
    AuditActor Actor,
    string? SchoolUai,
    string? SerialNumber,
    JsonObject? Data);
