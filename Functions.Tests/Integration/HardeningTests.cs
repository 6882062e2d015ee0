using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Keys;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// What an attacker's review of the running backend found (issue 12), one test per finding: each failed on the main
/// of the review and passes now.
/// </summary>
[Collection(BackendCollection.Name)]
public sealed class HardeningTests(BackendFixture backend)
{
    private const string School = "0720015A";

    [Theory]
    [InlineData("9999-12-30")]
    [InlineData("9999-12-31")]
    [InlineData("2099-01-01")]
    [InlineData("0001-01-01")]
    [InlineData("2024-08-31")]
    public async Task A_report_date_outside_the_programme_is_400_and_builds_nothing(string date)
    {
        using var build = await backend.Client.SendAsync(backend.Request(HttpMethod.Post, $"api/reports/funding?date={date}", AdminRoles.Admin));
        using var read = await backend.GetAsync($"api/reports/funding/{date}");

        var problem = await ProblemAssert.IsProblemAsync(build, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("date", out _));
        await ProblemAssert.IsProblemAsync(read, HttpStatusCode.BadRequest);
        var list = await backend.GetJsonAsync<JsonElement>("api/reports/funding");
        Assert.DoesNotContain(list.EnumerateArray(), r => r.GetProperty("reportDate").GetString() == date);
    }

    [Fact]
    public async Task A_key_revoked_by_two_rotations_is_refused_within_10_s()
    {
        const string school = "0720019E";
        var leaked = await backend.Enroller.RotateKeyAsync(school);
        Assert.Equal(HttpStatusCode.Accepted, await EnrolWithAsync(leaked, school));

        // The documented answer to a leak: rotate twice.
        await backend.Enroller.RotateKeyAsync(school);
        await backend.Enroller.RotateKeyAsync(school);
        await Task.Delay(SchoolKeyCache.Lifetime + TimeSpan.FromSeconds(1));

        Assert.Equal(HttpStatusCode.Unauthorized, await EnrolWithAsync(leaked, school));
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("-_.")]
    public async Task A_serial_without_a_letter_or_digit_is_refused(string serial)
    {
        using var response = await backend.Enroller.EnrolAsync(serial, School);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("serialNumber", out _));
    }

    [Fact]
    public async Task A_device_list_token_works_only_on_the_list_that_issued_it()
    {
        for (var i = 0; i < 3; i++)
        {
            (await backend.Enroller.EnrolAsync(Enroller.NewSerial("PAGE"), School)).Dispose();
        }

        var page = await backend.GetJsonAsync<JsonElement>($"api/schools/{School}/devices?pageSize=1");
        var token = page.GetProperty("continuationToken").GetString()!;

        using var sameList = await backend.GetAsync($"api/schools/{School}/devices?pageSize=1&continuationToken={token}");
        using var otherSchool = await backend.GetAsync($"api/schools/0720001K/devices?pageSize=1&continuationToken={token}");
        using var otherFilter = await backend.GetAsync($"api/schools/{School}/devices?pageSize=1&status=failed&continuationToken={token}");
        var handMade = System.Buffers.Text.Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new[] { "devices", School, "", "A" }));
        using var forged = await backend.GetAsync($"api/schools/0720001K/devices?continuationToken={handMade}");

        Assert.Equal(HttpStatusCode.OK, sameList.StatusCode);
        foreach (var refused in new[] { otherSchool, otherFilter, forged })
        {
            var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty("continuationToken", out _));
        }
    }

    [Fact]
    public async Task An_audit_token_works_only_for_the_period_that_issued_it()
    {
        var serial = Enroller.NewSerial("PERIOD");
        (await backend.Enroller.EnrolAsync(serial, School)).Dispose();
        (await backend.Enroller.EnrolAsync(serial, School)).Dispose(); // device.enrolled, device.reenrolled: two entries

        const string period = "from=2024-09-01T00:00:00Z&to=2099-01-01T00:00:00Z";
        var page = await Eventually.MatchesAsync(
            () => backend.GetJsonAsync<JsonElement>($"api/audit?serialNumber={serial}&pageSize=1&{period}"),
            p => p.TryGetProperty("continuationToken", out var t) && t.ValueKind == JsonValueKind.String, because: "two entries make two pages");
        var token = page.GetProperty("continuationToken").GetString()!;

        using var samePeriod = await backend.GetAsync($"api/audit?serialNumber={serial}&pageSize=1&{period}&continuationToken={token}");
        using var otherPeriod = await backend.GetAsync($"api/audit?serialNumber={serial}&pageSize=1&from=2024-09-01T00:00:00Z&continuationToken={token}");

        Assert.Equal(HttpStatusCode.OK, samePeriod.StatusCode);
        var problem = await ProblemAssert.IsProblemAsync(otherPeriod, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("continuationToken", out _));
    }

    [Fact]
    public async Task A_body_with_a_member_twice_is_400_and_stores_nothing()
    {
        var serial = Enroller.NewSerial("TWICE");
        var body = Enroller.Body(serial, School).ToJsonString();
        // The same member twice, the second naming another school: ambiguous for whatever reads the body next.
        var doubled = body[..^1] + ",\"schoolUai\":\"0720001K\"}";
        var key = await backend.Enroller.KeyAsync(School);

        using var response = await backend.Enroller.SendAsync(Encoding.UTF8.GetBytes(doubled), key);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Null(await backend.DeviceAsync(serial));
    }

    [Theory]
    [InlineData("HEAD", "api/health", "GET")]
    [InlineData("OPTIONS", "api/schools", "GET")]
    [InlineData("DELETE", "api/schools/0720001K", "GET")]
    [InlineData("PUT", "api/reports/funding", "GET, POST")]
    [InlineData("PATCH", "api/enrolments", "POST")]
    public async Task A_known_route_called_with_another_method_is_405_problem_json_with_allow(string method, string path, string allow)
    {
        using var response = await backend.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(allow, string.Join(", ", response.Content.Headers.Allow));
        if (method != "HEAD")
        {
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.MethodNotAllowed);
        }
    }

    [Theory]
    [InlineData("manufacturer", "H\u202EP")]          // right-to-left override
    [InlineData("model", "ProBook\u200B440")]          // zero-width space
    [InlineData("assetTag", "SARTHE\u2066-1\u2069")]   // isolates
    [InlineData("model", "Pro\uFEFFBook")]             // byte order mark in the middle
    public async Task Invisible_and_direction_changing_characters_are_refused_in_text_fields(string field, string value)
    {
        var serial = Enroller.NewSerial("INVISIBLE");
        var body = Enroller.Body(serial, School);
        body[field] = value;

        using var response = await backend.Enroller.SendAsync(Encoding.UTF8.GetBytes(body.ToJsonString()), await backend.Enroller.KeyAsync(School));

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
        Assert.Null(await backend.DeviceAsync(serial));
    }

    [Theory]
    [InlineData("api/schools")]
    [InlineData("api/schools/0720001K")]
    [InlineData("api/audit?schoolUai=0720001K")]
    [InlineData("api/reports/funding")]
    [InlineData("api/devices/NO-SUCH-DEVICE")]
    [InlineData("api/health")]
    [InlineData("api/openapi.json")]
    public async Task Every_answer_with_data_is_never_cached_nor_sniffed(string path)
    {
        using var response = await backend.GetAsync(path);

        Assert.Contains("no-store", response.Headers.CacheControl?.ToString() ?? "");
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task A_device_enrolment_answer_is_never_cached_nor_sniffed()
    {
        using var response = await backend.Enroller.EnrolAsync(Enroller.NewSerial("NOSTORE"), School);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString() ?? "");
    }

    private async Task<HttpStatusCode> EnrolWithAsync(byte[] key, string school)
    {
        using var response = await backend.Enroller.SendAsync(
            Encoding.UTF8.GetBytes(Enroller.Body(Enroller.NewSerial("REVOKE"), school).ToJsonString()), key);
        return response.StatusCode;
    }
}
