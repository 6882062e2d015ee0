using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Schools;

namespace Sarthe.Enrolment.Reporting;

/// <summary>
/// The contract's definitions, in one pass over the devices with memory in the number of schools: each
/// device is classified by its status just before the cut-off; money is decimal, rounded half-even to
/// cents per school, and totals are sums of the per-school figures.
/// </summary>
public sealed class FundingReportBuilder(FundingOptions options)
{
    private readonly Dictionary<string, Tally> _tallies = new(StringComparer.Ordinal);

    public void Add(DeviceReportFacts device, DateTimeOffset cutOff)
    {
        if (device.History.StatusAt(cutOff) is not { } status)
        {
            return; // enrolled after the cut-off: not in this report
        }

        if (!_tallies.TryGetValue(device.SchoolUai, out var tally))
        {
            _tallies[device.SchoolUai] = tally = new Tally();
        }

        switch (status)
        {
            case DeviceStatus.Registered:
                tally.Registered++;
                switch (device.DeviceType)
                {
                    case DeviceTypes.Laptop: tally.Laptop++; break;
                    case DeviceTypes.Desktop: tally.Desktop++; break;
                    case DeviceTypes.Tablet: tally.Tablet++; break;
                }

                break;
            case DeviceStatus.Failed:
                tally.Failed++;
                break;
            default:
                tally.Pending++;
                break;
        }
    }

    public FundingReport Build(string reportDate, DateTimeOffset generatedAt, IEnumerable<School> schools)
    {
        var costs = options.UnitCostsEur;
        var rows = schools.OrderBy(s => s.Uai, StringComparer.Ordinal).Select(school =>
        {
            var t = _tallies.GetValueOrDefault(school.Uai) ?? new Tally();
            var eligible = Cents((t.Laptop * costs.Laptop) + (t.Desktop * costs.Desktop) + (t.Tablet * costs.Tablet));
            var erdf = Cents(eligible * options.CofinancingRate);
            return new SchoolFunding(school.Uai, school.Name, school.Commune, school.Pupils, t.Registered,
                new DevicesByType(t.Laptop, t.Desktop, t.Tablet), t.Pending, t.Failed, t.Registered > 0, eligible, erdf);
        }).ToList();

        var supported = rows.Where(r => r.Supported).ToList();
        var pupilsBenefiting = supported.Sum(r => r.Pupils);
        var totals = new FundingTotals(
            rows.Count,
            supported.Count,
            rows.Sum(r => r.Pupils),
            pupilsBenefiting,
            rows.Sum(r => r.DevicesRegistered),
            rows.Aggregate(DevicesByType.None, (sum, r) => sum.Add(r.DevicesByType)),
            rows.Sum(r => r.DevicesPending),
            rows.Sum(r => r.DevicesFailed),
            Cents(rows.Sum(r => r.EligibleExpenditureEur)),
            Cents(rows.Sum(r => r.ErdfAmountEur)));

        return new FundingReport(reportDate, generatedAt, options.Currency, options.CofinancingRate,
            new UnitCostsView(costs.Laptop, costs.Desktop, costs.Tablet), rows, totals,
            new FundingIndicators(pupilsBenefiting, pupilsBenefiting, supported.Count));
    }

    /// <summary>Half-even to cents, always written with two decimals.</summary>
    public static decimal Cents(decimal amount) => decimal.Round(amount, 2, MidpointRounding.ToEven) + 0.00m;

    private sealed class Tally
    {
        public int Registered;
        public int Laptop;
        public int Desktop;
        public int Tablet;
        public int Pending;
        public int Failed;
    }
}
