using Microsoft.Playwright;
using Sarthe.DevHost;
using Sarthe.Enrolment.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Sarthe.Enrolment.Tests.Browser;

/// <summary>The dashboard's backend with the unknown-device policy <c>hold</c>.</summary>
public sealed class HoldBrowserFixture : BrowserFixture
{
    protected override void Configure(DevHostOptions options)
    {
        base.Configure(options);
        options.Settings["Enrolment:UnknownDevices"] = "hold";
    }

    /// <summary>A first enrolment of a serial that no manifest brought: held.</summary>
    public async Task<string> EnrolHeldAsync(string school, string prefix)
    {
        var serial = Enroller.NewSerial(prefix);
        using var response = await Enroller.EnrolAsync(serial, school);
        Assert.Equal("held", System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
        return serial;
    }
}

/// <summary>Held devices on the real page: listed with their school, approved by an administrator, seen (not approved) by a reader.</summary>
public sealed class HeldDevicesDashboardTests(HoldBrowserFixture backend) : IClassFixture<HoldBrowserFixture>
{
    private ILocator Held(DashboardPage dashboard, string serial) => dashboard.Page.Locator($"[data-testid=held-device][data-serial='{serial}']");

    [BrowserFact]
    public async Task Administrator_approves_a_held_device_the_result_is_announced_and_the_device_registers()
    {
        const string School = "0720023J";
        var serial = await backend.EnrolHeldAsync(School, "DASHHELD");

        await using var dashboard = await backend.OpenDashboardAsync();
        await dashboard.SignInAsync();
        var held = Held(dashboard, serial);
        await Expect(held).ToContainTextAsync("Collège");
        await Expect(dashboard.TestId("no-held")).ToBeHiddenAsync();
        await dashboard.ScreenshotAsync("dashboard-held-device");

        await held.GetByRole(AriaRole.Button, new() { Name = $"Approve {serial}" }).ClickAsync();

        await Expect(dashboard.TestId("held-result")).ToHaveTextAsync($"{serial} approved: its Autopilot registration starts.");
        await Expect(dashboard.TestId("held-result")).ToHaveAttributeAsync("aria-live", "polite");
        await Expect(held).ToHaveCountAsync(0);
        await Expect(dashboard.Page.Locator("#held-title")).ToBeFocusedAsync();
        await Expect(dashboard.SchoolRow(School).GetByTestId("count-registered")).ToHaveTextAsync("1");
        Assert.Equal("registered", await backend.StatusAsync(serial));
        Assert.Empty(dashboard.Errors);
    }

    [BrowserFact]
    public async Task Read_only_administrator_sees_held_devices_without_an_approve_button()
    {
        var serial = await backend.EnrolHeldAsync("0720024K", "DASHHELDRO");

        await using var dashboard = await backend.OpenDashboardAsync();
        await dashboard.SignInAsync(admin: false);

        await Expect(Held(dashboard, serial)).ToHaveCountAsync(1);
        await Expect(Held(dashboard, serial).GetByTestId("approve")).ToHaveCountAsync(0);
        await Expect(dashboard.TestId("held-read-only")).ToBeVisibleAsync();
        Assert.Empty(dashboard.Errors);
    }

    [BrowserFact]
    public async Task French_dashboard_with_a_held_device_meets_wcag_2_1_aa()
    {
        var serial = await backend.EnrolHeldAsync("0720038A", "A11YHELD");

        await using var dashboard = await backend.OpenDashboardAsync(locale: "fr-FR");
        await dashboard.SignInAsync();
        await Expect(Held(dashboard, serial).GetByRole(AriaRole.Button, new() { Name = $"Approuver {serial}" })).ToHaveCountAsync(1);
        await Expect(dashboard.Page.Locator("#held-title")).ToHaveTextAsync("Appareils retenus (hors inventaire)");

        await AccessibilityTests.AssertNoViolationsAsync(dashboard, "French dashboard with a held device");
        Assert.Empty(dashboard.Errors);
    }
}
