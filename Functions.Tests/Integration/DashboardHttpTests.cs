using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
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
    [InlineData("dashboard.js", "text/javascript", "\"use strict\"")]
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
}
