using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Registration;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// GET /api/enrolments/{serialNumber} (contract v1.1): a device's own view of its registration, signed with its
/// school's key over the request line, without side effects; and the hash a failed device replaces by enrolling again.
/// </summary>
[Collection(BackendCollection.Name)]
public sealed class EnrolmentStatusTests(BackendFixture backend)
{
    private const string School = "0720051P";
    private const string OtherSchool = "0720058X";
    private Enroller Enroller => backend.Enroller;

    [Fact]
    public async Task A_device_reads_its_own_status_until_it_is_ready_to_provision_and_is_told_when_to_ask_again_meanwhile()
    {
        var serial = Enroller.NewSerial("STATUS");
        using var enrolled = await Enroller.EnrolAsync(serial, School);

        var ready = await Eventually.MatchesAsync(async () =>
        {
            using var response = await Enroller.StatusAsync(serial.ToLowerInvariant(), School);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var view = await response.Content.ReadFromJsonAsync<JsonElement>();
            if (!view.GetProperty("readyToProvision").GetBoolean())
            {
                // While not ready, the header and the body say when to ask again, and agree.
                Assert.Equal(view.GetProperty("retryAfterSeconds").GetInt32(), (int)response.Headers.RetryAfter!.Delta!.Value.TotalSeconds);
            }
            else
            {
                Assert.Null(response.Headers.RetryAfter);
            }

            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
            return view;
        }, v => v.GetProperty("readyToProvision").GetBoolean(), because: "the device becomes ready to provision");

        Assert.Equal(
            ["deploymentProfile", "readyToProvision", "schoolUai", "serialNumber", "status"],
            ready.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(serial, ready.GetProperty("serialNumber").GetString());
        Assert.Equal(School, ready.GetProperty("schoolUai").GetString());
        Assert.Equal("registered", ready.GetProperty("status").GetString());
        Assert.Equal("assigned", ready.GetProperty("deploymentProfile").GetString());
    }

    [Fact]
    public async Task Reading_the_status_changes_nothing_and_writes_nothing_to_the_trail()
    {
        var serial = Enroller.NewSerial("NOSIDE");
        using var enrolled = await Enroller.EnrolAsync(serial, School);
        var trailBefore = await Eventually.MatchesAsync(() => TrailAsync(serial), t => t.Contains(AuditEventTypes.DeviceProfileAssigned), because: "the device settles with its profile");
        var before = (await backend.DeviceAsync(serial))!.Value.GetRawText();

        for (var i = 0; i < 5; i++)
        {
            using var response = await Enroller.StatusAsync(serial, School);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(before, (await backend.DeviceAsync(serial))!.Value.GetRawText());
        Assert.Equal(trailBefore, await TrailAsync(serial));
    }

    [Fact]
    public async Task A_status_read_without_a_valid_signature_of_its_school_is_401()
    {
        var serial = Enroller.NewSerial("UNSIGNED");
        using var enrolled = await Enroller.EnrolAsync(serial, School);
        var otherKey = await Enroller.KeyAsync(OtherSchool);
        // A minute beyond the 300-s window, read when sent: the requests before them may take seconds on a busy machine.
        static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        HttpResponseMessage[] refused =
        [
            await backend.Client.GetAsync($"api/enrolments/{serial}"),
            await Enroller.StatusAsync(serial, School, tamper: r => r.Headers.Remove("X-Enrolment-School")),
            await Enroller.StatusAsync(serial, School, tamper: r => r.Headers.Remove("X-Enrolment-Signature")),
            await Enroller.StatusAsync(serial, School, key: new byte[32]),
            await Enroller.StatusAsync(serial, School, key: otherKey),
            await Enroller.StatusAsync(serial, School, timestamp: Now() - 360),
            await Enroller.StatusAsync(serial, School, timestamp: Now() + 360),
            // A signature for another device's path, or another method, does not open this one.
            await Enroller.StatusAsync(serial, School, signedPath: $"/api/enrolments/{Enroller.NewSerial()}"),
            await Enroller.StatusAsync(serial, School, signedPath: $"/api/enrolments/{serial}?x=1"),
        ];

        foreach (var response in refused)
        {
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
            Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Enrolment-HMAC-SHA256");
            response.Dispose();
        }
    }

    [Fact]
    public async Task The_query_string_is_not_signed_and_another_school_naming_itself_gets_404()
    {
        var serial = Enroller.NewSerial("QUERY");
        using var enrolled = await Enroller.EnrolAsync(serial, School);

        using var withQuery = await Enroller.StatusAsync(serial, School, tamper: r => r.RequestUri = new Uri(r.RequestUri!.OriginalString + "?cache=1", UriKind.Relative));
        using var fromOtherSchool = await Enroller.StatusAsync(serial, OtherSchool);

        Assert.Equal(HttpStatusCode.OK, withQuery.StatusCode);
        await ProblemAssert.IsProblemAsync(fromOtherSchool, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_serial_enrolled_at_another_school_and_one_enrolled_nowhere_get_the_same_404()
    {
        var elsewhere = Enroller.NewSerial("ELSEWHERE");
        using var enrolled = await Enroller.EnrolAsync(elsewhere, OtherSchool);

        using var atOtherSchool = await Enroller.StatusAsync(elsewhere, School);
        using var nowhere = await Enroller.StatusAsync("NOWHERE-1", School);
        using var notASerial = await Enroller.StatusAsync("..", School);

        var first = await ProblemAssert.IsProblemAsync(atOtherSchool, HttpStatusCode.NotFound);
        var second = await ProblemAssert.IsProblemAsync(nowhere, HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(notASerial, HttpStatusCode.NotFound);
        Assert.Equal(first.GetProperty("detail").GetString()!.Replace(elsewhere, "X", StringComparison.Ordinal), second.GetProperty("detail").GetString()!.Replace("NOWHERE-1", "X", StringComparison.Ordinal));
        Assert.DoesNotContain(OtherSchool, first.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_device_enrolling_again_with_another_hash_has_it_replaced_and_registers()
    {
        var serial = Enroller.NewSerial("REHASH");
        using var bad = await Enroller.EnrolAsync(serial, School, hash: [1, 2, 3]);
        await backend.SettledAsync(serial);

        // Failed for its hash: the view names the code and gives no Retry-After (waiting will not help).
        using var failed = await Enroller.StatusAsync(serial, School);
        var failedView = await failed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("failed", failedView.GetProperty("status").GetString());
        Assert.Equal(ImportDecisions.InvalidHardwareHash, failedView.GetProperty("lastErrorCode").GetString());
        Assert.False(failedView.TryGetProperty("retryAfterSeconds", out _));
        Assert.Null(failed.Headers.RetryAfter);

        // The same hash again changes nothing but the count; another hash starts a new attempt with it.
        using var sameHash = await Enroller.EnrolAsync(serial, School, hash: [1, 2, 3]);
        Assert.Equal(HttpStatusCode.OK, sameHash.StatusCode);
        using var newHash = await Enroller.EnrolAsync(serial, School);

        Assert.Equal(HttpStatusCode.Accepted, newHash.StatusCode);
        Assert.Equal($"/api/devices/{serial}", newHash.Headers.Location?.OriginalString);
        var view = await newHash.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("received", view.GetProperty("status").GetString());
        Assert.False(view.TryGetProperty("lastErrorCode", out _));
        var device = await backend.SettledAsync(serial);
        Assert.Equal("registered", device.GetProperty("status").GetString());
        Assert.Equal(3, device.GetProperty("enrolmentCount").GetInt32());
        Assert.Equal(2, backend.Host.Graph!.State.ImportsOf(serial));
        var trail = await Eventually.MatchesAsync(() => TrailAsync(serial), t => t.Contains(AuditEventTypes.DeviceRegistered), because: "the registration is audited");
        Assert.Equal(1, trail.Count(t => t == AuditEventTypes.DeviceHashReplaced));
        Assert.Equal(1, trail.Count(t => t == AuditEventTypes.DeviceReenrolled));
    }

    [Fact]
    public async Task Sending_the_new_hash_twice_replaces_it_once()
    {
        var serial = Enroller.NewSerial("REHASH2");
        using var bad = await Enroller.EnrolAsync(serial, School, hash: [4, 5, 6]);
        await backend.SettledAsync(serial);

        var answers = await Task.WhenAll(Enroller.EnrolAsync(serial, School), Enroller.EnrolAsync(serial, School));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Accepted], answers.Select(a => a.StatusCode).Order());
        Assert.Equal("registered", (await backend.SettledAsync(serial)).GetProperty("status").GetString());
        Assert.Equal(2, backend.Host.Graph!.State.ImportsOf(serial));
        foreach (var answer in answers)
        {
            answer.Dispose();
        }
    }

    private async Task<List<string>> TrailAsync(string serial)
    {
        var page = await backend.GetJsonAsync<JsonElement>($"api/audit?serialNumber={serial}&pageSize=500");
        return page.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("type").GetString()!).ToList();
    }
}
