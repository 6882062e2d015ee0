namespace Sarthe.Enrolment.Audit;

/// <summary>One page of an audit trail, newest first.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEvent> Items, string? ContinuationToken);
