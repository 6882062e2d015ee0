using System.Net;
using Microsoft.Playwright;
using Sarthe.DevHost;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Browser;

/// <summary>
/// A backend of its own (the dashboard refreshing every second) and the system's headless Chromium driven
/// by Playwright. No browser is downloaded: Playwright is pointed at Debian's chromium, which .ci/run installs.
/// </summary>
public class BrowserFixture : BackendFixture
{
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Screenshots land here (repository's TestResults/dashboard), kept by CI as artefacts.</summary>
    public static string ArtefactDirectory { get; } = Path.Combine(RepositoryPaths.Root, "TestResults", "dashboard");

    protected override void Configure(DevHostOptions options)
    {
        base.Configure(options);
        options.Settings["Dashboard:RefreshSeconds"] = "1";
        options.Settings["Dashboard:DeviceTarget"] = "8000";
    }

    public override async Task InitializeAsync()
    {
        var chromium = SystemChromium.Find()
            ?? throw new InvalidOperationException($"No Chromium found ({SystemChromium.Explanation}).");
        await base.InitializeAsync();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            // Containers run as root without a GPU or a user namespace sandbox; nothing here reaches the internet.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--no-first-run", "--disable-extensions"],
        });
        // Registration through the pipeline takes seconds; the page refreshes every second.
        Assertions.SetDefaultExpectTimeout(30_000);
        Directory.CreateDirectory(ArtefactDirectory);
    }

    public override async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        await base.DisposeAsync();
    }

    /// <summary>Enrols a new device through the API as its first boot would; owned by another organisation, it will fail with 808.</summary>
    public async Task<string> EnrolAsync(string school, string prefix, bool ownedByAnotherTenant = false)
    {
        var serial = Enroller.NewSerial(prefix);
        if (ownedByAnotherTenant)
        {
            Host.Graph!.State.OwnElsewhere([serial]);
        }

        using var response = await Enroller.EnrolAsync(serial, school);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return serial;
    }

    /// <summary>A fresh browser context (own session storage) on the dashboard, console errors collected.</summary>
    public async Task<DashboardPage> OpenDashboardAsync(string locale = "en-GB")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Host.BaseUrl.ToString(),
            Locale = locale,
            AcceptDownloads = true,
            ViewportSize = new ViewportSize { Width = 1400, Height = 1000 },
        });
        var page = await context.NewPageAsync();
        var dashboard = new DashboardPage(context, page);
        await page.GotoAsync("api/dashboard");
        return dashboard;
    }
}

/// <summary>Debian's Chromium (or CHROMIUM_PATH); browser tests skip without it unless REQUIRE_BROWSER_TESTS=1, as in CI.</summary>
public static class SystemChromium
{
    public const string Explanation = "install Debian's 'chromium' package or set CHROMIUM_PATH";

    public static bool Required => Environment.GetEnvironmentVariable("REQUIRE_BROWSER_TESTS") == "1";

    public static string? Find() =>
        new[] { Environment.GetEnvironmentVariable("CHROMIUM_PATH"), "/usr/bin/chromium", "/usr/bin/chromium-browser" }
            .FirstOrDefault(path => !string.IsNullOrEmpty(path) && File.Exists(path));
}

/// <summary>A [Fact] that is skipped on a machine without Chromium, except where browser tests are required (CI).</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (SystemChromium.Find() is null && !SystemChromium.Required)
        {
            Skip = $"No Chromium on this machine: {SystemChromium.Explanation} (CI sets REQUIRE_BROWSER_TESTS=1 and installs it).";
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
