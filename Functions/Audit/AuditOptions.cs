using System.ComponentModel.DataAnnotations;

namespace Sarthe.Enrolment.Audit;

/// <summary>The audit trail (section <c>Audit</c>).</summary>
public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>
    /// Years stamped on every event as <c>RetainUntil</c>, for information only: the daily purge deletes events by the
    /// rules of <c>Retention:AuditEntries</c> and <c>Retention:RejectedAttempts</c> (docs/privacy.md). The API has no delete.
    /// </summary>
    [Range(1, 100)]
    public int RetentionYears { get; set; } = 10;
}
