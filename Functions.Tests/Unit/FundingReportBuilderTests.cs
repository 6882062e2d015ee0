using System.Globalization;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Inventory;
using Sarthe.Enrolment.Reporting;
using Sarthe.Enrolment.Schools;

namespace Sarthe.Enrolment.Tests.Unit;

public sealed class FundingReportBuilderTests
{
    private static readonly DateTimeOffset CutOff = new(2026, 11, 28, 23, 0, 0, TimeSpan.Zero);

    private static readonly School[] Schools =
    [
        new("0720001K", "Collège A", "Allonnes", 100),
        new("0720002L", "Collège B", "Ancinnes", 200),
        new("0720004N", "Collège C", "Ballon", 300),
    ];

    private static FundingOptions Options => new() { CofinancingRate = 0.5m };

    private static int _serials;

    [Fact]
    public void Classifies_each_device_by_its_status_just_before_the_cut_off()
    {
        var builder = new FundingReportBuilder(Options);
        builder.AddPurchase("A-LAPTOP", "laptop", new Purchase("BC-1", "F-1", 333_33));
        builder.AddPurchase("B-DESKTOP", "desktop", new Purchase("BC-2", "F-1", 500_00));
        builder.AddPurchase("NEVER-ENROLLED", "desktop", new Purchase("BC-2", "F-1", 10_00));
        builder.AddPurchase("A-TABLET", null, null); // an Autopilot CSV line: in the inventory, never invoiced
        Add(builder, "0720001K", "A-LAPTOP", "laptop", ("received", -180), ("registering", -120), ("registered", -60));
        Add(builder, "0720001K", "tablet", ("received", -180), ("registering", -120), ("registered", 1)); // registered after: pending
        Add(builder, "0720001K", "desktop", ("received", 5), ("registered", 30)); // enrolled after: not counted
        Add(builder, "0720001K", "laptop", ("received", -180), ("registering", -120), ("failed", -60));
        Add(builder, "0720001K", "laptop", ("received", -400), ("failed", -300), ("received", -240), ("registering", -180), ("registered", 60)); // retried, not yet registered
        AddExact(builder, "0720001K", "desktop", ("received", CutOff.AddHours(-1)), ("registered", CutOff)); // at the cut-off exactly: not before it
        Add(builder, "0720002L", "B-DESKTOP", "desktop", ("received", -500), ("failed", -400), ("received", -300), ("registered", -200)); // retried and registered
        Add(builder, "0720004N", "A-TABLET", "tablet", ("received", -500), ("registered", -400)); // registered, no purchase record

        var report = builder.Build("2026-11-28", CutOff, Schools);

        // Expected figures worked out by hand from the rows above.
        var a = report.Schools[0];
        Assert.Equal((1, 1, 0, 0, 3, 1, true), (a.DevicesRegistered, a.DevicesByType.Laptop, a.DevicesByType.Desktop, a.DevicesByType.Tablet, a.DevicesPending, a.DevicesFailed, a.Supported));
        Assert.Equal(333.33m, a.EligibleExpenditureEur);
        Assert.Equal(166.66m, a.ErdfAmountEur); // 166.665 rounds half-even to 166.66
        var b = report.Schools[1];
        Assert.Equal((1, 0, 1, 0, 0, true), (b.DevicesRegistered, b.DevicesByType.Laptop, b.DevicesByType.Desktop, b.DevicesPending, b.DevicesFailed, b.Supported));
        Assert.Equal("250.00", b.ErdfAmountEur.ToString(CultureInfo.InvariantCulture));
        var c = report.Schools[2];
        Assert.Equal((1, 1, true), (c.DevicesRegistered, c.DevicesWithoutPurchaseRecord, c.Supported));
        Assert.Equal("0.00", c.EligibleExpenditureEur.ToString(CultureInfo.InvariantCulture));

        var t = report.Totals;
        Assert.Equal((3, 3, 600, 600, 3, 3, 1, 1), (t.Schools, t.SchoolsSupported, t.Pupils, t.PupilsBenefiting, t.DevicesRegistered, t.DevicesPending, t.DevicesFailed, t.DevicesWithoutPurchaseRecord));
        Assert.Equal(833.33m, t.EligibleExpenditureEur);
        Assert.Equal(416.66m, t.ErdfAmountEur);
        Assert.Equal((600, 600, 3), (report.Indicators.Co35, report.Indicators.Rco67, report.Indicators.Rco14));

        // Per purchase order and invoice: bought, registered at the cut-off, their cost; the sums are the totals'.
        Assert.Equal(
            [new PurchaseFunding("BC-1", "F-1", 1, 1, 333.33m), new PurchaseFunding("BC-2", "F-1", 2, 1, 500.00m)],
            report.Purchases);
        Assert.Equal(t.EligibleExpenditureEur, report.Purchases.Sum(p => p.EligibleExpenditureEur));
        Assert.Equal(t.DevicesRegistered - t.DevicesWithoutPurchaseRecord, report.Purchases.Sum(p => p.DevicesRegistered));
    }

    [Fact]
    public void A_registered_device_counts_under_the_type_its_manifest_states_not_the_type_it_said_at_enrolment()
    {
        // A key holder's device said "laptop"; the reseller invoiced a tablet under its serial.
        var builder = new FundingReportBuilder(Options);
        builder.AddPurchase("INVOICED-TABLET", DeviceTypes.Tablet, new Purchase("BC-1", "F-1", 199_99));
        Add(builder, "0720001K", "INVOICED-TABLET", DeviceTypes.Laptop, ("received", -180), ("registered", -60));

        var report = builder.Build("2026-11-28", CutOff, Schools);

        var a = report.Schools[0];
        Assert.Equal((1, 0, 0, 1), (a.DevicesRegistered, a.DevicesByType.Laptop, a.DevicesByType.Desktop, a.DevicesByType.Tablet));
        Assert.Equal((199.99m, 0), (a.EligibleExpenditureEur, a.DevicesWithoutPurchaseRecord));
        Assert.Equal(new DevicesByType(0, 0, 1), report.Totals.DevicesByType);
        Assert.Equal(report.Totals.DevicesRegistered, report.Totals.DevicesByType.Laptop + report.Totals.DevicesByType.Desktop + report.Totals.DevicesByType.Tablet);
        Assert.Equal([new PurchaseFunding("BC-1", "F-1", 1, 1, 199.99m)], report.Purchases);
        Assert.Equal(report.Totals.EligibleExpenditureEur, report.Purchases.Sum(p => p.EligibleExpenditureEur));
    }

    [Fact]
    public void Where_the_inventory_row_states_no_type_the_device_counts_under_the_type_it_said()
    {
        // An Autopilot CSV line (serial and hash: no type, no invoice) and a serial on no manifest at all.
        var builder = new FundingReportBuilder(Options);
        builder.AddPurchase("AUTOPILOT-ONLY", null, null);
        builder.AddPurchase("INVOICED-DESKTOP", DeviceTypes.Desktop, new Purchase("BC-1", "F-1", 700_00));
        Add(builder, "0720002L", "AUTOPILOT-ONLY", DeviceTypes.Tablet, ("received", -180), ("registered", -60));
        Add(builder, "0720002L", "ON-NO-MANIFEST", DeviceTypes.Laptop, ("received", -180), ("registered", -60));
        Add(builder, "0720002L", "INVOICED-DESKTOP", DeviceTypes.Desktop, ("received", -180), ("registered", -60));

        var report = builder.Build("2026-11-28", CutOff, Schools);

        var b = report.Schools[1];
        Assert.Equal((3, 1, 1, 1), (b.DevicesRegistered, b.DevicesByType.Laptop, b.DevicesByType.Desktop, b.DevicesByType.Tablet));
        Assert.Equal((700.00m, 2), (b.EligibleExpenditureEur, b.DevicesWithoutPurchaseRecord));
        Assert.Equal([new PurchaseFunding("BC-1", "F-1", 1, 1, 700.00m)], report.Purchases);
    }

    [Fact]
    public void The_totals_erdf_amount_is_the_sum_of_the_schools_rounded_amounts_not_the_rate_applied_to_the_summed_expenditure()
    {
        // Each school's 333.33 EUR gives 166.665, rounded to 166.66: the totals claim 333.32. The rate applied to the
        // summed expenditure (666.66 × 0.5 = 333.33) would claim a cent no school's figure carries.
        var builder = new FundingReportBuilder(Options);
        builder.AddPurchase("A-1", "laptop", new Purchase("BC-1", "F-1", 333_33));
        builder.AddPurchase("B-1", "laptop", new Purchase("BC-2", "F-2", 333_33));
        Add(builder, "0720001K", "A-1", "laptop", ("received", -180), ("registered", -60));
        Add(builder, "0720002L", "B-1", "laptop", ("received", -180), ("registered", -60));

        var report = builder.Build("2026-11-28", CutOff, Schools);

        Assert.Equal(666.66m, report.Totals.EligibleExpenditureEur);
        Assert.Equal(333.32m, report.Totals.ErdfAmountEur);
        Assert.Equal(report.Schools.Sum(s => s.ErdfAmountEur), report.Totals.ErdfAmountEur);
        Assert.Equal(report.Schools.Sum(s => s.EligibleExpenditureEur), report.Totals.EligibleExpenditureEur);
        Assert.Equal(report.Schools.Sum(s => s.DevicesRegistered), report.Totals.DevicesRegistered);
    }

    [Theory]
    [InlineData("0.125", "0.12")]
    [InlineData("0.135", "0.14")]
    [InlineData("2.5", "2.50")]
    [InlineData("166.665", "166.66")]
    [InlineData("-0.005", "0.00")]
    public void Cents_round_half_to_even_and_always_carry_two_decimals(string amount, string expected) =>
        Assert.Equal(expected, FundingReportBuilder.Cents(decimal.Parse(amount, CultureInfo.InvariantCulture)).ToString(CultureInfo.InvariantCulture));

    [Theory]
    [InlineData("2026-11-28", "2026-11-28T23:00:00Z")] // winter, UTC+1
    [InlineData("2026-07-14", "2026-07-14T22:00:00Z")] // summer, UTC+2
    [InlineData("2026-10-25", "2026-10-25T23:00:00Z")] // 25-hour day: summer time ends that morning
    [InlineData("2026-03-28", "2026-03-28T23:00:00Z")] // the evening before summer time starts
    [InlineData("2026-03-29", "2026-03-29T22:00:00Z")] // 23-hour day: summer time starts that morning
    public void Cut_off_is_the_end_of_the_day_in_Paris(string date, string expectedUtc)
    {
        var calendar = ReportCalendar.For("Europe/Paris");

        var cutOff = calendar.CutOff(ReportCalendar.ParseDate(date)!.Value);

        Assert.Equal(DateTimeOffset.Parse(expectedUtc, CultureInfo.InvariantCulture), cutOff);
    }

    [Fact]
    public void Csv_has_the_contract_columns_a_line_per_school_and_a_total_that_parse_back()
    {
        var builder = new FundingReportBuilder(Options);
        builder.AddPurchase("CSV-1", "laptop", new Purchase("BC-1", "F-1", 333_33));
        Add(builder, "0720001K", "CSV-1", "laptop", ("received", -10), ("registered", -5));
        var schools = Schools.Append(new School("0721483W", "Collège \"Les Quatre-Vents\", annexe", "Mamers", 10)).ToArray();
        var report = builder.Build("2026-11-28", CutOff, schools);

        var lines = FundingCsv.Write(report).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(FundingCsv.Header, lines[0]);
        Assert.Equal(schools.Length + 2, lines.Length);
        Assert.StartsWith("TOTAL,", lines[^1]);
        Assert.Contains("\"Collège \"\"Les Quatre-Vents\"\", annexe\"", lines[^2]);
        var first = lines[1].Split(',');
        Assert.Equal(("0720001K", "1", "1", "0", "333.33", "166.66"), (first[0], first[4], first[5], first[10], first[12], first[13]));
        var total = lines[^1].Split(',');
        Assert.Equal(report.Totals.ErdfAmountEur, decimal.Parse(total[13], CultureInfo.InvariantCulture));
        Assert.Equal(report.Totals.Pupils.ToString(CultureInfo.InvariantCulture), total[3]);
    }

    [Theory]
    [InlineData("=HYPERLINK(\"http://x\")")]
    [InlineData("+33 2 43")]
    [InlineData("-1+1")]
    [InlineData("@SUM(A1)")]
    public void A_csv_cell_a_spreadsheet_would_read_as_a_formula_is_prefixed_with_an_apostrophe(string name)
    {
        var report = new FundingReportBuilder(Options).Build("2026-11-28", CutOff, [new School("0721483W", name, "Mamers", 10)]);

        var school = FundingCsv.Write(report).Split("\r\n")[1];

        Assert.StartsWith("0721483W,", school);
        Assert.DoesNotContain("," + name, school);
        Assert.Contains("'" + name.Replace("\"", "\"\""), school);
    }

    [Fact]
    public void Invalid_settings_are_refused()
    {
        var options = new FundingOptions { CofinancingRate = 1.2m, TimeZone = "Mars/Olympus" };

        var errors = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).Select(e => e.ErrorMessage).ToList();

        Assert.Contains(errors, e => e!.Contains("CofinancingRate"));
        Assert.Contains(errors, e => e!.Contains("TimeZone"));
    }

    [Fact]
    public void A_held_device_is_neither_registered_nor_pending_and_counts_once_approved_and_registered()
    {
        var builder = new FundingReportBuilder(Options);
        builder.AddPurchase("HELD-THEN-REGISTERED", "laptop", new Purchase("BC-9", "F-9", 400_00));
        Add(builder, "0720001K", "laptop", ("held", -300)); // still held at the cut-off
        Add(builder, "0720001K", "HELD-THEN-REGISTERED", "laptop", ("held", -300), ("received", -200), ("registering", -150), ("registered", -100));
        Add(builder, "0720001K", "laptop", ("held", -300), ("received", 60)); // approved after the cut-off

        var a = builder.Build("2026-11-28", CutOff, Schools).Schools[0];

        Assert.Equal((1, 0, 0, 400.00m), (a.DevicesRegistered, a.DevicesPending, a.DevicesFailed, a.EligibleExpenditureEur));
    }

    private static void Add(FundingReportBuilder builder, string uai, string type, params (string Status, int MinutesFromCutOff)[] steps) =>
        Add(builder, uai, $"SN{Interlocked.Increment(ref _serials)}", type, steps);

    private static void Add(FundingReportBuilder builder, string uai, string serial, string type, params (string Status, int MinutesFromCutOff)[] steps) =>
        AddExact(builder, uai, serial, type, steps.Select(s => (s.Status, CutOff.AddMinutes(s.MinutesFromCutOff))).ToArray());

    private static void AddExact(FundingReportBuilder builder, string uai, string type, params (string Status, DateTimeOffset At)[] steps) =>
        AddExact(builder, uai, $"SN{Interlocked.Increment(ref _serials)}", type, steps);

    private static void AddExact(FundingReportBuilder builder, string uai, string serial, string type, params (string Status, DateTimeOffset At)[] steps)
    {
        var history = steps.Aggregate(StatusHistory.Empty, (h, step) => h.Append(DeviceStatusNames.Parse(step.Status)!.Value, step.At));
        builder.Add(new DeviceReportFacts(uai, serial, type, history), CutOff);
    }
}
