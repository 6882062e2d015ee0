using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Inventory;
using Sarthe.Enrolment.Schools;

namespace Sarthe.Enrolment.Reporting;

/// <summary>
/// The contract's definitions, in one pass over the inventory and one over the devices: each device is classified by
/// its status just before the cut-off; a registered device adds the unit cost its inventory row was invoiced at (none:
/// it counts as without purchase record and adds 0 €), and counts under the type its inventory row states (what was
/// invoiced), under the type the device said only where the row gives none. Costs are whole cents, so eligible
/// expenditure is exact and the purchases' sums equal the schools'; the ERDF share is rounded half-even to cents per
/// school, and totals are sums of the per-school figures. Memory: a tally per school and per purchase, and one entry
/// per inventory row with a cost or a type.
/// </summary>
public sealed class FundingReportBuilder(FundingOptions options)
{
    private readonly Dictionary<string, Tally> _tallies = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Order, string Invoice), PurchaseTally> _purchases = new();
    private readonly Dictionary<string, Bought> _bought = new(StringComparer.Ordinal);

    /// <summary>
    /// An inventory row: the type its manifest states (null when none did: an Autopilot CSV line) and what was invoiced
    /// (null when never invoiced). Every row comes before the first device (<see cref="Add"/> looks its serial up).
    /// </summary>
    public void AddPurchase(string serialNumber, string? deviceType, Purchase? purchase)
    {
        // The constant itself, not the string read from storage: one copy per type, however many rows.
        var type = Array.Find(DeviceTypes.All, t => t == deviceType);
        PurchaseTally? tally = null;
        if (purchase is not null)
        {
            var key = (purchase.PurchaseOrder, purchase.InvoiceNumber);
            if (!_purchases.TryGetValue(key, out tally))
            {
                _purchases[key] = tally = new PurchaseTally();
            }

            tally.Bought++;
        }
        else if (type is null)
        {
            return; // in the inventory but neither invoiced nor typed: nothing the report takes from it
        }

        _bought[serialNumber] = new Bought(tally, purchase?.UnitCostCents ?? 0, type);
    }

    public void Add(DeviceReportFacts device, DateTimeOffset cutOff)
    {
        if (device.History.StatusAt(cutOff) is not { } status || status == DeviceStatus.Deregistered)
        {
            return; // enrolled after the cut-off, or removed from Autopilot before it: not in this report
        }

        // Counted where it belonged at the cut-off (a device moved later counts at its old school).
        var uai = device.Schools.SchoolAt(cutOff, device.SchoolUai);
        if (!_tallies.TryGetValue(uai, out var tally))
        {
            _tallies[uai] = tally = new Tally();
        }

        switch (status)
        {
            case DeviceStatus.Registered:
                tally.Registered++;
                var bought = _bought.GetValueOrDefault(device.SerialNumber);
                // The report is built from what was invoiced: the manifest's type wins over what the device said at enrolment.
                switch (bought.DeviceType ?? device.DeviceType)
                {
                    case DeviceTypes.Laptop: tally.Laptop++; break;
                    case DeviceTypes.Desktop: tally.Desktop++; break;
                    case DeviceTypes.Tablet: tally.Tablet++; break;
                }

                if (bought.Purchase is { } purchase)
                {
                    tally.EligibleCents += bought.Cents;
                    purchase.Registered++;
                    purchase.EligibleCents += bought.Cents;
                }
                else
                {
                    tally.WithoutPurchaseRecord++;
                }

                break;
            case DeviceStatus.Failed:
                tally.Failed++;
                break;
            case DeviceStatus.Held:
                break; // not in registration: waits for an administrator, counted nowhere
            default:
                tally.Pending++;
                break;
        }
    }

    public FundingReport Build(string reportDate, DateTimeOffset generatedAt, IEnumerable<School> schools)
    {
        var rows = schools.OrderBy(s => s.Uai, StringComparer.Ordinal).Select(school =>
        {
            var t = _tallies.GetValueOrDefault(school.Uai) ?? new Tally();
            var eligible = Purchase.Eur(t.EligibleCents);
            var erdf = Cents(eligible * options.CofinancingRate);
            return new SchoolFunding(school.Uai, school.Name, school.Commune, school.Pupils, t.Registered,
                new DevicesByType(t.Laptop, t.Desktop, t.Tablet), t.Pending, t.Failed, t.WithoutPurchaseRecord, t.Registered > 0, eligible, erdf);
        }).ToList();

        var purchases = _purchases
            .OrderBy(p => p.Key.Order, StringComparer.Ordinal).ThenBy(p => p.Key.Invoice, StringComparer.Ordinal)
            .Select(p => new PurchaseFunding(p.Key.Order, p.Key.Invoice, p.Value.Bought, p.Value.Registered, Purchase.Eur(p.Value.EligibleCents)))
            .ToList();

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
            rows.Sum(r => r.DevicesWithoutPurchaseRecord),
            Cents(rows.Sum(r => r.EligibleExpenditureEur)),
            Cents(rows.Sum(r => r.ErdfAmountEur)));

        return new FundingReport(reportDate, generatedAt, options.Currency, options.CofinancingRate, rows, purchases, totals,
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
        public int WithoutPurchaseRecord;
        public long EligibleCents;
    }

    /// <summary>What the report takes from an inventory row: its purchase's tally (null: never invoiced), its cost and its type.</summary>
    private readonly record struct Bought(PurchaseTally? Purchase, long Cents, string? DeviceType);

    private sealed class PurchaseTally
    {
        public int Bought;
        public int Registered;
        public long EligibleCents;
    }
}
