using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Http;

namespace Sarthe.Enrolment.Auth;

/// <summary>Either the administrator calling, or the 401/403/503 problem to answer instead.</summary>
public readonly record struct AdminAccess(Administrator? Administrator, ApiResult? Denied)
{
    /// <summary>The caller as the audit trail names it (only valid when access was granted).</summary>
    public AuditActor Actor => AuditActor.Administrator(Administrator?.Id ?? throw new InvalidOperationException("Access was denied."));
}
