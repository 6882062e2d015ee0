using System.Net;
using System.Text.Json;
using Sarthe.Enrolment.OpenApi;
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

    [Fact]
    public void Every_tag_of_the_document_is_described_as_redocly_requires()
    {
        var tags = OpenApiDocumentBuilder.Build(typeof(OpenApiDocumentBuilder).Assembly).Tags;

        Assert.NotEmpty(tags);
        Assert.All(tags, tag => Assert.False(string.IsNullOrWhiteSpace(tag.Description), $"tag {tag.Name} has no description"));
    }

    [Fact]
    public void The_committed_openapi_json_is_the_document_the_code_generates()
    {
        // docs/openapi.json is what the linters read and the typed client (ApiClient/) is generated from.
        var committed = File.ReadAllText(Path.Combine(Sarthe.DevHost.RepositoryPaths.Root, "docs", "openapi.json"));
        var generated = OpenApiDocumentBuilder.BuildJson(typeof(OpenApiDocumentBuilder).Assembly) + "\n";

        Assert.True(committed == generated, "docs/openapi.json is stale: run `dotnet run --project tools/OpenApiDocument` and commit it");
    }

    [Theory]
    [MemberData(nameof(DocumentedRoutes))]
    public void The_guide_names_every_parameter_of_the_operation_and_the_document_every_parameter_the_guide_lists(string verb, string path)
    {
        var operation = Operation(verb, path);
        var section = ApiGuide.Section(verb, path);
        var parameters = operation.ActualParameters.Where(p => p.Kind is NSwag.OpenApiParameterKind.Query or NSwag.OpenApiParameterKind.Path).Select(p => p.Name).ToList();

        Assert.All(parameters, name => Assert.True(section.Contains($"`{name}`", StringComparison.Ordinal) || section.Contains($"{{{name}}}", StringComparison.Ordinal), $"docs/api.md does not name {name} under {verb.ToUpperInvariant()} {path}"));
        Assert.All(ApiGuide.QueryParameterRows(section), name => Assert.True(parameters.Contains(name), $"docs/api.md lists query parameter {name} of {verb.ToUpperInvariant()} {path}; the document does not"));
    }

    [Theory]
    [MemberData(nameof(DocumentedRoutes))]
    public void The_guide_gives_every_status_of_the_operation_and_the_document_every_status_the_guide_answers(string verb, string path)
    {
        var operation = Operation(verb, path);
        var section = ApiGuide.Section(verb, path);
        var statuses = operation.Responses.Keys.ToList();

        // 401, 403 and 503 of the access checks are described once, under "Authentication" and "Errors".
        var own = statuses.Where(s => operation.Security.Count == 0 || s is not ("401" or "403" or "503"));
        Assert.All(own, status => Assert.True(section.Contains($"`{status}", StringComparison.Ordinal), $"docs/api.md does not give {status} under {verb.ToUpperInvariant()} {path}"));
        Assert.All(ApiGuide.AnsweredStatuses(section), status => Assert.True(statuses.Contains(status), $"docs/api.md answers {status} under {verb.ToUpperInvariant()} {path}; the document does not list it"));
    }

    /// <summary>The guide's member tables name exactly the schema's properties.</summary>
    [Theory]
    [InlineData("### The device record", "DeviceRecord")]
    [InlineData("**The device status view**", "DeviceStatusView")]
    public void The_guide_describes_exactly_the_members_of_the_schema(string heading, string schema)
    {
        var members = ApiGuide.MemberRows(ApiGuide.After(heading)).ToHashSet();
        var properties = DescribedApi.Instance.Document.Components.Schemas[schema].ActualProperties.Keys.ToHashSet();

        Assert.True(members.SetEquals(properties), $"{heading} in docs/api.md lists {string.Join(", ", members.Order())}; {schema} has {string.Join(", ", properties.Order())}");
    }

    /// <summary>The guide's JSON examples are answers the schema accepts: every member it shows exists, every required one is shown.</summary>
    [Theory]
    [InlineData("### The device record", "DeviceRecord")]
    [InlineData("**The device status view**", "DeviceStatusView")]
    [InlineData("## Administrators: schools", "SchoolView")]
    [InlineData("### `POST /api/schools/{uai}/enrolment-keys`", "IssuedKey")]
    [InlineData("### Errors", "ProblemBody")]
    public void The_guides_example_follows_the_schema(string heading, string schema)
    {
        var example = ApiGuide.FirstJsonExample(ApiGuide.After(heading));
        var errors = DescribedApi.Instance.Document.Components.Schemas[schema].Validate(example);

        Assert.True(errors.Count == 0, $"the example under {heading} does not follow {schema}: {string.Join("; ", errors.Select(e => $"{e.Kind} at {e.Path}"))}");
    }

    /// <summary>The check the conformance tests make bites: answers the document does not describe fail it.</summary>
    [Fact]
    public void An_answer_the_document_does_not_describe_fails_its_schema()
    {
        var schemas = DescribedApi.Instance.Document.Components.Schemas;
        const string View = """{"serialNumber":"A1","schoolUai":"0720001K","status":"registered","deploymentProfile":"assigned","readyToProvision":true""";

        Assert.Empty(schemas["DeviceStatusView"].Validate(View + "}"));
        Assert.NotEmpty(schemas["DeviceStatusView"].Validate(View + ""","assignedAt":"0001-01-01T00:00:00Z"}""")); // a member no type declares
        Assert.NotEmpty(schemas["DeviceStatusView"].Validate(View.Replace("\"registered\"", "2", StringComparison.Ordinal) + "}")); // an enum as a number
        Assert.NotEmpty(schemas["DeviceStatusView"].Validate(View.Replace("\"readyToProvision\":true", "\"ready\":true", StringComparison.Ordinal) + "}")); // a member renamed
        Assert.NotEmpty(schemas["ProblemBody"].Validate("""{"type":"about:blank","title":"Invalid request","status":400,"detail":"x","errors":["pageSize"]}""")); // errors as a list
    }

    private static NSwag.OpenApiOperation Operation(string verb, string path) => DescribedApi.Instance.Document.Paths[path][verb];

    private async Task<JsonElement> DocumentAsync()
    {
        using var response = await backend.GetAsync("api/openapi.json", role: null);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^### `(?<verb>GET|POST|PUT|PATCH|DELETE) (?<path>/api/[^`]+)`", System.Text.RegularExpressions.RegexOptions.Multiline)]
    private static partial System.Text.RegularExpressions.Regex DocumentedRouteHeading();
}
