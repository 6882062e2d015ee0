using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sarthe.DevHost;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Reporting;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>A backend of its own (the report sees only this test's devices), pipeline running, ERDF rate 50 %.</summary>
public sealed class LifecycleReportFixture : BackendFixture
{
    protected override void Configure(DevHostOptions options) => options.Settings["Funding:CofinancingRate"] = "0.5";
}

/// <summary>
/// The ERDF report around a move and a deregistration, computed by hand: the report of yesterday (its cut-off before both)
/// and of today (after both), built before and after, and rebuilt once the deregistered serial is enrolled again elsewhere.
/// </summary>
public sealed class LifecycleReportTests(LifecycleReportFixture backend) : IClassFixture<LifecycleReportFixture>
{
    private const string A = "0720905T";
    private const string B = "0720906U";
    private const string C = "0720986F";

    [Fact]
    public async Task A_moved_device_counts_at_its_old_school_before_the_move_and_at_the_new_one_after_and_a_deregistered_one_only_before_its_removal()
    {
        var paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, paris).DateTime);
        var yesterday = ReportCalendar.Format(today.AddDays(-1));
        var todayText = ReportCalendar.Format(today);
        var registeredAt = DateTimeOffset.UtcNow.AddDays(-2);

        // Registered two days ago, all in Autopilot: M1 will move from A to B, D1 will be deregistered at A.
        await SeedRegisteredAsync(A, "LCR-M1", "laptop", registeredAt);
        await SeedRegisteredAsync(A, "LCR-D1", "desktop", registeredAt);
        await SeedRegisteredAsync(A, "LCR-K1", "tablet", registeredAt);
        await SeedRegisteredAsync(B, "LCR-N1", "laptop", registeredAt); // bought on no manifest
        await Manifests.ImportAsync(backend, string.Join("\r\n",
            "serialNumber;schoolUai;deviceType;manufacturer;model;purchaseOrder;invoiceNumber;unitCostEur",
            $"LCR-M1;{A};laptop;HP;ProBook 440 G8;BC-10;F-10;500,00",
            $"LCR-K1;{A};tablet;Lenovo;Tab M10;BC-10;F-10;500",
            $"LCR-D1;{A};desktop;Dell;OptiPlex 3000;BC-11;F-10;300,50") + "\r\n", "lifecycle-reseller.csv");

        var before = await BuildAsync(yesterday);
        // Yesterday, before anything: A has M1, D1, K1 registered = 500.00 + 300.50 + 500.00 = 1300.50, ERDF 650.25;
        // B has N1, without purchase record.
        AssertSchool(before, A, registered: 3, eligible: 1300.50m, erdf: 650.25m, withoutRecord: 0);
        AssertSchool(before, B, registered: 1, eligible: 0.00m, erdf: 0.00m, withoutRecord: 1);
        AssertPurchases(before, ("BC-10", "F-10", 2, 2, 1000.00m), ("BC-11", "F-10", 1, 1, 300.50m));

        using (var moved = await MoveAsync("LCR-M1", B))
        {
            Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        }

        (await backend.Client.SendAsync(backend.Request(HttpMethod.Delete, "api/devices/LCR-D1", AdminRoles.Admin))).Dispose();
        await Eventually.MatchesAsync(() => backend.StatusAsync("LCR-D1"), s => s == "deregistered", because: "D1 is removed from Autopilot");

        // Rebuilt after both: yesterday's figures do not change.
        var rebuilt = await BuildAsync(yesterday);
        Assert.Equal(before.GetProperty("schools").GetRawText(), rebuilt.GetProperty("schools").GetRawText());
        Assert.Equal(before.GetProperty("purchases").GetRawText(), rebuilt.GetProperty("purchases").GetRawText());
        Assert.Equal(before.GetProperty("totals").GetRawText(), rebuilt.GetProperty("totals").GetRawText());

        // Today, after both: A keeps K1 (500.00, ERDF 250.00); B has N1 and M1 (M1's invoiced 500.00 follows it); D1 is not counted.
        var after = await BuildAsync(todayText);
        AssertSchool(after, A, registered: 1, eligible: 500.00m, erdf: 250.00m, withoutRecord: 0);
        AssertSchool(after, B, registered: 2, eligible: 500.00m, erdf: 250.00m, withoutRecord: 1);
        var totals = after.GetProperty("totals");
        Assert.Equal(3, totals.GetProperty("devicesRegistered").GetInt32());
        Assert.Equal(1000.00m, totals.GetProperty("eligibleExpenditureEur").GetDecimal());
        Assert.Equal(500.00m, totals.GetProperty("erdfAmountEur").GetDecimal());
        AssertPurchases(after, ("BC-10", "F-10", 2, 2, 1000.00m), ("BC-11", "F-10", 1, 0, 0.00m));
        await AssertCsvAgreesAsync(todayText, after);

        // D1's serial enrolled again at C: the new device counts at C from today; yesterday still counts the old one at A.
        // The purchase inventory gives it to C first: a serial in another school's inventory is refused (contract v1.2).
        await Manifests.ImportAsync(backend, "serialNumber;schoolUai;deviceType;manufacturer;model;purchaseOrder;invoiceNumber;unitCostEur\r\n" +
            $"LCR-D1;{C};desktop;Dell;OptiPlex 3000;BC-11;F-10;300,50\r\n", "lifecycle-reassigned.csv");
        using (var reenrolled = await backend.Enroller.EnrolAsync("LCR-D1", C, "desktop"))
        {
            Assert.Equal(HttpStatusCode.Accepted, reenrolled.StatusCode);
        }

        Assert.Equal("registered", (await backend.SettledAsync("LCR-D1")).GetProperty("status").GetString());
        var yesterdayAgain = await BuildAsync(yesterday);
        Assert.Equal(before.GetProperty("schools").GetRawText(), yesterdayAgain.GetProperty("schools").GetRawText());
        Assert.Equal(before.GetProperty("totals").GetRawText(), yesterdayAgain.GetProperty("totals").GetRawText());
        var todayAgain = await BuildAsync(todayText);
        AssertSchool(todayAgain, C, registered: 1, eligible: 300.50m, erdf: 150.25m, withoutRecord: 0);
        AssertSchool(todayAgain, A, registered: 1, eligible: 500.00m, erdf: 250.00m, withoutRecord: 0);
        AssertPurchases(todayAgain, ("BC-10", "F-10", 2, 2, 1000.00m), ("BC-11", "F-10", 1, 1, 300.50m));
        await AssertCsvAgreesAsync(todayText, todayAgain);
    }

    private async Task SeedRegisteredAsync(string uai, string serial, string type, DateTimeOffset registeredAt)
    {
        // In Autopilot as the pipeline would have left it, two days ago.
        var inAutopilot = backend.Host.Graph!.State.RegisterDevice(serial, uai);
        var history = StatusHistory.Empty.Append(DeviceStatus.Received, registeredAt.AddHours(-1)).Append(DeviceStatus.Registering, registeredAt.AddMinutes(-30))
            .Append(DeviceStatus.Registered, registeredAt);
        var row = new DeviceEntity
        {
            PartitionKey = uai, RowKey = serial, DeviceType = type, Manufacturer = "HP", Model = "Test", HardwareHash = Manifests.Hash(serial),
            Status = "registered", StatusHistory = history.ToString(), EnrolledAt = registeredAt.AddHours(-1), UpdatedAt = registeredAt,
            RegisteredAt = registeredAt, GroupTag = uai, AutopilotDeviceId = inAutopilot.Id, ImportStatus = Device.ImportComplete, ProfileStatus = "assigned",
        };
        var store = backend.Host.Services.GetRequiredService<DeviceStore>();
        Assert.Equal(uai, await backend.Host.Services.GetRequiredService<SerialClaims>().ClaimAsync(serial, uai, CancellationToken.None));
        Assert.True(await store.TryAddAsync(new Device(row), NewDeviceEvents.WithNextChange, CancellationToken.None));
    }

    private async Task<JsonElement> BuildAsync(string date)
    {
        using var response = await backend.Client.SendAsync(backend.Request(HttpMethod.Post, $"api/reports/funding?date={date}", AdminRoles.Admin));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private Task<HttpResponseMessage> MoveAsync(string serial, string uai)
    {
        var request = backend.Request(HttpMethod.Post, $"api/devices/{serial}/move", AdminRoles.Admin);
        request.Content = new StringContent($"{{\"schoolUai\":\"{uai}\"}}", Encoding.UTF8, "application/json");
        return backend.Client.SendAsync(request);
    }

    private async Task AssertCsvAgreesAsync(string date, JsonElement json)
    {
        var csv = (await (await backend.GetAsync($"api/reports/funding/{date}?format=csv")).Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var purchases = (await (await backend.GetAsync($"api/reports/funding/{date}?format=csv&view=purchases")).Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(FundingCsv.Header, csv[0]);
        foreach (var uai in new[] { A, B, C })
        {
            var school = School(json, uai);
            var cells = csv.Single(l => l.StartsWith(uai + ",", StringComparison.Ordinal)).Split(',');
            Assert.Equal(school.GetProperty("devicesRegistered").GetInt32(), int.Parse(cells[4], CultureInfo.InvariantCulture));
            Assert.Equal(school.GetProperty("devicesWithoutPurchaseRecord").GetInt32(), int.Parse(cells[10], CultureInfo.InvariantCulture));
            Assert.Equal(school.GetProperty("eligibleExpenditureEur").GetDecimal(), decimal.Parse(cells[12], CultureInfo.InvariantCulture));
            Assert.Equal(school.GetProperty("erdfAmountEur").GetDecimal(), decimal.Parse(cells[13], CultureInfo.InvariantCulture));
        }

        var total = csv[^1].Split(',');
        var totals = json.GetProperty("totals");
        Assert.Equal("TOTAL", total[0]);
        Assert.Equal(totals.GetProperty("eligibleExpenditureEur").GetDecimal(), decimal.Parse(total[12], CultureInfo.InvariantCulture));
        Assert.Equal(totals.GetProperty("erdfAmountEur").GetDecimal(), decimal.Parse(total[13], CultureInfo.InvariantCulture));
        Assert.Equal(FundingCsv.PurchasesHeader, purchases[0]);
        var expectedPurchases = json.GetProperty("purchases").EnumerateArray()
            .Select(p => string.Join(',', p.GetProperty("purchaseOrder").GetString(), p.GetProperty("invoiceNumber").GetString(), p.GetProperty("devicesBought").GetInt32(),
                p.GetProperty("devicesRegistered").GetInt32(), p.GetProperty("eligibleExpenditureEur").GetDecimal().ToString("0.00", CultureInfo.InvariantCulture)));
        Assert.Equal(expectedPurchases, purchases[1..^1]);
        Assert.Equal(totals.GetProperty("eligibleExpenditureEur").GetDecimal(), decimal.Parse(purchases[^1].Split(',')[^1], CultureInfo.InvariantCulture));
    }

    private static void AssertSchool(JsonElement report, string uai, int registered, decimal eligible, decimal erdf, int withoutRecord)
    {
        var school = School(report, uai);
        Assert.Equal(registered, school.GetProperty("devicesRegistered").GetInt32());
        Assert.Equal(0, school.GetProperty("devicesPending").GetInt32());
        Assert.Equal(withoutRecord, school.GetProperty("devicesWithoutPurchaseRecord").GetInt32());
        Assert.Equal(eligible, school.GetProperty("eligibleExpenditureEur").GetDecimal());
        Assert.Equal(erdf, school.GetProperty("erdfAmountEur").GetDecimal());
    }

    private static void AssertPurchases(JsonElement report, params (string Order, string Invoice, int Bought, int Registered, decimal Eligible)[] expected) =>
        Assert.Equal(expected, report.GetProperty("purchases").EnumerateArray()
            .Select(p => (p.GetProperty("purchaseOrder").GetString()!, p.GetProperty("invoiceNumber").GetString()!, p.GetProperty("devicesBought").GetInt32(),
                p.GetProperty("devicesRegistered").GetInt32(), p.GetProperty("eligibleExpenditureEur").GetDecimal()))
            .ToArray());

    private static JsonElement School(JsonElement report, string uai) =>
        report.GetProperty("schools").EnumerateArray().Single(s => s.GetProperty("uai").GetString() == uai);
}
