using System.ComponentModel.DataAnnotations;

namespace Sarthe.Enrolment.Audit;

/// <summary>The audit trail (section <c>Audit</c>).</summary>
public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>
    /// Years every event is kept (stamped on it as <c>RetainUntil</c>); longer than the ERDF
    /// document-retention period. Nothing in the product deletes an event, and the API has no delete.
    /// </summary>
    [Range(1, 100)]
    public int RetentionYears { get; set; } = 10;
}
