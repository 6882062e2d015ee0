using Microsoft.Playwright;
using Sarthe.Enrolment.DeviceAdmin;
using Sarthe.Enrolment.Devices;
using static Microsoft.Playwright.Assertions;

namespace Sarthe.Enrolment.Tests.Browser;

/// <summary>An administrator's device actions on the dashboard (move, deregister after a confirmation) and each school's Autopilot CSV export.</summary>
[Collection(BrowserCollection.Name)]
public sealed class DeviceActionsTests(BrowserFixture backend)
{
    [BrowserFact]
    public async Task Administrator_moves_a_device_to_another_school_then_deregisters_it_after_confirming()
    {
        const string From = "0720987G";
        const string To = "0720988H";
        var serial = await backend.EnrolAsync(From, "DASHMOVE");
        await backend.SettledAsync(serial);

        await using var dashboard = await backend.OpenDashboardAsync();
        await dashboard.SignInAsync();
        await ShowAsync(dashboard, serial);
        await Expect(dashboard.TestId("device-actions")).ToBeVisibleAsync();
        await Expect(dashboard.TestId("move-school").Locator($"option[value='{From}']")).ToHaveCountAsync(0); // not to its own school

        await dashboard.TestId("move-school").SelectOptionAsync(To);
        await dashboard.TestId("move").ClickAsync();

        await Expect(dashboard.TestId("device-action-result")).ToContainTextAsync($"Device {serial} moved to {To}");
        await Expect(dashboard.TestId("trail-device")).ToContainTextAsync(To);
        await Expect(dashboard.SchoolRow(To).GetByTestId("count-total")).ToHaveTextAsync("1");
        await Expect(dashboard.SchoolRow(From).GetByTestId("count-total")).ToHaveTextAsync("0");
        Assert.Equal(To, (await backend.DeviceAsync(serial))!.Value.GetProperty("schoolUai").GetString());

        // Deregistering asks first; Escape (or Cancel) gives the focus back and does nothing.
        await dashboard.TestId("deregister").ClickAsync();
        await Expect(dashboard.TestId("deregister-confirm")).ToBeVisibleAsync();
        await Expect(dashboard.TestId("deregister-question")).ToContainTextAsync(serial);
        await Expect(dashboard.TestId("deregister-yes")).ToBeFocusedAsync();
        await dashboard.Page.Keyboard.PressAsync("Escape");
        await Expect(dashboard.TestId("deregister-confirm")).ToBeHiddenAsync();
        await Expect(dashboard.TestId("deregister")).ToBeFocusedAsync();
        Assert.Equal("registered", await backend.StatusAsync(serial));

        await dashboard.TestId("deregister").ClickAsync();
        await dashboard.TestId("deregister-yes").ClickAsync();

        await Expect(dashboard.TestId("device-action-result")).ToContainTextAsync($"Deregistration of {serial} requested");
        await Infrastructure.Eventually.MatchesAsync(() => backend.StatusAsync(serial), s => s == "deregistered", because: "the device is removed from Autopilot");
        await ShowAsync(dashboard, serial);
        await Expect(dashboard.TestId("trail-status")).ToHaveAttributeAsync("data-status", "deregistered");
        await Expect(dashboard.TestId("device-actions")).ToBeHiddenAsync(); // nothing left to do to it
        await Expect(dashboard.Page.Locator("[data-testid=trail-event][data-type='device.moved']")).ToHaveCountAsync(1);
        await dashboard.ScreenshotAsync("dashboard-device-actions");
        Assert.Empty(dashboard.Errors);
    }

    [BrowserFact]
    public async Task A_read_only_user_gets_no_device_actions_and_downloads_a_schools_autopilot_csv()
    {
        const string School = "0720989J";
        var serial = await backend.EnrolAsync(School, "DASHCSV");
        await backend.SettledAsync(serial);

        await using var dashboard = await backend.OpenDashboardAsync();
        await dashboard.SignInAsync(admin: false);
        await ShowAsync(dashboard, serial);
        await Expect(dashboard.TestId("device-actions")).ToBeHiddenAsync();
        await Expect(dashboard.TestId("move")).Not.ToBeVisibleAsync();
        await Expect(dashboard.TestId("deregister")).Not.ToBeVisibleAsync();

        var export = dashboard.SchoolRow(School).GetByTestId("export-csv");
        await Expect(export).ToHaveAccessibleNameAsync(new System.Text.RegularExpressions.Regex("Autopilot CSV"));
        var download = await dashboard.Page.RunAndWaitForDownloadAsync(() => export.ClickAsync());

        Assert.Equal($"autopilot-{School}.csv", download.SuggestedFilename);
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        using var expected = await backend.Client.SendAsync(backend.Request(HttpMethod.Get, $"api/schools/{School}/devices?format=autopilot-csv"));
        Assert.Equal(await expected.Content.ReadAsStringAsync(), csv);
        Assert.StartsWith(AutopilotCsv.Header + "\r\n", csv);
        Assert.Contains($"\r\n{serial},,", csv);
        Assert.Empty(dashboard.Errors);
    }

    private static async Task ShowAsync(DashboardPage dashboard, string serial)
    {
        await dashboard.TestId("trail-serial").FillAsync(serial);
        await dashboard.TestId("trail-show").ClickAsync();
        await Expect(dashboard.TestId("trail-status")).ToBeVisibleAsync();
    }
}
