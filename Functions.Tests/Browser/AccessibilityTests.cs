using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Sarthe.Enrolment.Tests.Browser;

/// <summary>The dashboard checked by axe-core against WCAG 2.1 A and AA, in the states an administrator sees.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AccessibilityTests(BrowserFixture backend)
{
    private static readonly AxeRunOptions Wcag21AA = new()
    {
        RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    };

    [BrowserFact]
    public async Task Sign_in_screen_and_dashboard_meet_wcag_2_1_aa()
    {
        await using var dashboard = await backend.OpenDashboardAsync();
        await Expect(dashboard.TestId("sign-in")).ToBeVisibleAsync();
        await AssertNoViolationsAsync(dashboard, "sign-in screen");

        await dashboard.SignInAsync();

        await AssertNoViolationsAsync(dashboard, "dashboard");
        Assert.Empty(dashboard.Errors);
    }

    [BrowserFact]
    public async Task French_dashboard_with_a_failed_device_its_trail_and_a_report_meets_wcag_2_1_aa()
    {
        // A registered device, so the report has a bar to chart, and a failed one to list and trace.
        await backend.SettledAsync(await backend.EnrolAsync("0720015A", "A11Y"));
        var failed = await backend.EnrolAsync("0720019E", "A11YFAIL", ownedByAnotherTenant: true);

        await using var dashboard = await backend.OpenDashboardAsync(locale: "fr-FR");
        await dashboard.SignInAsync();
        await Expect(dashboard.FailedDevice(failed)).ToContainTextAsync("ZtdDeviceAssignedToOtherTenant");
        await dashboard.FailedDevice(failed).GetByRole(AriaRole.Button, new() { Name = failed }).ClickAsync();
        await Expect(dashboard.TestId("trail-status")).ToHaveAttributeAsync("data-status", "failed");
        await dashboard.TestId("report-build").ClickAsync();
        await Expect(dashboard.Page.Locator("[data-testid=chart-bar][data-uai='0720015A']")).ToHaveCountAsync(1);
        // A manifest with a rejected line: its result, the inventory per school and, rebuilt, the purchases.
        var csv = $"{Infrastructure.Manifests.ProgrammeHeader}\n{Infrastructure.Enroller.NewSerial("A11Y")},0720015A,laptop,HP,ProBook,BC-A11Y,F-A11Y,612.50\nbad,0720015A,laptop,HP,ProBook,BC-A11Y,F-A11Y,-1\n";
        await dashboard.TestId("manifest-file").SetInputFilesAsync(new FilePayload { Name = "livraison.csv", MimeType = "text/csv", Buffer = System.Text.Encoding.UTF8.GetBytes(csv) });
        await dashboard.TestId("manifest-upload").ClickAsync();
        await Expect(dashboard.Page.Locator("[data-testid=rejected-line][data-line='3']")).ToHaveCountAsync(1);
        await dashboard.TestId("report-build").ClickAsync();
        await Expect(dashboard.Page.Locator("[data-testid=purchase-row][data-order='BC-A11Y']")).ToHaveCountAsync(1);

        await AssertNoViolationsAsync(dashboard, "French dashboard with a failed device, its trail and a report");
        await dashboard.ScreenshotAsync("dashboard-fr-trail");
        Assert.Empty(dashboard.Errors);
    }

    [BrowserFact]
    public async Task French_device_actions_with_the_deregistration_confirmation_open_meet_wcag_2_1_aa()
    {
        var serial = await backend.EnrolAsync("0720986F", "A11YACT");
        await backend.SettledAsync(serial);

        await using var dashboard = await backend.OpenDashboardAsync(locale: "fr-FR");
        await dashboard.SignInAsync();
        await dashboard.TestId("trail-serial").FillAsync(serial);
        await dashboard.TestId("trail-show").ClickAsync();
        await Expect(dashboard.TestId("device-actions")).ToBeVisibleAsync();
        await dashboard.TestId("deregister").ClickAsync();
        await Expect(dashboard.TestId("deregister-confirm")).ToBeVisibleAsync();

        await AssertNoViolationsAsync(dashboard, "French device actions with the deregistration confirmation open");
        Assert.Empty(dashboard.Errors);
    }

    [BrowserFact]
    public async Task French_tenant_readiness_panel_with_schools_to_check_by_hand_meets_wcag_2_1_aa()
    {
        // Without Group.Read.All no rule can be read: every school is listed with "non vérifié" and what to check.
        var options = backend.Host.Graph!.State.Options;
        options.GroupReadGranted = false;
        try
        {
            await using var dashboard = await backend.OpenDashboardAsync(locale: "fr-FR");
            await dashboard.SignInAsync();
            await Expect(dashboard.TestId("readiness-summary")).ToHaveAttributeAsync("data-ready", "false");
            await Expect(dashboard.Page.Locator("[data-testid=readiness-row][data-uai='0720001K']")).ToContainTextAsync("non vérifié");
            await Expect(dashboard.TestId("readiness-finding").First).ToContainTextAsync("Group.Read.All");

            await AssertNoViolationsAsync(dashboard, "French tenant readiness panel with schools to check by hand");
            await dashboard.ScreenshotAsync("dashboard-fr-readiness");
            Assert.Empty(dashboard.Errors);
        }
        finally
        {
            options.GroupReadGranted = true;
        }
    }

    [BrowserFact]
    public async Task English_tenant_readiness_panel_of_a_ready_tenant_meets_wcag_2_1_aa()
    {
        await using var dashboard = await backend.OpenDashboardAsync();
        await dashboard.SignInAsync();
        await Expect(dashboard.TestId("readiness-summary")).ToHaveAttributeAsync("data-ready", "true");
        await Expect(dashboard.TestId("readiness-summary")).ToContainTextAsync("Tenant ready");
        await Expect(dashboard.TestId("readiness-table")).ToBeHiddenAsync();

        await AssertNoViolationsAsync(dashboard, "English tenant readiness panel of a ready tenant");
        Assert.Empty(dashboard.Errors);
    }

    internal static async Task AssertNoViolationsAsync(DashboardPage dashboard, string state)
    {
        var result = await dashboard.Page.RunAxe(Wcag21AA);
        var violations = result.Violations.Select(v =>
            $"{v.Id} ({v.Impact}): {v.Help}\n" + string.Join("\n", v.Nodes.Select(n => $"    {n.Target}")));
        Assert.True(result.Violations.Length == 0, $"axe found WCAG 2.1 A/AA violations on the {state}:\n{string.Join("\n", violations)}");
    }
}
