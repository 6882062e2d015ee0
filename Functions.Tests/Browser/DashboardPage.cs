using Microsoft.Playwright;

namespace Sarthe.Enrolment.Tests.Browser;

/// <summary>The dashboard in one browser context, with the page's console errors and failed requests kept.</summary>
public sealed class DashboardPage : IAsyncDisposable
{
    private readonly List<string> _errors = [];

    public DashboardPage(IBrowserContext context, IPage page)
    {
        Context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            // HTTP error statuses the page handles (a 404 before the first report) are logged by Chromium as
            // "Failed to load resource"; anything else is a script error or a CSP violation ("Refused to ...").
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                lock (_errors)
                {
                    _errors.Add($"console: {message.Text}");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (_errors)
            {
                _errors.Add($"page error: {error}");
            }
        };
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>Script errors and Content-Security-Policy violations the page reported.</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    public ILocator TestId(string id) => Page.GetByTestId(id);

    public ILocator SchoolRow(string uai) => Page.Locator($"[data-testid=school-row][data-uai='{uai}']");

    public ILocator FailedDevice(string serial) => Page.Locator($"[data-testid=failed-device][data-serial='{serial}']");

    public async Task SignInAsync(bool admin = true)
    {
        await TestId(admin ? "dev-sign-in-admin" : "dev-sign-in-read").ClickAsync();
        await Assertions.Expect(Page.GetByTestId("school-row")).ToHaveCountAsync(56);
    }

    public async Task ScreenshotAsync(string name)
    {
        var path = Path.Combine(BrowserFixture.ArtefactDirectory, $"{name}.png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
    }

    public async ValueTask DisposeAsync() => await Context.DisposeAsync();
}
