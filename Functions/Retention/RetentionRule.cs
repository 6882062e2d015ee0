using System.ComponentModel;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Sarthe.Enrolment.Retention;

/// <summary>
/// How long one category of stored data is kept, as a setting: a duration counted from each item's own date
/// (<c>365d</c>, <c>2y</c>), or <c>closing+5y</c>: until 31 December of the year of the programme's closing date
/// (<c>Funding:ProgrammeClosingDate</c>, the managing authority's last payment) plus that many years, the ERDF rule of
/// Art. 82 of Regulation (EU) 2021/1060. While the closing date is unset, a <c>closing+</c> rule deletes nothing.
/// </summary>
[TypeConverter(typeof(RetentionRuleConverter))]
public readonly partial record struct RetentionRule(RetentionBasis Basis, int Amount, RetentionUnit Unit)
{
    public const string Syntax = "a duration such as 365d or 2y, or closing+Ny (N years after 31 December of the year of Funding:ProgrammeClosingDate)";

    public static RetentionRule Days(int days) => new(RetentionBasis.ItemDate, days, RetentionUnit.Days);

    public static RetentionRule Years(int years) => new(RetentionBasis.ItemDate, years, RetentionUnit.Years);

    public static RetentionRule AfterClosing(int years) => new(RetentionBasis.ProgrammeClosing, years, RetentionUnit.Years);

    /// <summary>
    /// Items dated before the returned instant are past their retention at <paramref name="now"/>; null: nothing is
    /// (a <c>closing+</c> rule before the closing date is known, or before its period has run out).
    /// </summary>
    public DateTimeOffset? ExpiredBefore(DateTimeOffset now, DateOnly? programmeClosing)
    {
        if (Basis == RetentionBasis.ItemDate)
        {
            return Unit == RetentionUnit.Days ? now.AddDays(-Amount) : now.AddYears(-Amount);
        }

        if (programmeClosing is not { } closing)
        {
            return null;
        }

        // Kept through 31 December of closing year + N; deletable from 1 January after it (UTC midnight is 01:00 in
        // Paris: the French day is over). Only what existed before that instant belongs to the programme's period.
        var periodEnd = new DateTimeOffset(closing.Year + Amount + 1, 1, 1, 0, 0, 0, TimeSpan.Zero);
        return now >= periodEnd ? periodEnd : null;
    }

    public override string ToString() => (Basis, Unit) switch
    {
        (RetentionBasis.ProgrammeClosing, _) => string.Create(CultureInfo.InvariantCulture, $"closing+{Amount}y"),
        (_, RetentionUnit.Days) => string.Create(CultureInfo.InvariantCulture, $"{Amount}d"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{Amount}y"),
    };

    /// <summary>Reads a rule; throws <see cref="FormatException"/> saying the syntax when it is not one.</summary>
    public static RetentionRule Parse(string text)
    {
        var match = Pattern().Match(text.Trim());
        if (!match.Success || !int.TryParse(match.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount > 36_500)
        {
            throw Invalid(text, null);
        }

        var unit = match.Groups["unit"].Value == "d" ? RetentionUnit.Days : RetentionUnit.Years;
        if (match.Groups["closing"].Success)
        {
            return unit == RetentionUnit.Years ? AfterClosing(amount) : throw Invalid(text, "a closing+ rule counts whole years");
        }

        return amount == 0
            ? throw Invalid(text, "a duration is at least 1")
            : new RetentionRule(RetentionBasis.ItemDate, amount, unit);
    }

    private static FormatException Invalid(string text, string? why) =>
        new($"'{text}' is not a retention rule{(why is null ? "" : $" ({why})")}: expected {Syntax}.");

    [GeneratedRegex(@"^(?<closing>closing\+)?(?<n>\d{1,5})(?<unit>[dy])$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

public enum RetentionBasis
{
    /// <summary>Counted from each item's own date (when it happened, or when it was last changed).</summary>
    ItemDate,

    /// <summary>Counted from 31 December of the year of the programme's closing date.</summary>
    ProgrammeClosing,
}

public enum RetentionUnit
{
    Days,
    Years,
}

/// <summary>Lets configuration binding (and the settings tests) read a rule from its text.</summary>
public sealed class RetentionRuleConverter : TypeConverter
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) => sourceType == typeof(string) || base.CanConvertFrom(context, sourceType);

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text ? RetentionRule.Parse(text) : base.ConvertFrom(context, culture, value);

    public override bool CanConvertTo(ITypeDescriptorContext? context, Type? destinationType) => destinationType == typeof(string) || base.CanConvertTo(context, destinationType);

    public override object? ConvertTo(ITypeDescriptorContext? context, CultureInfo? culture, object? value, Type destinationType) =>
        destinationType == typeof(string) && value is RetentionRule rule ? rule.ToString() : base.ConvertTo(context, culture, value, destinationType);
}
