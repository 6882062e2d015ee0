using System.Text.Json;
using Microsoft.Playwright;
using Sarthe.Enrolment.Reporting;
using Sarthe.Enrolment.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Sarthe.Enrolment.Tests.Browser;

/// <summary>The administrators' dashboard in headless Chromium against the dev host: what an administrator sees and does.</summary>
[Collection(BrowserCollection.Name)]
public sealed class DashboardTests(BrowserFixture backend)
{
    [BrowserFact]
    public async Task Dev_sign_in_shows_the_56_schools_and_the_programme_progress()
    {
        await using var dashboard = await backend.OpenDashboardAsync();
        await Expect(dashboard.TestId("sign-in")).ToBeVisibleAsync();
        await Expect(dashboard.TestId("school-rows")).ToBeHiddenAsync();

        await dashboard.SignInAsync();

        await Expect(dashboard.TestId("who")).ToContainTextAsync("administrator");
        await Expect(dashboard.TestId("kpi-schools-of")).ToContainTextAsync("of 56 schools");
        await Expect(dashboard.TestId("kpi-pupils-of")).ToContainTextAsync("of 21,313 pupils");
        await Expect(dashboard.TestId("kpi-registered-of")).ToContainTextAsync("of 8,000 planned");
        await Expect(dashboard.SchoolRow("0720001K")).ToContainTextAsync("Collège John Kennedy");
        await Expect(dashboard.SchoolRow("0720001K")).ToContainTextAsync("Allonnes");
        Assert.Empty(dashboard.Errors);
    }

    [BrowserFact]
    public async Task Counts_change_as_devices_enrol_register_and_become_ready_to_provision()
    {
        const string School = "0720002L";
        await using var dashboard = await backend.OpenDashboardAsync();
        await dashboard.SignInAsync();
        var row = dashboard.SchoolRow(School);
        await Expect(row.GetByTestId("count-total")).ToHaveTextAsync("0");
        var registeredBefore = int.Parse(await dashboard.TestId("kpi-registered").GetAttributeAsync("data-value") ?? "0");

        for (var i = 0; i < 3; i++)
        {
            await backend.EnrolAsync(School, "DASH");
        }

        // The page refreshes itself: no reload, no click.
        await Expect(row.GetByTestId("count-total")).ToHaveTextAsync("3");
        await Expect(row.GetByTestId("count-registered")).ToHaveTextAsync("3");
        await Expect(row.GetByTestId("count-received")).ToHaveTextAsync("0");
        // Then their deployment profile reaches them: ready to restart into Autopilot.
        await Expect(row.GetByTestId("count-ready")).ToHaveTextAsync("3");
        await Expect(dashboard.TestId("kpi-registered")).Not.ToHaveAttributeAsync("data-value", registeredBefore.ToString());
        var registeredAfter = int.Parse(await dashboard.TestId("kpi-registered").GetAttributeAsync("data-value") ?? "0");
        Assert.True(registeredAfter >= registeredBefore + 3, $"registered went from {registeredBefore} to {registeredAfter}");
        Assert.Empty(dashboard.Errors);
    }

    [BrowserFact]
    public async Task Administrator_retries_a_failed_device_and_reads_its_audit_trail()
    {
        const string School = "0720007S";
        var serial = await backend.EnrolAsync(School, "DASHFAIL", ownedByAnotherTenant: true);

        await using var dashboard = await backend.OpenDashboardAsync();
        await dashboard.SignInAsync();
        var failed = dashboard.FailedDevice(serial);
        await Expect(failed).ToContainTextAsync("ZtdDeviceAssignedToOtherTenant");
        await Expect(failed).ToContainTextAsync("Collège");
        await Expect(dashboard.SchoolRow(School).GetByTestId("count-failed")).ToHaveTextAsync("1");
        await dashboard.ScreenshotAsync("dashboard-failed-device");

        // The other tenant released the device; the administrator retries from the page.
        backend.Host.Graph!.State.Options.SerialsOwnedElsewhere.Remove(serial);
        await failed.GetByTestId("retry").ClickAsync();

        await Expect(dashboard.TestId("message")).ToContainTextAsync($"Retry of {serial} accepted");
        await Expect(failed).ToHaveCountAsync(0);
        await Expect(dashboard.SchoolRow(School).GetByTestId("count-registered")).ToHaveTextAsync("1");
        Assert.Equal("registered", await backend.StatusAsync(serial));

        // Its profile follows a moment later: the trail is complete then.
        await Eventually.MatchesAsync(() => backend.DeviceAsync(serial),
            d => d?.GetProperty("autopilot").GetProperty("deploymentProfile").GetProperty("status").GetString() == "assigned", because: "profile assigned");
        // The page reads the trail once, when asked: wait until the audit queue has recorded the last event.
        await Eventually.MatchesAsync(() => backend.GetJsonAsync<JsonElement>($"api/audit?serialNumber={serial}"),
            trail => trail.GetProperty("items").EnumerateArray().Any(e => e.GetProperty("type").GetString() == "device.profile_assigned"), because: "the trail records the profile");
        await dashboard.TestId("trail-serial").FillAsync(serial.ToLowerInvariant());
        await dashboard.TestId("trail-show").ClickAsync();
        await Expect(dashboard.TestId("trail-status")).ToHaveAttributeAsync("data-status", "registered");
        var types = dashboard.Page.Locator("[data-testid=trail-event]");
        await Expect(types.Locator("xpath=self::*[@data-type='device.retry_requested']")).ToHaveCountAsync(1);
        await Expect(types.Locator("xpath=self::*[@data-type='device.registration_failed']")).ToHaveCountAsync(1);
        await Expect(types.Locator("xpath=self::*[@data-type='device.registered']")).ToHaveCountAsync(1);
        await Expect(types.Locator("xpath=self::*[@data-type='device.profile_assigned']")).ToHaveCountAsync(1);
        await Expect(types.First).ToHaveAttributeAsync("data-type", "device.profile_assigned"); // newest first
        Assert.Empty(dashboard.Errors);
    }

    [BrowserFact]
    public async Task Read_only_administrator_sees_failures_but_no_retry_or_build_buttons()
    {
        const string School = "0720004N";
        var serial = await backend.EnrolAsync(School, "DASHREAD", ownedByAnotherTenant: true);

        await using var dashboard = await backend.OpenDashboardAsync();
        await dashboard.SignInAsync(admin: false);

        await Expect(dashboard.TestId("who")).ToContainTextAsync("read only");
        await Expect(dashboard.FailedDevice(serial)).ToContainTextAsync("ZtdDeviceAssignedToOtherTenant");
        await Expect(dashboard.FailedDevice(serial).GetByTestId("retry")).ToHaveCountAsync(0);
        await Expect(dashboard.TestId("failed-shown")).ToBeHiddenAsync(); // every failed device is listed
        await Expect(dashboard.TestId("report-build")).ToBeHiddenAsync();
        await Expect(dashboard.Page.Locator("#manifest-form")).ToBeHiddenAsync();
        Assert.Empty(dashboard.Errors);
    }

    [BrowserFact]
    public async Task Funding_report_is_built_charted_and_downloaded_as_csv()
    {
        const string School = "0720011W";
        var serial = await backend.EnrolAsync(School, "DASHRPT");

        Assert.Equal("registered", (await backend.SettledAsync(serial)).GetProperty("status").GetString());

        await using var dashboard = await backend.OpenDashboardAsync();
        await dashboard.SignInAsync();
        await dashboard.TestId("report-build").ClickAsync();

        await Expect(dashboard.TestId("report")).ToBeVisibleAsync();
        await Expect(dashboard.Page.Locator($"[data-testid=chart-bar][data-uai='{School}']")).ToHaveCountAsync(1);
        var latest = await backend.GetJsonAsync<JsonElement>("api/reports/funding/latest");
        var reportDate = latest.GetProperty("reportDate").GetString()!;
        await Expect(dashboard.TestId("report")).ToHaveAttributeAsync("data-report-date", reportDate);
        await Expect(dashboard.TestId("report-schools")).ToContainTextAsync($"{latest.GetProperty("totals").GetProperty("schoolsSupported").GetInt32()} / 56");

        var download = await dashboard.Page.RunAndWaitForDownloadAsync(() => dashboard.TestId("report-csv").ClickAsync());
        Assert.Equal($"erdf-funding-{reportDate}.csv", download.SuggestedFilename);
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);

        // The file the browser saved is the API's CSV byte for byte.
        using var expected = await backend.Client.SendAsync(backend.Request(HttpMethod.Get, $"api/reports/funding/{reportDate}?format=csv"));
        Assert.Equal(await expected.Content.ReadAsStringAsync(), csv);
        Assert.StartsWith(FundingCsv.Header, csv);
        Assert.Contains($"\r\n{School},", csv);
        await dashboard.ScreenshotAsync("dashboard");
        Assert.Empty(dashboard.Errors);
    }

    [BrowserFact]
    public async Task Administrator_uploads_a_manifest_sees_each_rejected_line_and_the_inventory_per_school()
    {
        const string School = "0720797A";
        var (first, second) = (Enroller.NewSerial("DASHINV"), Enroller.NewSerial("DASHINV"));
        var csv = "serialNumber;schoolUai;deviceType;manufacturer;model;purchaseOrder;invoiceNumber;unitCostEur\r\n" +
                  $"{first};{School};laptop;HP;ProBook 440 G8;BC-DASH;F-DASH;612,50\r\n" +
                  $"{second};{School};laptop;HP;ProBook 440 G8;BC-DASH;F-DASH;612,50\r\n" +
                  $"{Enroller.NewSerial("DASHINV")};{School};laptop;HP;ProBook 440 G8;BC-DASH;F-DASH;-5\r\n";

        await using var dashboard = await backend.OpenDashboardAsync();
        await dashboard.SignInAsync();
        await dashboard.TestId("manifest-file").SetInputFilesAsync(new FilePayload { Name = "livraison.csv", MimeType = "text/csv", Buffer = System.Text.Encoding.UTF8.GetBytes(csv) });
        await dashboard.TestId("manifest-upload").ClickAsync();

        await Expect(dashboard.TestId("manifest-summary")).ToContainTextAsync("livraison.csv: 3 lines, 2 added, 0 updated, 0 unchanged, 1 rejected.");
        var rejected = dashboard.Page.Locator("[data-testid=rejected-line][data-line='4']");
        await Expect(rejected).ToContainTextAsync("unitCostEur");
        await Expect(rejected).ToContainTextAsync("negative");
        var row = dashboard.Page.Locator($"[data-testid=inventory-row][data-uai='{School}']");
        await Expect(row.GetByTestId("inventory-bought")).ToHaveTextAsync("2");
        await Expect(row.GetByTestId("inventory-enrolled")).ToHaveTextAsync("0");

        // One of them boots and registers: the page follows without a reload.
        await backend.SettledAsync(await EnrolSerialAsync(first, School));
        await Expect(row.GetByTestId("inventory-registered")).ToHaveTextAsync("1");
        await Expect(row.GetByTestId("inventory-enrolled")).ToHaveTextAsync("1");

        // A file that is not a manifest is refused whole, with the reason.
        await dashboard.TestId("manifest-file").SetInputFilesAsync(new FilePayload { Name = "notes.csv", MimeType = "text/csv", Buffer = System.Text.Encoding.UTF8.GetBytes("hello,world\n1,2\n") });
        await dashboard.TestId("manifest-upload").ClickAsync();
        await Expect(dashboard.TestId("manifest-refused")).ToContainTextAsync("notes.csv refused");
        await dashboard.ScreenshotAsync("dashboard-inventory");
        Assert.Empty(dashboard.Errors);
    }

    [BrowserFact]
    public async Task The_funding_panel_shows_what_each_purchase_order_and_invoice_bought_and_claims()
    {
        const string School = "0720798B";
        var serial = await backend.EnrolAsync(School, "DASHBUY");
        await backend.SettledAsync(serial);
        await Manifests.ImportAsync(backend, $"{Manifests.ProgrammeHeader}\n{serial},{School},laptop,HP,ProBook,BC-DASHBUY,F-DASHBUY,\"612,50\"\n{Enroller.NewSerial("DASHBUY")},{School},laptop,HP,ProBook,BC-DASHBUY,F-DASHBUY,612.50\n");

        await using var dashboard = await backend.OpenDashboardAsync();
        await dashboard.SignInAsync();
        await dashboard.TestId("report-build").ClickAsync();

        var purchase = dashboard.Page.Locator("[data-testid=purchase-row][data-order='BC-DASHBUY']");
        await Expect(purchase).ToContainTextAsync("F-DASHBUY");
        await Expect(purchase.Locator("td").Nth(2)).ToHaveTextAsync("2");
        await Expect(purchase.Locator("td").Nth(3)).ToHaveTextAsync("1");
        await Expect(purchase.Locator("td").Nth(4)).ToContainTextAsync("612.50");
        var latest = await backend.GetJsonAsync<JsonElement>("api/reports/funding/latest");
        var download = await dashboard.Page.RunAndWaitForDownloadAsync(() => dashboard.TestId("report-purchases-csv").ClickAsync());
        Assert.Equal($"erdf-purchases-{latest.GetProperty("reportDate").GetString()}.csv", download.SuggestedFilename);
        Assert.Contains("BC-DASHBUY,F-DASHBUY,2,1,612.50", await File.ReadAllTextAsync((await download.PathAsync())!));
        Assert.Empty(dashboard.Errors);
    }

    [BrowserFact]
    public async Task A_schools_progress_counts_against_what_was_bought_for_it_in_both_the_schools_table_and_the_inventory()
    {
        // 7 bought, 6 of them registered: 85.7 % in both places (the schools table once said 100 %).
        const string School = "0721363R";
        var serials = Enumerable.Range(0, 7).Select(_ => Enroller.NewSerial("DASHBOUGHT")).ToList();
        await Manifests.ImportAsync(backend, Manifests.ProgrammeHeader + "\n" + string.Concat(serials.Select(s => $"{s},{School},laptop,HP,ProBook,BC-SHARE,F-SHARE,600.00\n")));
        foreach (var serial in serials.Take(6))
        {
            await EnrolSerialAsync(serial, School);
        }

        foreach (var serial in serials.Take(6))
        {
            await backend.SettledAsync(serial);
        }

        await using var dashboard = await backend.OpenDashboardAsync();
        await dashboard.SignInAsync();

        await Expect(dashboard.SchoolRow(School).GetByTestId("school-share")).ToHaveTextAsync("85.7%");
        await Expect(dashboard.Page.Locator($"[data-testid=inventory-row][data-uai='{School}']").GetByTestId("inventory-share")).ToHaveTextAsync("85.7%");
        Assert.Empty(dashboard.Errors);
    }

    private async Task<string> EnrolSerialAsync(string serial, string school)
    {
        using var response = await backend.Enroller.EnrolAsync(serial, school);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        return serial;
    }

    [BrowserFact]
    public async Task Labels_are_in_French_and_English()
    {
        await using var dashboard = await backend.OpenDashboardAsync(locale: "fr-FR");
        await Expect(dashboard.Page.Locator("html")).ToHaveAttributeAsync("lang", "fr");
        await Expect(dashboard.TestId("dev-sign-in-admin")).ToHaveTextAsync("Connexion de développement (administration)");
        await dashboard.SignInAsync();
        await Expect(dashboard.Page.Locator("h1")).ToHaveTextAsync("Programme numérique des collèges de la Sarthe");
        await Expect(dashboard.TestId("kpi-schools-of")).ToContainTextAsync("collèges");
        await dashboard.ScreenshotAsync("dashboard-fr");

        await dashboard.TestId("lang-en").ClickAsync();

        await Expect(dashboard.Page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        await Expect(dashboard.Page.Locator("h1")).ToHaveTextAsync("Sarthe collèges device programme");
        await Expect(dashboard.TestId("kpi-schools-of")).ToContainTextAsync("of 56 schools");
        Assert.Empty(dashboard.Errors);
    }

    [BrowserFact]
    public async Task An_expired_or_forged_session_goes_back_to_sign_in()
    {
        await using var dashboard = await backend.OpenDashboardAsync();
        await dashboard.SignInAsync();

        // A token the API does not accept (as after a key rollover): the next refresh meets a 401.
        await dashboard.Page.EvaluateAsync("() => sessionStorage.setItem('dashboard.devToken', 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlcyI6WyJFbnJvbG1lbnQuQWRtaW4iXX0.c2lnbmF0dXJl')");

        await Expect(dashboard.TestId("sign-in")).ToBeVisibleAsync();
        await Expect(dashboard.TestId("message")).ToContainTextAsync("Session expired");
    }
}
