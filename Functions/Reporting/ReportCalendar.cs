using System.Globalization;

namespace Sarthe.Enrolment.Reporting;

/// <summary>
/// Report days are days of the programme's time zone (Europe/Paris). The cut-off of a day is its end,
/// converted to UTC with the zone's rules, so a daylight-saving day has its 23 or 25 hours.
/// </summary>
public sealed class ReportCalendar(TimeZoneInfo zone)
{
    public const string DateFormat = "yyyy-MM-dd";

    public static ReportCalendar For(string timeZoneId) => new(TimeZoneInfo.FindSystemTimeZoneById(timeZoneId));

    /// <summary>The first instant after <paramref name="date"/> in the zone: devices are classified by their state just before it.</summary>
    public DateTimeOffset CutOff(DateOnly date)
    {
        var nextMidnight = date.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(nextMidnight, zone.GetUtcOffset(nextMidnight)).ToUniversalTime();
    }

    public DateTimeOffset Local(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, zone);

    public DateOnly Today(DateTimeOffset now) => DateOnly.FromDateTime(Local(now).DateTime);

    public static DateOnly? ParseDate(string? text) =>
        DateOnly.TryParseExact(text, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : null;

    public static string Format(DateOnly date) => date.ToString(DateFormat, CultureInfo.InvariantCulture);
}
