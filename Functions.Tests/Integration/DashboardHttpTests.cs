using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sarthe.Enrolment.Dashboard;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>The dashboard's files as HTTP resources: anonymous, embedded, served with a strict policy.</summary>
[Collection(BackendCollection.Name)]
public sealed partial class DashboardHttpTests(BackendFixture backend)
{
    [Fact]
    public async Task The_page_is_anonymous_html_with_a_strict_content_security_policy()
    {
        using var response = await backend.GetAsync("api/dashboard", role: null);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'none'", policy);
        Assert.Contains("script-src 'self';", policy);
        Assert.Contains("frame-ancestors 'none'", policy);
        Assert.DoesNotContain("unsafe", policy);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        // No inline script (the policy would block it anyway) and nothing fetched from another origin.
        Assert.DoesNotMatch(InlineScript(), html);
        Assert.DoesNotMatch(RemoteReference(), html);
    }

    [Theory]
    [InlineData("dashboard.js", "text/javascript", "import * as auth from \"./auth.js\"")]
    [InlineData("dashboard.css", "text/css", ":root")]
    [InlineData("msal-browser.min.js", "text/javascript", "/*! @azure/msal-browser v5.30.0")]
    public async Task Its_files_are_served_from_the_assembly(string file, string mediaType, string content)
    {
        using var response = await backend.GetAsync($"api/dashboard/{file}", role: null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType!.MediaType);
        Assert.Contains(content, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Every_script_the_page_loads_or_imports_is_served_with_the_policy_and_no_remote_import()
    {
        using var page = await backend.GetAsync("api/dashboard", role: null);
        var policy = page.Headers.GetValues("Content-Security-Policy").Single();
        var pending = new Queue<(string File, bool IsModule)>();
        foreach (Match tag in ScriptTag().Matches(await page.Content.ReadAsStringAsync()))
        {
            pending.Enqueue((tag.Groups["file"].Value, tag.Value.Contains("type=\"module\"", StringComparison.Ordinal)));
        }

        var served = new HashSet<string>(StringComparer.Ordinal);
        while (pending.TryDequeue(out var script))
        {
            if (!served.Add(script.File))
            {
                continue;
            }

            using var response = await backend.GetAsync($"api/dashboard/{script.File}", role: null);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{script.File}: {response.StatusCode}");
            // Browsers refuse a module served with another type (and nosniff holds classic scripts to it too).
            Assert.Equal("text/javascript", response.Content.Headers.ContentType!.MediaType);
            Assert.Equal(policy, response.Headers.GetValues("Content-Security-Policy").Single());
            if (!script.IsModule)
            {
                continue; // MSAL, a classic script: it imports nothing
            }

            var source = await response.Content.ReadAsStringAsync();
            Assert.DoesNotMatch(DynamicImport(), source); // the static imports below are the whole graph
            foreach (Match import in StaticImport().Matches(source))
            {
                // Relative to dashboard/dashboard.js, "./x.js" resolves under /api/dashboard/, which serves flat names.
                var specifier = import.Groups["specifier"].Value;
                Assert.Matches(SiblingModule(), specifier);
                pending.Enqueue((specifier[2..], true));
            }
        }

        // And no embedded script is left that the page no longer loads.
        var embedded = typeof(DashboardAssets).Assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith("Sarthe.Enrolment.Dashboard.", StringComparison.Ordinal) && name.EndsWith(".js", StringComparison.Ordinal))
            .Select(name => name["Sarthe.Enrolment.Dashboard.".Length..]);
        Assert.Equal(embedded.Order(StringComparer.Ordinal), served.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_dev_host_configures_its_one_click_sign_in()
    {
        var config = await backend.GetJsonAsync<JsonElement>("api/dashboard/config.json", role: null);

        Assert.Equal("dev", config.GetProperty("signIn").GetString());
        Assert.Equal("/dev/token", config.GetProperty("devTokenUrl").GetString());
        Assert.True(config.GetProperty("deviceTarget").GetInt32() > 0);
        Assert.False(config.TryGetProperty("entra", out _));
    }

    [Theory]
    [InlineData("api/dashboard/nope.js")]
    [InlineData("api/dashboard/sarthe-colleges-2024.csv")] // another embedded resource, not a dashboard file
    [InlineData("api/dashboard/..%2Fhost.json")]
    [InlineData("api/dashboard/Sarthe.Enrolment.Dashboard.dashboard.js")] // resource names are not paths
    public async Task Anything_else_is_a_404_problem(string path)
    {
        using var response = await backend.GetAsync(path, role: null);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound);
    }

    [GeneratedRegex(@"<script(?![^>]*\bsrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex(@"(src|href)=""(https?:)?//", RegexOptions.IgnoreCase)]
    private static partial Regex RemoteReference();

    [GeneratedRegex(@"<script\b[^>]*\bsrc=""dashboard/(?<file>[^""]+)""[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptTag();

    // import x from "…", import { x } from "…", import "…" and export … from "…", one statement a line.
    [GeneratedRegex(@"^(?:import\b[^;""\n]*|export\b[^;""\n]*\bfrom\s*)""(?<specifier>[^""]*)""", RegexOptions.Multiline)]
    private static partial Regex StaticImport();

    [GeneratedRegex(@"\bimport\s*\(")]
    private static partial Regex DynamicImport();

    [GeneratedRegex(@"^\./[a-z0-9-]+\.js$")]
    private static partial Regex SiblingModule();
}
