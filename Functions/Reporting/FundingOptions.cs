using System.ComponentModel.DataAnnotations;

namespace Sarthe.Enrolment.Reporting;

/// <summary>ERDF funding report settings (section <c>Funding</c>); invalid values stop the start.</summary>
public sealed class FundingOptions : IValidatableObject
{
    public const string Section = "Funding";

    [Required]
    [RegularExpression("^[A-Z]{3}$", ErrorMessage = "Funding:Currency must be an ISO 4217 code such as EUR.")]
    public string Currency { get; set; } = "EUR";

    /// <summary>Share of eligible expenditure the ERDF co-finances (0..1).</summary>
    public decimal CofinancingRate { get; set; } = 0.5m;

    /// <summary>The day of a report is a day of this time zone; its cut-off is that day's end here.</summary>
    public string TimeZone { get; set; } = "Europe/Paris";

    /// <summary>Local hour after which last night's report is due.</summary>
    [Range(0, 23)]
    public int BuildHour { get; set; } = 2;

    /// <summary>
    /// First day of the programme: no report is built or read for an earlier day (nor for a day after today in
    /// <see cref="TimeZone"/>), so a mistyped date cannot become the latest report.
    /// </summary>
    public DateOnly ProgrammeStart { get; set; } = new(2024, 9, 1);

    /// <summary>
    /// The date of the managing authority's last payment to the beneficiary, once known (unset until then): the ERDF
    /// retention period of supporting documents (Art. 82 of Regulation (EU) 2021/1060) runs five years from 31 December
    /// of its year. While unset, no <c>closing+</c> retention rule deletes anything.
    /// </summary>
    public DateOnly? ProgrammeClosingDate { get; set; }

    /// <summary>Missed nights (host down) caught up at the next run, at most this many days back.</summary>
    [Range(0, 366)]
    public int CatchUpDays { get; set; } = 7;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (CofinancingRate is < 0 or > 1)
        {
            yield return new ValidationResult("Funding:CofinancingRate must be between 0 and 1.", [nameof(CofinancingRate)]);
        }

        if (!TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _))
        {
            yield return new ValidationResult($"Funding:TimeZone '{TimeZone}' is not a known time zone.", [nameof(TimeZone)]);
        }
    }
}
