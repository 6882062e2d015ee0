using System.ComponentModel.DataAnnotations;

namespace Sarthe.Enrolment.Retention;

/// <summary>
/// How long each category of stored data is kept (section <c>Retention</c>), each a <see cref="RetentionRule"/>.
/// Programme supporting documents (ERDF, Art. 82 of Regulation (EU) 2021/1060) follow <c>closing+5y</c>; operational
/// data a duration. <c>docs/privacy.md</c> gives the reason for each; the daily purge applies them.
/// </summary>
public sealed class RetentionOptions : IValidatableObject
{
    public const string Section = "Retention";

    /// <summary>The audit trail (its <c>retention.purged</c> entries included): supporting documents of the programme.</summary>
    public RetentionRule AuditEntries { get; set; } = RetentionRule.AfterClosing(5);

    /// <summary>Refused enrolment attempts (<c>device.enrolment_rejected</c> entries and tallies): security records, operational.</summary>
    public RetentionRule RejectedAttempts { get; set; } = RetentionRule.Days(365);

    /// <summary>A device row once it is deregistered (counted from its deregistration), with its released serial claim.</summary>
    public RetentionRule DeregisteredDevices { get; set; } = RetentionRule.Days(365);

    /// <summary>Archived rows of deregistered devices enrolled again (counted from their deregistration).</summary>
    public RetentionRule Archive { get; set; } = RetentionRule.Days(365);

    /// <summary>Purchase inventory lines and manifest summaries (invoices, purchase orders, costs): supporting documents.</summary>
    public RetentionRule Inventory { get; set; } = RetentionRule.AfterClosing(5);

    /// <summary>Built funding reports (counted from the report's date): supporting documents.</summary>
    public RetentionRule Reports { get; set; } = RetentionRule.AfterClosing(5);

    /// <summary>
    /// Logs and traces in Log Analytics: applied by the workspace's retention (infra, <c>logRetentionDays</c>), which
    /// must be a duration in days; the purge only reports it.
    /// </summary>
    public RetentionRule Logs { get; set; } = RetentionRule.Days(90);

    /// <summary>Entity-group transactions (≤ 100 deletions each, one partition) in flight at once.</summary>
    [Range(1, 64)]
    public int Concurrency { get; set; } = 8;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Logs.Basis != RetentionBasis.ItemDate || Logs.Unit != RetentionUnit.Days)
        {
            yield return new ValidationResult("Retention:Logs must be a number of days (Log Analytics keeps logs for days).", [nameof(Logs)]);
        }
    }
}
