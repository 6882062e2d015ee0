using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Keys;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>POST /api/enrolments: every status code of the contract, through HTTP against Azurite.</summary>
[Collection(BackendCollection.Name)]
public sealed class EnrolmentTests(BackendFixture backend)
{
    private const string School = "0720002L";
    private const string OtherSchool = "0720004N";
    private const string SchoolWithoutKey = "0720007S";
    private Enroller Enroller => backend.Enroller;

    [Fact]
    public async Task First_enrolment_is_202_with_location_and_a_received_record()
    {
        var serial = Enroller.NewSerial();

        using var response = await Enroller.EnrolAsync(serial.ToLowerInvariant(), School.ToLowerInvariant());

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal($"/api/devices/{serial}", response.Headers.Location?.OriginalString);
        var record = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(serial, record.GetProperty("serialNumber").GetString());
        Assert.Equal(School, record.GetProperty("schoolUai").GetString());
        Assert.Equal("received", record.GetProperty("status").GetString());
        Assert.Equal("laptop", record.GetProperty("deviceType").GetString());
        Assert.Equal("SARTHE-000123", record.GetProperty("assetTag").GetString());
        Assert.Equal(1, record.GetProperty("enrolmentCount").GetInt32());
        Assert.EndsWith("Z", record.GetProperty("enrolledAt").GetString());
        Assert.False(record.TryGetProperty("hardwareHash", out _), "the hardware hash is not echoed");
        Assert.False(record.TryGetProperty("lastError", out _), "null fields are omitted");
    }

    [Fact]
    public async Task Repeat_at_the_same_school_is_200_with_the_device_status_view_the_count_incremented_and_nothing_duplicated()
    {
        var serial = Enroller.NewSerial();
        using var first = await Enroller.EnrolAsync(serial, School);
        var enrolledAt = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("enrolledAt").GetString();

        using var second = await Enroller.EnrolAsync(serial, School);
        using var third = await Enroller.EnrolAsync(serial.ToLowerInvariant(), School);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        var view = await third.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(
            ["deploymentProfile", "readyToProvision", "retryAfterSeconds", "schoolUai", "serialNumber", "status"],
            view.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(serial, view.GetProperty("serialNumber").GetString());
        Assert.False(view.GetProperty("readyToProvision").GetBoolean());
        Assert.True(int.TryParse(third.Headers.GetValues("Retry-After").Single(), out _));
        var record = await backend.DeviceAsync(serial);
        Assert.Equal(3, record!.Value.GetProperty("enrolmentCount").GetInt32());
        Assert.Equal(enrolledAt, record.Value.GetProperty("enrolledAt").GetString());
        await backend.SettledAsync(serial);
        Assert.Equal(1, backend.Host.Graph!.State.ImportsOf(serial));
    }

    [Fact]
    public async Task Same_serial_at_another_school_is_409_and_changes_nothing()
    {
        var serial = Enroller.NewSerial();
        using var first = await Enroller.EnrolAsync(serial, School);
        var before = await backend.DeviceAsync(serial);

        using var conflict = await Enroller.EnrolAsync(serial, OtherSchool);

        var problem = await ProblemAssert.IsProblemAsync(conflict, HttpStatusCode.Conflict);
        Assert.DoesNotContain(School, problem.GetRawText());
        var after = await backend.DeviceAsync(serial);
        Assert.Equal(School, after!.Value.GetProperty("schoolUai").GetString());
        Assert.Equal(before!.Value.GetProperty("enrolmentCount").GetInt32(), after.Value.GetProperty("enrolmentCount").GetInt32());
        var otherPage = await backend.GetJsonAsync<JsonElement>($"api/schools/{OtherSchool}/devices?pageSize=500");
        Assert.DoesNotContain(otherPage.GetProperty("items").EnumerateArray(), d => d.GetProperty("serialNumber").GetString() == serial);
    }

    [Fact]
    public async Task Concurrent_first_enrolments_of_one_serial_make_one_row_and_one_registration()
    {
        var serial = Enroller.NewSerial();
        await Enroller.KeyAsync(School);

        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Enroller.EnrolAsync(serial, School)));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.Equal(15, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        var settled = await backend.SettledAsync(serial);
        Assert.Equal("registered", settled.GetProperty("status").GetString());
        Assert.Equal(16, settled.GetProperty("enrolmentCount").GetInt32());
        Assert.Equal(1, backend.Host.Graph!.State.ImportsOf(serial));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Theory]
    [InlineData("serialNumber", "has space")]
    [InlineData("serialNumber", "")]
    [InlineData("deviceType", "phone")]
    [InlineData("manufacturer", "")]
    [InlineData("hardwareHash", "not base64!")]
    [InlineData("assetTag", "this-asset-tag-is-far-too-long-to-be-accepted-by-the-api-0123456789")]
    public async Task Invalid_field_is_400_naming_the_field_and_writes_nothing(string field, string value)
    {
        var serial = Enroller.NewSerial();
        var body = Enroller.Body(serial, School);
        body[field] = value;

        using var response = await Enroller.SendAsync(Encoding.UTF8.GetBytes(body.ToJsonString()), await Enroller.KeyAsync(School));

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages), problem.GetRawText());
        Assert.Contains(field, messages[0].GetString());
        Assert.Null(await backend.DeviceAsync(serial.Trim()));
    }

    [Fact]
    public async Task Missing_and_mistyped_fields_are_all_named()
    {
        var body = new JsonObject { ["schoolUai"] = School, ["serialNumber"] = 42, ["deviceType"] = "tablet" };

        using var response = await Enroller.SendAsync(Encoding.UTF8.GetBytes(body.ToJsonString()), await Enroller.KeyAsync(School));

        var errors = (await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.Contains("must be a string", errors.GetProperty("serialNumber")[0].GetString());
        foreach (var field in new[] { "manufacturer", "model", "hardwareHash" })
        {
            Assert.Contains("required", errors.GetProperty(field)[0].GetString());
        }
    }

    [Fact]
    public async Task Hardware_hash_over_8192_bytes_is_400()
    {
        using var response = await Enroller.EnrolAsync(Enroller.NewSerial(), School, hash: new byte[8193]);

        var errors = (await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("hardwareHash", out _));
    }

    [Theory]
    [InlineData("0720003M")] // valid UAI, not in the registry
    [InlineData("0720001A")] // bad check letter
    public async Task Unknown_or_invalid_school_is_400_on_schoolUai(string uai)
    {
        var body = Encoding.UTF8.GetBytes(Enroller.Body(Enroller.NewSerial(), uai).ToJsonString());

        using var response = await Enroller.SendAsync(body, await Enroller.KeyAsync(School));

        var errors = (await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("schoolUai", out _));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2,3]")]
    [InlineData("null")]
    public async Task Malformed_json_is_400(string body)
    {
        using var response = await Enroller.SendAsync(Encoding.UTF8.GetBytes(body), await Enroller.KeyAsync(School));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Missing_signature_headers_are_401()
    {
        using var response = await Enroller.SendAsync(Encoding.UTF8.GetBytes(Enroller.Body(Enroller.NewSerial(), School).ToJsonString()), await Enroller.KeyAsync(School),
            tamper: r => { r.Headers.Remove(EnrolmentSignature.SignatureHeader); });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Enrolment-HMAC-SHA256");
    }

    [Fact]
    public async Task Wrong_key_is_401_and_writes_nothing()
    {
        var serial = Enroller.NewSerial();

        using var response = await Enroller.SendAsync(Encoding.UTF8.GetBytes(Enroller.Body(serial, School).ToJsonString()), new byte[32]);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Null(await backend.DeviceAsync(serial));
    }

    [Fact]
    public async Task Another_schools_key_never_authenticates_this_school()
    {
        var serial = Enroller.NewSerial();
        var otherKey = await Enroller.KeyAsync(OtherSchool);

        using var response = await Enroller.SendAsync(Encoding.UTF8.GetBytes(Enroller.Body(serial, School).ToJsonString()), otherKey);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Null(await backend.DeviceAsync(serial));
    }

    [Fact]
    public async Task School_without_an_issued_key_cannot_enrol()
    {
        using var response = await Enroller.SendAsync(Encoding.UTF8.GetBytes(Enroller.Body(Enroller.NewSerial(), SchoolWithoutKey).ToJsonString()), new byte[32]);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public async Task Timestamp_outside_300_seconds_is_401(int offsetSeconds)
    {
        var serial = Enroller.NewSerial();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + offsetSeconds;

        using var response = await Enroller.SendAsync(Encoding.UTF8.GetBytes(Enroller.Body(serial, School).ToJsonString()), await Enroller.KeyAsync(School), timestamp);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Null(await backend.DeviceAsync(serial));
    }

    [Fact]
    public async Task Timestamp_inside_the_window_is_accepted()
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 250;

        using var response = await Enroller.SendAsync(Encoding.UTF8.GetBytes(Enroller.Body(Enroller.NewSerial(), School).ToJsonString()), await Enroller.KeyAsync(School), timestamp);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Body_altered_after_signing_is_401()
    {
        var serial = Enroller.NewSerial();
        var key = await Enroller.KeyAsync(School);
        var signed = Encoding.UTF8.GetBytes(Enroller.Body(serial, School).ToJsonString());
        var altered = Encoding.UTF8.GetBytes(Enroller.Body(serial, School, deviceType: "tablet").ToJsonString());

        using var response = await Enroller.SendAsync(altered, key, tamper: r =>
        {
            var ts = r.Headers.GetValues(EnrolmentSignature.TimestampHeader).Single();
            r.Headers.Remove(EnrolmentSignature.SignatureHeader);
            r.Headers.Add(EnrolmentSignature.SignatureHeader, EnrolmentSignature.Sign(key, ts, signed));
        });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Null(await backend.DeviceAsync(serial));
    }

    [Fact]
    public async Task Body_over_64_KiB_is_413()
    {
        var body = Enroller.Body(Enroller.NewSerial(), School);
        body["padding"] = new string('x', 65 * 1024);

        using var response = await Enroller.SendAsync(Encoding.UTF8.GetBytes(body.ToJsonString()), await Enroller.KeyAsync(School));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/json; charset=latin1")]
    public async Task Non_json_content_type_is_415(string contentType)
    {
        using var response = await Enroller.SendAsync(Encoding.UTF8.GetBytes(Enroller.Body(Enroller.NewSerial(), School).ToJsonString()), await Enroller.KeyAsync(School), contentType: contentType);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Key_rotation_requires_the_admin_role()
    {
        using var response = await backend.Client.SendAsync(backend.Request(HttpMethod.Post, $"api/schools/{School}/enrolment-keys", AdminRoles.Read));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Key_rotation_answers_201_with_the_key_once()
    {
        using var response = await backend.Client.SendAsync(backend.Request(HttpMethod.Post, $"api/schools/{OtherSchool}/enrolment-keys", AdminRoles.Admin));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var issued = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(OtherSchool, issued.GetProperty("schoolUai").GetString());
        Assert.Equal(32, Convert.FromBase64String(issued.GetProperty("key").GetString()!).Length);
        Assert.False(string.IsNullOrEmpty(issued.GetProperty("keyId").GetString()));
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task Key_rotation_for_an_unknown_school_is_404()
    {
        using var response = await backend.Client.SendAsync(backend.Request(HttpMethod.Post, "api/schools/0720003M/enrolment-keys", AdminRoles.Admin));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound);
    }
}
