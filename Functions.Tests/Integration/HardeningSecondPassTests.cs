using System.IO.Compression;
using System.Net;
using System.Text.Json;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Keys;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// The second attacker's review (issue 22), one test per finding, through the real host: each failed on the main of
/// the review and passes now.
/// </summary>
[Collection(BackendCollection.Name)]
public sealed class HardeningSecondPassTests(BackendFixture backend)
{
    private const string School = "0720015A";
    private const string Buyer = "0720019E";

    [Fact]
    public async Task An_enrolment_answer_never_shows_another_schools_purchase()
    {
        var serial = Enroller.NewSerial("XPURCHASE");
        await PolicySteps.BuyAsync(backend, serial, Buyer);

        using var response = await backend.Enroller.EnrolAsync(serial, School);

        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("BC-POL", body, StringComparison.Ordinal);
        Assert.DoesNotContain("F-POL", body, StringComparison.Ordinal);
        Assert.DoesNotContain("inventory\":", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_serial_bought_for_another_school_is_refused_409_under_accept_and_the_buyer_enrols_it()
    {
        var serial = Enroller.NewSerial("XSCHOOL");
        await PolicySteps.BuyAsync(backend, serial, Buyer);

        using var refused = await backend.Enroller.EnrolAsync(serial, School);

        await PolicySteps.RefusedAsBoughtElsewhereAsync(backend, refused, serial);
        using var bought = await backend.Enroller.EnrolAsync(serial, Buyer);
        Assert.Equal(HttpStatusCode.Accepted, bought.StatusCode);
        Assert.Equal(Buyer, (await backend.DeviceAsync(serial))!.Value.GetProperty("schoolUai").GetString());
    }

    [Fact]
    public async Task A_manifest_of_junk_lines_answers_the_first_1000_in_file_order_and_counts_the_rest_by_field()
    {
        var prefix = Enroller.NewSerial("J");
        var lines = new List<string> { Manifests.ProgrammeHeader };
        for (var i = 0; i < 5_000; i++)
        {
            // Lines 2, 4, 6...: a cost that is not a number; lines 3, 5, 7...: a UAI with a wrong check letter.
            lines.Add(i % 2 == 0 ? $"{prefix}{i:D5},{School},laptop,HP,ProBook,BC-J,F-J,beaucoup" : $"{prefix}{i:D5},0720001A,laptop,HP,ProBook,BC-J,F-J,100.00");
        }

        var valid = Enroller.NewSerial("JOK");
        lines.Add($"{valid},{School},laptop,HP,ProBook,BC-J,F-J,100.00");

        using var response = await Manifests.PostAsync(backend, string.Join("\n", lines));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(text.Length < 300_000, $"The answer is {text.Length} characters long.");
        var result = JsonDocument.Parse(text).RootElement;
        Assert.Equal((5_001, 1, 5_000), (result.GetProperty("rows").GetInt32(), result.GetProperty("accepted").GetInt32(), result.GetProperty("rejectedCount").GetInt32()));
        Assert.Equal(Enumerable.Range(2, 1_000), result.GetProperty("rejected").EnumerateArray().Select(r => r.GetProperty("line").GetInt32()));
        var byField = result.GetProperty("rejectedByField").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["schoolUai"] = 2_500, ["unitCostEur"] = 2_500 }, byField);
    }

    [Fact]
    public async Task What_a_key_holders_first_boot_tells_of_a_pre_registered_device_is_audited_as_device_described_before_and_after()
    {
        var serial = Enroller.NewSerial("DESCRIBED");
        await Manifests.ImportAsync(backend, $"Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\n{serial},,{Manifests.Hash(serial)},{School}\n", "oem.csv");
        await Eventually.MatchesAsync(() => backend.DeviceAsync(serial), d => d is not null, because: "pre-registered");

        using var firstBoot = await backend.Enroller.EnrolAsync(serial, School, "tablet");

        Assert.Equal(HttpStatusCode.OK, firstBoot.StatusCode);
        var trail = await PolicySteps.TrailWithAsync(backend, serial, AuditEventTypes.DeviceDescribed);
        var described = trail.Single(e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceDescribed);
        Assert.Equal(AuditActor.DeviceKind, described.GetProperty("actor").GetProperty("kind").GetString());
        var data = described.GetProperty("data");
        Assert.Equal(("", "tablet"), (data.GetProperty("before").GetProperty("deviceType").GetString(), data.GetProperty("after").GetProperty("deviceType").GetString()));
    }

    [Theory]
    [InlineData("TRACE", "api/enrolments", "POST")]
    [InlineData("TRACE", "api/health", "GET")]
    [InlineData("PROPFIND", "api/schools", "GET")]
    [InlineData("FOO", "api/reports/funding", "GET, POST")]
    public async Task Trace_and_non_standard_methods_on_a_known_route_are_405_problem_json_naming_that_routes_methods(string method, string path, string allow)
    {
        using var response = await backend.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.MethodNotAllowed);
        Assert.Equal(allow, string.Join(", ", response.Content.Headers.Allow));
    }

    [Theory]
    [InlineData("TRACE")]
    [InlineData("FOO")]
    public async Task Trace_and_non_standard_methods_on_an_unknown_route_are_404_problem_json(string method)
    {
        using var response = await backend.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "api/no-such-route"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("X-Forwarded-Host", "enrol.evil.example")]
    [InlineData("X-Forwarded-Proto", "javascript")]
    [InlineData("X-Forwarded-Host", "a b")]
    [InlineData("X-Forwarded-Host", "[::1")]
    public async Task A_bundle_names_the_configured_endpoint_whatever_the_forwarded_headers_say(string header, string value)
    {
        var request = backend.Request(HttpMethod.Post, $"api/schools/{Buyer}/enrolment-keys?format=zip", AdminRoles.Admin);
        request.Headers.TryAddWithoutValidation(header, value);

        using var response = await backend.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var configured = backend.Host.BaseUrl.ToString().TrimEnd('/');
        Assert.Equal(configured, Assert.Single(response.Headers.GetValues(ProvisioningBundle.EndpointHeader)));
        using var archive = new ZipArchive(await response.Content.ReadAsStreamAsync(), ZipArchiveMode.Read);
        await using var config = archive.GetEntry($"{Buyer}/enrolment.config.json")!.Open();
        Assert.Equal(configured, (await JsonDocument.ParseAsync(config)).RootElement.GetProperty("endpoint").GetString());
    }

    [Fact]
    public async Task A_bundle_endpoint_given_in_the_query_is_https_and_shown_back()
    {
        using var response = await backend.Client.SendAsync(backend.Request(HttpMethod.Post, $"api/schools/{Buyer}/enrolment-keys?format=zip&endpoint=https://enrol.sarthe.fr/", AdminRoles.Admin));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("https://enrol.sarthe.fr", Assert.Single(response.Headers.GetValues(ProvisioningBundle.EndpointHeader)));
    }
}
