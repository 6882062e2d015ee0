using Sarthe.Enrolment.Audit;
namespace Sarthe.Enrolment.Trail;

/// <summary>One page of an audit trail, newest first.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEvent> Items, string? ContinuationToken);
