using Sarthe.Enrolment.Audit;

namespace Sarthe.Enrolment.Auth;

/// <summary>The caller of an admin route once its token has been accepted.</summary>
public sealed record Administrator(string Id, IReadOnlyList<string> Roles)
{
    /// <summary>The caller as the audit trail names it.</summary>
    public AuditActor Actor => AuditActor.Administrator(Id);
}
