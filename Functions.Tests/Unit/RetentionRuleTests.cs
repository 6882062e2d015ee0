using System.Text.RegularExpressions;
using Sarthe.DevHost;
using Sarthe.Enrolment.Retention;

namespace Sarthe.Enrolment.Tests.Unit;

/// <summary>The retention rules as settings state them, and the instant before which each makes an item expired.</summary>
public sealed class RetentionRuleTests
{
    private static readonly DateTimeOffset Now = new(2033, 3, 15, 3, 30, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("365d", RetentionBasis.ItemDate, 365, RetentionUnit.Days)]
    [InlineData("2y", RetentionBasis.ItemDate, 2, RetentionUnit.Years)]
    [InlineData("closing+5y", RetentionBasis.ProgrammeClosing, 5, RetentionUnit.Years)]
    [InlineData(" closing+0y ", RetentionBasis.ProgrammeClosing, 0, RetentionUnit.Years)]
    public void A_rule_reads_from_its_setting_and_writes_back_the_same(string text, RetentionBasis basis, int amount, RetentionUnit unit)
    {
        var rule = RetentionRule.Parse(text);

        Assert.Equal(new RetentionRule(basis, amount, unit), rule);
        Assert.Equal(text.Trim(), rule.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("0d")]
    [InlineData("-3d")]
    [InlineData("5 years")]
    [InlineData("closing+30d")]
    [InlineData("closing-5y")]
    [InlineData("P5Y")]
    public void Anything_else_is_refused_with_the_syntax_named(string text)
    {
        var error = Assert.Throws<FormatException>(() => RetentionRule.Parse(text));

        Assert.Contains("closing+", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duration_expires_what_is_older_than_it_whatever_the_closing_date()
    {
        Assert.Equal(Now.AddDays(-365), RetentionRule.Days(365).ExpiredBefore(Now, null));
        Assert.Equal(new DateTimeOffset(2031, 3, 15, 3, 30, 0, TimeSpan.Zero), RetentionRule.Years(2).ExpiredBefore(Now, new DateOnly(2027, 6, 30)));
    }

    [Fact]
    public void A_closing_rule_deletes_nothing_while_the_closing_date_is_unset()
    {
        Assert.Null(RetentionRule.AfterClosing(5).ExpiredBefore(DateTimeOffset.MaxValue.AddYears(-1), null));
    }

    [Fact]
    public void A_closing_rule_keeps_everything_through_31_december_of_the_closing_year_plus_n_and_expires_it_on_1_january()
    {
        // Art. 82 of Regulation (EU) 2021/1060: five years from 31 December of the year of the last payment (here 2027).
        var rule = RetentionRule.AfterClosing(5);
        var closing = new DateOnly(2027, 6, 30);
        var periodEnd = new DateTimeOffset(2033, 1, 1, 0, 0, 0, TimeSpan.Zero);

        Assert.Null(rule.ExpiredBefore(periodEnd.AddTicks(-1), closing));
        Assert.Equal(periodEnd, rule.ExpiredBefore(periodEnd, closing));
        // Only what existed before the period ended is the programme's: later items (the purge's own entries) stay.
        Assert.Equal(periodEnd, rule.ExpiredBefore(Now, closing));
    }

    [Fact]
    public void The_defaults_keep_supporting_documents_under_the_erdf_rule_and_operational_data_for_a_duration()
    {
        var options = new RetentionOptions();

        Assert.All([options.AuditEntries, options.Inventory, options.Reports], rule => Assert.Equal(RetentionRule.AfterClosing(5), rule));
        Assert.All([options.RejectedAttempts, options.DeregisteredDevices, options.Archive, options.Logs], rule => Assert.Equal(RetentionBasis.ItemDate, rule.Basis));
        Assert.Equal(RetentionCategory.Rules(options).Count, RetentionCategory.Rules(options).Select(r => r.Category).Distinct().Count());
    }

    [Fact]
    public void Log_retention_must_be_days_because_log_analytics_counts_days()
    {
        var options = new RetentionOptions { Logs = RetentionRule.AfterClosing(5) };

        var errors = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).ToList();

        Assert.Contains(errors, e => e.ErrorMessage!.Contains("Retention:Logs", StringComparison.Ordinal));
        Assert.Empty(new RetentionOptions().Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)));
    }

    [Fact]
    public void The_log_analytics_workspace_keeps_logs_for_the_days_of_the_logs_rule()
    {
        var main = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "infra", "main.bicep"));
        var resources = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "infra", "resources.bicep"));

        var days = Regex.Match(main, @"^param logRetentionDays string = '(?<days>\d+)'", RegexOptions.Multiline);
        Assert.True(days.Success, "main.bicep has no logRetentionDays parameter");
        Assert.Equal(new RetentionOptions().Logs.Amount, int.Parse(days.Groups["days"].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("retentionInDays: logRetentionDays", resources, StringComparison.Ordinal);
        Assert.Contains("{ name: 'Retention__Logs', value: '${logRetentionDays}d' }", main, StringComparison.Ordinal);
        // Application Insights stores no client address (0.0.0.0 after a geolocation lookup).
        Assert.Contains("DisableIpMasking: false", resources, StringComparison.Ordinal);
    }
}
