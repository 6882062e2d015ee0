using System.Net;
using System.Text.Json;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

[Collection(BackendCollection.Name)]
public sealed partial class OpenApiTests(BackendFixture backend)
{
    /// <summary>docs/api.md (the API in prose) has one "### `VERB /api/route`" heading per operation.</summary>
    public static TheoryData<string, string> DocumentedRoutes()
    {
        var routes = new TheoryData<string, string>();
        foreach (System.Text.RegularExpressions.Match m in DocumentedRouteHeading().Matches(File.ReadAllText(Path.Combine(Sarthe.DevHost.RepositoryPaths.Root, "docs", "api.md"))))
        {
            routes.Add(m.Groups["verb"].Value.ToLowerInvariant(), m.Groups["path"].Value);
        }

        return routes;
    }

    [Theory]
    [MemberData(nameof(DocumentedRoutes))]
    public async Task Every_route_the_api_guide_describes_is_in_the_openapi_document(string verb, string path)
    {
        var document = await DocumentAsync();

        Assert.True(document.GetProperty("paths").TryGetProperty(path, out var item), $"{path} is missing");
        Assert.True(item.TryGetProperty(verb, out var operation), $"{verb} {path} is missing");
        Assert.True(operation.GetProperty("responses").EnumerateObject().Any(), "responses are described");
    }

    [Fact]
    public async Task Every_operation_of_the_openapi_document_is_described_in_the_api_guide()
    {
        var documented = DocumentedRoutes().Select(row => ((string)row[0], (string)row[1])).ToHashSet();
        var document = await DocumentAsync();

        var operations = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => (Verb: op.Name, Path: path.Name)))
            .ToList();

        Assert.NotEmpty(operations);
        Assert.All(operations, op => Assert.True(documented.Contains((op.Verb, op.Path)), $"{op.Verb.ToUpperInvariant()} {op.Path} has no heading in docs/api.md"));
    }

    [Fact]
    public async Task The_document_is_openapi_3_with_both_security_schemes_and_schemas_from_the_types()
    {
        using var response = await backend.GetAsync("api/openapi.json", role: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.StartsWith("3.0", document.GetProperty("openapi").GetString());
        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("bearer", schemes.GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.Equal("X-Enrolment-Signature", schemes.GetProperty("enrolmentSignature").GetProperty("name").GetString());

        var schemas = document.GetProperty("components").GetProperty("schemas");
        var device = schemas.GetProperty("DeviceRecord");
        Assert.Contains("serialNumber", device.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.DoesNotContain("lastError", device.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.True(schemas.GetProperty("FundingIndicators").GetProperty("properties").TryGetProperty("CO35", out _));
        Assert.Equal("date-time", schemas.GetProperty("AuditEvent").GetProperty("properties").GetProperty("occurredAt").GetProperty("format").GetString());

        var enrol = document.GetProperty("paths").GetProperty("/api/enrolments").GetProperty("post");
        Assert.True(enrol.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        Assert.Equal("enrolmentSignature", enrol.GetProperty("security")[0].EnumerateObject().Single().Name);
        var report = document.GetProperty("paths").GetProperty("/api/reports/funding/{reportDate}").GetProperty("get");
        var content = report.GetProperty("responses").GetProperty("200").GetProperty("content");
        Assert.True(content.TryGetProperty("text/csv", out _));
        Assert.True(content.TryGetProperty("application/json", out _));
    }

    private async Task<JsonElement> DocumentAsync()
    {
        using var response = await backend.GetAsync("api/openapi.json", role: null);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^### `(?<verb>GET|POST|PUT|PATCH|DELETE) (?<path>/api/[^`]+)`", System.Text.RegularExpressions.RegexOptions.Multiline)]
    private static partial System.Text.RegularExpressions.Regex DocumentedRouteHeading();
}
