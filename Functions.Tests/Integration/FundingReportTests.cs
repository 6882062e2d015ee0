using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sarthe.DevHost;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Reporting;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>A backend of its own, so that the report sees only the devices and the inventory seeded here.</summary>
public sealed class ReportingFixture : BackendFixture
{
    protected override void Configure(DevHostOptions options)
    {
        options.Settings["Funding:CofinancingRate"] = "0.6";
        // No dispatcher or sweep here: seeded rows must stay as seeded.
        options.Settings["AutopilotSyncSchedule"] = "0 0 0 1 1 *";
    }
}

public sealed class FundingReportTests(ReportingFixture backend) : IClassFixture<ReportingFixture>
{
    // 2026-10-25 is the 25-hour day on which summer time ends in Paris: its cut-off is 23:00 UTC.
    private const string Date = "2026-10-25";
    private static readonly DateTimeOffset CutOff = new(2026, 10, 25, 23, 0, 0, TimeSpan.Zero);
    private static readonly SemaphoreSlim Seeded = new(1, 1);
    private static bool _seeded;

    [Fact]
    public async Task Report_figures_match_figures_computed_by_hand_from_the_invoices_and_a_rebuild_gives_the_same()
    {
        var report = await BuildAsync();

        Assert.Equal(Date, report.GetProperty("reportDate").GetString());
        Assert.Equal("EUR", report.GetProperty("currency").GetString());
        Assert.Equal(0.6m, report.GetProperty("cofinancingRate").GetDecimal());
        Assert.False(report.TryGetProperty("unitCostsEur", out _));
        Assert.Equal(56, report.GetProperty("schools").GetArrayLength());

        // 0720001K: A1 (BC-1, 450,10) and A2 (BC-2, 199,99) registered before the cut-off: 650.09; ERDF 0.6 x 650.09 = 390.054 -> 390.05.
        // A3 (BC-1) registered 10 min after it: pending; A4 (BC-3) failed.
        var a = School(report, "0720001K");
        Assert.Equal(2, a.GetProperty("devicesRegistered").GetInt32());
        Assert.Equal(1, a.GetProperty("devicesPending").GetInt32());
        Assert.Equal(1, a.GetProperty("devicesFailed").GetInt32());
        Assert.Equal(0, a.GetProperty("devicesWithoutPurchaseRecord").GetInt32());
        Assert.Equal(650.09m, a.GetProperty("eligibleExpenditureEur").GetDecimal());
        Assert.Equal(390.05m, a.GetProperty("erdfAmountEur").GetDecimal());
        Assert.True(a.GetProperty("supported").GetBoolean());

        // 0720002L: B1 (BC-3, 700,00) retried and registered before the cut-off; B2 (BC-1) enrolled after it (not counted).
        var b = School(report, "0720002L");
        Assert.Equal(1, b.GetProperty("devicesRegistered").GetInt32());
        Assert.Equal(1, b.GetProperty("devicesByType").GetProperty("desktop").GetInt32());
        Assert.Equal(0, b.GetProperty("devicesPending").GetInt32());
        Assert.Equal(700.00m, b.GetProperty("eligibleExpenditureEur").GetDecimal());
        Assert.Equal(420.00m, b.GetProperty("erdfAmountEur").GetDecimal());

        // 0720004N: C1 still pending at the cut-off; C2 registered but bought on no manifest: supported, 0 EUR.
        var c = School(report, "0720004N");
        Assert.Equal(1, c.GetProperty("devicesRegistered").GetInt32());
        Assert.Equal(1, c.GetProperty("devicesPending").GetInt32());
        Assert.Equal(1, c.GetProperty("devicesWithoutPurchaseRecord").GetInt32());
        Assert.Equal(0.00m, c.GetProperty("eligibleExpenditureEur").GetDecimal());
        Assert.True(c.GetProperty("supported").GetBoolean());

        var totals = report.GetProperty("totals");
        Assert.Equal(56, totals.GetProperty("schools").GetInt32());
        Assert.Equal(3, totals.GetProperty("schoolsSupported").GetInt32());
        Assert.Equal(21_313, totals.GetProperty("pupils").GetInt32());
        Assert.Equal(444 + 335 + 369, totals.GetProperty("pupilsBenefiting").GetInt32());
        Assert.Equal(4, totals.GetProperty("devicesRegistered").GetInt32());
        Assert.Equal(1, totals.GetProperty("devicesWithoutPurchaseRecord").GetInt32());
        Assert.Equal(1350.09m, totals.GetProperty("eligibleExpenditureEur").GetDecimal());
        Assert.Equal(810.05m, totals.GetProperty("erdfAmountEur").GetDecimal());
        var indicators = report.GetProperty("indicators");
        Assert.Equal(1148, indicators.GetProperty("CO35").GetInt32());
        Assert.Equal(1148, indicators.GetProperty("RCO67").GetInt32());
        Assert.Equal(3, indicators.GetProperty("RCO14").GetInt32());

        // Three purchase orders on two invoices: bought (whatever the devices did), registered at the cut-off, their cost.
        var purchases = report.GetProperty("purchases").EnumerateArray()
            .Select(p => (p.GetProperty("purchaseOrder").GetString(), p.GetProperty("invoiceNumber").GetString(), p.GetProperty("devicesBought").GetInt32(),
                p.GetProperty("devicesRegistered").GetInt32(), p.GetProperty("eligibleExpenditureEur").GetDecimal()))
            .ToList();
        Assert.Equal([("BC-1", "F-100", 3, 1, 450.10m), ("BC-2", "F-100", 1, 1, 199.99m), ("BC-3", "F-200", 3, 1, 700.00m)], purchases);
        Assert.Equal(1350.09m, purchases.Sum(p => p.Item5));

        using var rebuilt = await backend.Client.SendAsync(backend.Request(HttpMethod.Post, $"api/reports/funding?date={Date}", AdminRoles.Admin));
        var again = await rebuilt.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(report.GetProperty("schools").GetRawText(), again.GetProperty("schools").GetRawText());
        Assert.Equal(report.GetProperty("purchases").GetRawText(), again.GetProperty("purchases").GetRawText());
        Assert.Equal(report.GetProperty("totals").GetRawText(), again.GetProperty("totals").GetRawText());
    }

    [Fact]
    public async Task A_device_counts_under_the_type_its_manifest_states_and_under_its_own_where_the_manifest_states_none()
    {
        var report = await BuildAsync();

        // 0720001K: A1 said laptop and was invoiced as one; A2 said laptop but was invoiced as a tablet (BC-2, 199,99).
        var a = School(report, "0720001K");
        Assert.Equal((1, 0, 1), ByType(a));
        Assert.Equal(650.09m, a.GetProperty("eligibleExpenditureEur").GetDecimal());
        // 0720004N: C2's only inventory line is an Autopilot CSV's (no type): it counts as the laptop it said it is.
        var c = School(report, "0720004N");
        Assert.Equal((1, 0, 0), ByType(c));
        Assert.Equal(1, c.GetProperty("devicesWithoutPurchaseRecord").GetInt32());

        // Every registered device in exactly one bucket, in each school and in the totals.
        var totals = report.GetProperty("totals");
        Assert.Equal((2, 1, 1), ByType(totals));
        Assert.All(report.GetProperty("schools").EnumerateArray().Append(totals), figures =>
        {
            var (laptop, desktop, tablet) = ByType(figures);
            Assert.Equal(figures.GetProperty("devicesRegistered").GetInt32(), laptop + desktop + tablet);
        });
        Assert.Equal(1350.09m, totals.GetProperty("eligibleExpenditureEur").GetDecimal());
    }

    /// <summary>The report of <see cref="Date"/>, built over the seeded devices and inventory.</summary>
    private async Task<JsonElement> BuildAsync()
    {
        await SeedAsync();
        using var response = await backend.Client.SendAsync(backend.Request(HttpMethod.Post, $"api/reports/funding?date={Date}", AdminRoles.Admin));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static (int Laptop, int Desktop, int Tablet) ByType(JsonElement figures)
    {
        var byType = figures.GetProperty("devicesByType");
        return (byType.GetProperty("laptop").GetInt32(), byType.GetProperty("desktop").GetInt32(), byType.GetProperty("tablet").GetInt32());
    }

    [Fact]
    public async Task Json_csv_and_purchases_csv_agree()
    {
        await SeedAsync();
        (await backend.Client.SendAsync(backend.Request(HttpMethod.Post, $"api/reports/funding?date={Date}", AdminRoles.Admin))).Dispose();
        var json = await backend.GetJsonAsync<JsonElement>($"api/reports/funding/{Date}");

        using var request = backend.Request(HttpMethod.Get, $"api/reports/funding/{Date}");
        request.Headers.Accept.ParseAdd("text/csv");
        using var response = await backend.Client.SendAsync(request);
        using var byQuery = await backend.GetAsync($"api/reports/funding/{Date}?format=csv&view=schools");
        using var purchasesResponse = await backend.GetAsync($"api/reports/funding/{Date}?format=csv&view=purchases");
        using var badView = await backend.GetAsync($"api/reports/funding/{Date}?format=csv&view=invoices");

        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var csv = await response.Content.ReadAsStringAsync();
        Assert.Equal(csv, await byQuery.Content.ReadAsStringAsync());
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(FundingCsv.Header, lines[0]);
        Assert.Equal(58, lines.Length);
        var a = lines.Single(l => l.StartsWith("0720001K,", StringComparison.Ordinal)).Split(',');
        Assert.Equal(School(json, "0720001K").GetProperty("erdfAmountEur").GetDecimal(), decimal.Parse(a[^1], CultureInfo.InvariantCulture));
        var total = lines[^1].Split(',');
        Assert.Equal("TOTAL", total[0]);
        Assert.Equal(json.GetProperty("totals").GetProperty("erdfAmountEur").GetDecimal(), decimal.Parse(total[^1], CultureInfo.InvariantCulture));
        Assert.Equal(json.GetProperty("totals").GetProperty("eligibleExpenditureEur").GetDecimal(), decimal.Parse(total[^2], CultureInfo.InvariantCulture));
        Assert.Equal(json.GetProperty("totals").GetProperty("devicesWithoutPurchaseRecord").GetInt32(), int.Parse(total[10], CultureInfo.InvariantCulture));

        Assert.Contains("erdf-purchases-", purchasesResponse.Content.Headers.ContentDisposition?.ToString());
        var purchases = (await purchasesResponse.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(FundingCsv.PurchasesHeader, purchases[0]);
        Assert.Equal(["BC-1,F-100,3,1,450.10", "BC-2,F-100,1,1,199.99", "BC-3,F-200,3,1,700.00", "TOTAL,,7,3,1350.09"], purchases[1..]);
        Assert.Equal(decimal.Parse(total[^2], CultureInfo.InvariantCulture), decimal.Parse(purchases[^1].Split(',')[^1], CultureInfo.InvariantCulture));
        await ProblemAssert.IsProblemAsync(badView, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task List_latest_and_missing_reports()
    {
        await SeedAsync();
        (await backend.Client.SendAsync(backend.Request(HttpMethod.Post, "api/reports/funding?date=2026-10-20", AdminRoles.Admin))).Dispose();
        (await backend.Client.SendAsync(backend.Request(HttpMethod.Post, $"api/reports/funding?date={Date}", AdminRoles.Admin))).Dispose();

        var list = await backend.GetJsonAsync<JsonElement>("api/reports/funding");
        var dates = list.EnumerateArray().Select(r => r.GetProperty("reportDate").GetString()!).ToList();
        Assert.Equal(dates.OrderDescending(StringComparer.Ordinal), dates);
        Assert.Contains("2026-10-20", dates);

        var latest = await backend.GetJsonAsync<JsonElement>("api/reports/funding/latest");
        Assert.Equal(dates[0], latest.GetProperty("reportDate").GetString());

        using var missing = await backend.GetAsync("api/reports/funding/2025-01-15");
        await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.NotFound);
        using var beforeTheProgramme = await backend.GetAsync("api/reports/funding/2020-01-01");
        await ProblemAssert.IsProblemAsync(beforeTheProgramme, HttpStatusCode.BadRequest);
        using var bad = await backend.GetAsync("api/reports/funding/28-11-2026");
        await ProblemAssert.IsProblemAsync(bad, HttpStatusCode.BadRequest);
        using var badBuild = await backend.Client.SendAsync(backend.Request(HttpMethod.Post, "api/reports/funding?date=tomorrow", AdminRoles.Admin));
        await ProblemAssert.IsProblemAsync(badBuild, HttpStatusCode.BadRequest);
        using var readOnly = await backend.Client.SendAsync(backend.Request(HttpMethod.Post, "api/reports/funding", AdminRoles.Read));
        await ProblemAssert.IsProblemAsync(readOnly, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_build_by_an_administrator_is_audited_with_their_id()
    {
        await SeedAsync();
        using var built = await backend.Client.SendAsync(backend.Request(HttpMethod.Post, "api/reports/funding?date=2026-10-21", AdminRoles.Admin));
        Assert.Equal(HttpStatusCode.Created, built.StatusCode);

        var audit = backend.Host.Services.GetRequiredService<Azure.Data.Tables.TableServiceClient>().GetTableClient(Sarthe.Enrolment.Hosting.TableNames.AuditEvents);
        var entries = await Eventually.MatchesAsync(
            () => audit.QueryAsync<Azure.Data.Tables.TableEntity>(e => e.PartitionKey == Sarthe.Enrolment.Trail.AuditTrail.ProgrammePartition).ToListAsync().AsTask(),
            list => list.Any(e => e.GetString("Data")?.Contains("\"2026-10-21\"", StringComparison.Ordinal) == true),
            because: "the build reaches the trail");

        var entry = entries.Single(e => e.GetString("Data")!.Contains("\"2026-10-21\"", StringComparison.Ordinal));
        Assert.Equal(Sarthe.Enrolment.Audit.AuditEventTypes.ReportFundingBuilt, entry.GetString("Type"));
        Assert.Equal("administrator", entry.GetString("ActorKind"));
        Assert.False(string.IsNullOrEmpty(entry.GetString("ActorId")));
    }

    [Fact]
    public async Task The_nightly_run_builds_what_is_due_once()
    {
        var service = backend.Host.Services.GetRequiredService<FundingReportService>();

        var first = await service.BuildDueAsync(CancellationToken.None);
        var second = await service.BuildDueAsync(CancellationToken.None);

        Assert.Empty(second);
        var list = await backend.GetJsonAsync<JsonElement>("api/reports/funding");
        Assert.All(first, d => Assert.Contains(list.EnumerateArray(), r => r.GetProperty("reportDate").GetString() == d));
    }

    private static JsonElement School(JsonElement report, string uai) =>
        report.GetProperty("schools").EnumerateArray().Single(s => s.GetProperty("uai").GetString() == uai);

    private async Task SeedAsync()
    {
        await Seeded.WaitAsync();
        try
        {
            if (_seeded)
            {
                return;
            }

            var store = backend.Host.Services;
            await Seed(store, "0720001K", "RPT-A1", "laptop", ("received", -300), ("registering", -200), ("registered", -100));
            await Seed(store, "0720001K", "RPT-A2", "laptop", ("received", -300), ("registered", -1)); // said laptop; invoiced as a tablet
            await Seed(store, "0720001K", "RPT-A3", "laptop", ("received", -300), ("registering", -200), ("registered", 10));
            await Seed(store, "0720001K", "RPT-A4", "desktop", ("received", -300), ("failed", -250));
            await Seed(store, "0720002L", "RPT-B1", "desktop", ("received", -600), ("failed", -500), ("received", -400), ("registering", -300), ("registered", -200));
            await Seed(store, "0720002L", "RPT-B2", "laptop", ("received", 1), ("registered", 60));
            await Seed(store, "0720004N", "RPT-C1", "tablet", ("received", -600), ("failed", -500), ("received", -30), ("registered", 30));
            await Seed(store, "0720004N", "RPT-C2", "laptop", ("received", -600), ("registered", -50)); // on no manifest

            // What the resellers invoiced, as a French spreadsheet writes it: three orders on two invoices, decimal commas.
            await Manifests.ImportAsync(backend, string.Join("\r\n",
                "serialNumber;schoolUai;deviceType;manufacturer;model;purchaseOrder;invoiceNumber;unitCostEur",
                "RPT-A1;0720001K;laptop;HP;ProBook 440 G8;BC-1;F-100;450,10",
                "RPT-A3;0720001K;laptop;HP;ProBook 440 G8;BC-1;F-100;450,10",
                "RPT-B2;0720002L;laptop;HP;ProBook 440 G8;BC-1;F-100;450,10",
                "RPT-A2;0720001K;tablet;Lenovo;Tab M10;BC-2;F-100;199,99",
                "RPT-A4;0720001K;desktop;Dell;OptiPlex 3000;BC-3;F-200;700,00",
                "RPT-B1;0720002L;desktop;Dell;OptiPlex 3000;BC-3;F-200;700",
                "RPT-X1;0720002L;desktop;Dell;OptiPlex 3000;BC-3;F-200;700,00") + "\r\n", "reseller.csv", bom: true);
            // C2's hash from the OEM: in the inventory, but with neither a type nor an invoice.
            await Manifests.ImportAsync(backend, $"Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\r\nRPT-C2,,{Manifests.Hash("RPT-C2")},0720004N\r\n", "oem.csv");
            _seeded = true;
        }
        finally
        {
            Seeded.Release();
        }
    }

    private static async Task Seed(IServiceProvider services, string uai, string serial, string type, params (string Status, int MinutesFromCutOff)[] steps)
    {
        // Any history, as years of retries could have left it: written to the row directly.
        var history = steps.Aggregate(StatusHistory.Empty, (h, step) => h.Append(DeviceStatusNames.Parse(step.Status)!.Value, CutOff.AddMinutes(step.MinutesFromCutOff)));
        var row = new DeviceEntity
        {
            PartitionKey = uai, RowKey = serial, DeviceType = type, Manufacturer = "HP", Model = "Test", HardwareHash = "AAAA",
            Status = steps[^1].Status, StatusHistory = history.ToString(), EnrolledAt = CutOff.AddMinutes(steps[0].MinutesFromCutOff),
        };
        await services.GetRequiredService<SerialClaims>().ClaimAsync(serial, uai, CancellationToken.None);
        Assert.True(await services.GetRequiredService<DeviceStore>().TryAddAsync(new Device(row), NewDeviceEvents.WithNextChange, CancellationToken.None));
    }
}
