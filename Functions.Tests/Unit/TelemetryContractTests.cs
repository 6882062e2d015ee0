using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using Sarthe.DevHost;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Tests.Unit;

/// <summary>
/// The alerts, the workbook and the guide read metrics by name: each name they read is one the product records, and
/// each alert of the template has its line in docs/operations.md.
/// </summary>
public sealed partial class TelemetryContractTests
{
    private static readonly string Infra = Path.Combine(RepositoryPaths.Root, "infra");

    [Fact]
    public void Every_metric_the_alerts_and_the_workbook_read_is_one_the_product_records()
    {
        var recorded = ProductInstruments();
        var read = MetricName().Matches(File.ReadAllText(Path.Combine(Infra, "monitoring.bicep")) + File.ReadAllText(Path.Combine(Infra, "workbook.json")))
            .Select(m => m.Groups["name"].Value)
            .ToHashSet();

        Assert.NotEmpty(read);
        Assert.All(read, name => Assert.Contains(name, recorded));
    }

    [Fact]
    public void Every_metric_the_product_records_is_in_the_operations_guide()
    {
        var guide = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "operations.md"));

        Assert.All(ProductInstruments(), name => Assert.Contains($"`{name}`", guide, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("health-failing")]
    [InlineData("failed-devices-rising")]
    [InlineData("poison-messages")]
    [InlineData("graph-throttling-sustained")]
    [InlineData("funding-report-late")]
    public void Each_alert_is_in_the_template_and_in_the_guide(string alert)
    {
        var template = File.ReadAllText(Path.Combine(Infra, "monitoring.bicep"));
        var guide = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "operations.md"));

        Assert.Contains($"'{alert}", template, StringComparison.Ordinal);
        Assert.Contains($"`{alert}-<env>`", guide, StringComparison.Ordinal);
    }

    /// <summary>The instruments of the product's meter, as a listener sees them published.</summary>
    private static HashSet<string> ProductInstruments()
    {
        _ = EnrolmentTelemetry.Source; // the meter and its instruments are created with the class
        var names = new HashSet<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == EnrolmentTelemetry.Name)
                {
                    names.Add(instrument.Name);
                }
            },
        };
        listener.Start();
        return names;
    }

    [GeneratedRegex(@"(?<name>enrolment\.[a-z_]+(?:\.[a-z_]+)*)")]
    private static partial Regex MetricName();
}
