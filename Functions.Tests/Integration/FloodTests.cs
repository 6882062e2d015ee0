using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sarthe.DevHost;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// A backend with a small per-source limit, so that a flood is refused within the test, in Front Door mode so that the
/// test's clients stand for many addresses (<see cref="SimulatedFrontDoor"/>).
/// </summary>
public sealed class SmallLimitFixture : BackendFixture
{
    public const int Burst = 20;
    public const int SchoolBurst = 3;
    public const int StatusBurst = 5;

    protected override void Configure(DevHostOptions options)
    {
        SimulatedFrontDoor.Configure(options);
        options.Settings["EnrolmentLimits:PerSourceBurst"] = Burst.ToString(System.Globalization.CultureInfo.InvariantCulture);
        options.Settings["EnrolmentLimits:PerSourcePerMinute"] = "6";
        options.Settings["EnrolmentLimits:PerSchoolBurst"] = SchoolBurst.ToString(System.Globalization.CultureInfo.InvariantCulture);
        options.Settings["EnrolmentLimits:PerSchoolPerMinute"] = "1";
        options.Settings["EnrolmentLimits:StatusPerSourceBurst"] = StatusBurst.ToString(System.Globalization.CultureInfo.InvariantCulture);
        options.Settings["EnrolmentLimits:StatusPerSourcePerMinute"] = "1";
    }
}

/// <summary>
/// Forged requests, as an attacker who knows a school's UAI sends them: they are refused cheaply, audited once per
/// school, reason and minute with their count, and the school's real devices go on enrolling.
/// </summary>
public sealed class FloodTests(SmallLimitFixture backend) : IClassFixture<SmallLimitFixture>
{
    // One school per test: the tally of one test must not count the other's rejections.
    private const string TalliedSchool = "0721364S";
    private const string FloodedSchool = "0721365T";
    private const string KeyHolderSchool = "0721363R";
    private const string NewKeySchool = "0721263G";
    private const string StatusTalliedSchool = "0721043T";
    private const string WaitingSchool = "0721044U";

    [Fact]
    public async Task Forged_requests_are_audited_once_per_school_reason_and_minute_with_their_count()
    {
        const int forged = 15;
        await backend.Enroller.KeyAsync(TalliedSchool); // a school with a key: the reason is bad_signature, not no_key_issued
        for (var i = 0; i < forged; i++)
        {
            using var response = await SendAsync(Enroller.Body(Enroller.NewSerial("FORGED"), TalliedSchool).ToJsonString(), new byte[32], "10.1.0.1");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        await backend.Host.Services.GetRequiredService<RejectionTally>().FlushAsync(everything: true, CancellationToken.None);

        var entries = await Eventually.MatchesAsync(() => RejectionsAsync(TalliedSchool), e => e.Sum(Attempts) >= forged, because: "the count reaches the trail");
        var badSignature = entries.Where(e => e.GetProperty("data").GetProperty("reason").GetString() == "bad_signature").ToList();
        Assert.InRange(badSignature.Count, 1, 2); // one per minute: two if the test straddled a minute
        Assert.Equal(forged, badSignature.Sum(Attempts));
    }

    [Fact]
    public async Task A_flood_from_one_address_gets_429_with_retry_after_and_other_addresses_are_untouched()
    {
        var key = await backend.Enroller.KeyAsync(FloodedSchool);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < SmallLimitFixture.Burst + 5; i++)
        {
            using var response = await SendAsync(Enroller.Body(Enroller.NewSerial("FLOOD"), FloodedSchool).ToJsonString(), new byte[32], "10.2.0.2");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await ProblemAssert.IsProblemAsync(response, HttpStatusCode.TooManyRequests);
                Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
            }
        }

        Assert.Equal(SmallLimitFixture.Burst, statuses.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.TooManyRequests));

        // A real device of the school, from its own network, enrols meanwhile.
        var serial = Enroller.NewSerial("REAL");
        using var real = await SendAsync(Enroller.Body(serial, FloodedSchool).ToJsonString(), key, "10.3.0.3");
        Assert.Equal(HttpStatusCode.Accepted, real.StatusCode);
    }

    [Fact]
    public async Task Correctly_signed_attempts_never_spend_their_addresss_tokens_only_refused_ones_do()
    {
        // Every school behind one address (a département's network): more signed enrolments than the address's burst,
        // each school within its own limit, all accepted.
        string[] schools = ["0720015A", "0720019E", "0720069J", "0721281B", "0720986F", "0720987G", "0721304B", "0720001K"];
        const string shared = "10.8.0.8";
        foreach (var school in schools)
        {
            var key = await backend.Enroller.KeyAsync(school);
            for (var i = 0; i < SmallLimitFixture.SchoolBurst; i++)
            {
                using var signed = await SendAsync(Enroller.Body(Enroller.NewSerial("SHARED"), school).ToJsonString(), key, shared);
                Assert.Equal(HttpStatusCode.Accepted, signed.StatusCode);
            }
        }

        Assert.True(schools.Length * SmallLimitFixture.SchoolBurst > SmallLimitFixture.Burst);
        // Forged attempts from that address spend its burst, then are refused 429 before anything is read.
        var forged = new List<HttpStatusCode>();
        for (var i = 0; i < SmallLimitFixture.Burst + 1; i++)
        {
            using var response = await SendAsync(Enroller.Body(Enroller.NewSerial("FORGED"), schools[0]).ToJsonString(), new byte[32], shared);
            forged.Add(response.StatusCode);
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, SmallLimitFixture.Burst).Append(HttpStatusCode.TooManyRequests), forged);
    }

    [Fact]
    public async Task A_request_without_this_front_doors_id_counts_by_its_connection_whatever_address_it_claims()
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < SmallLimitFixture.Burst + 1; i++)
        {
            // A client that writes Front Door's headers itself, and X-Forwarded-For, a new address each time.
            using var response = await backend.Enroller.SendAsync(Encoding.UTF8.GetBytes(Enroller.Body(Enroller.NewSerial("SPOOF"), "0720019E").ToJsonString()), new byte[32], tamper: r =>
            {
                r.Headers.TryAddWithoutValidation("X-Azure-FDID", "not-this-front-door");
                r.Headers.TryAddWithoutValidation("X-Azure-ClientIP", $"10.9.{i}.1");
                r.Headers.TryAddWithoutValidation("X-Forwarded-For", $"10.10.{i}.1");
            });
            statuses.Add(response.StatusCode);
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, SmallLimitFixture.Burst).Append(HttpStatusCode.TooManyRequests), statuses);
    }

    [Fact]
    public async Task A_stolen_key_enrols_a_bounded_number_of_devices_and_forged_requests_never_use_up_the_school_limit()
    {
        var key = await backend.Enroller.KeyAsync(KeyHolderSchool);
        // Forged requests for the school first, each from its own address: all refused 401, none counted against the school.
        for (var i = 0; i < SmallLimitFixture.SchoolBurst * 3; i++)
        {
            using var forged = await SendAsync(Enroller.Body(Enroller.NewSerial("FORGED"), KeyHolderSchool).ToJsonString(), new byte[32], $"10.4.0.{i}");
            Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        }

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < SmallLimitFixture.SchoolBurst + 2; i++)
        {
            using var signed = await SendAsync(Enroller.Body(Enroller.NewSerial("STOLEN"), KeyHolderSchool).ToJsonString(), key, $"10.5.0.{i}");
            statuses.Add(signed.StatusCode);
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Accepted, SmallLimitFixture.SchoolBurst), statuses.Take(SmallLimitFixture.SchoolBurst));
        Assert.All(statuses.Skip(SmallLimitFixture.SchoolBurst), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
    }

    [Fact]
    public async Task A_key_issued_just_after_a_refused_attempt_works_at_once()
    {
        // The refusal reads the school's key ids (none yet) and uses up the school's refresh for 2 s.
        using var early = await SendAsync(Enroller.Body(Enroller.NewSerial("EARLY"), NewKeySchool).ToJsonString(), new byte[32], "10.6.0.1");
        Assert.Equal(HttpStatusCode.Unauthorized, early.StatusCode);

        var key = await backend.Enroller.KeyAsync(NewKeySchool);
        using var enrolled = await SendAsync(Enroller.Body(Enroller.NewSerial("NEWKEY"), NewKeySchool).ToJsonString(), key, "10.6.0.2");

        Assert.Equal(HttpStatusCode.Accepted, enrolled.StatusCode);
    }

    [Fact]
    public async Task Forged_status_reads_are_audited_in_the_same_tally_as_forged_enrolments()
    {
        const int forged = 4;
        await backend.Enroller.KeyAsync(StatusTalliedSchool);
        for (var i = 0; i < forged; i++)
        {
            using var response = await backend.Enroller.StatusAsync(Enroller.NewSerial("PEEK"), StatusTalliedSchool, key: new byte[32],
                tamper: r => r.From($"10.6.0.{i}"));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        await backend.Host.Services.GetRequiredService<RejectionTally>().FlushAsync(everything: true, CancellationToken.None);

        var entries = await Eventually.MatchesAsync(() => RejectionsAsync(StatusTalliedSchool), e => e.Sum(Attempts) >= forged, because: "the count reaches the trail");
        Assert.Equal(forged, entries.Where(e => e.GetProperty("data").GetProperty("reason").GetString() == "bad_signature").Sum(Attempts));
    }

    [Fact]
    public async Task Status_reads_have_a_bucket_of_their_own_so_waiting_devices_never_use_up_enrolment_attempts()
    {
        var key = await backend.Enroller.KeyAsync(WaitingSchool);
        var serial = Enroller.NewSerial("WAITING");
        using var enrolled = await SendAsync(Enroller.Body(serial, WaitingSchool).ToJsonString(), key, "10.7.0.1");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < SmallLimitFixture.StatusBurst + 2; i++)
        {
            using var read = await backend.Enroller.StatusAsync(serial, WaitingSchool, tamper: r => r.From("10.7.0.1"));
            statuses.Add(read.StatusCode);
            if (read.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var problem = await ProblemAssert.IsProblemAsync(read, HttpStatusCode.TooManyRequests);
                Assert.True(read.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
                // The message names the route that refused, not enrolment attempts (issue 22).
                Assert.Contains("GET /api/enrolments/{serialNumber}", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
                Assert.DoesNotContain("enrolment attempts", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            }
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.OK, SmallLimitFixture.StatusBurst), statuses.Take(SmallLimitFixture.StatusBurst));
        Assert.All(statuses.Skip(SmallLimitFixture.StatusBurst), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));

        // The same address still enrols: its enrolment attempts were not spent on reads.
        using var next = await SendAsync(Enroller.Body(Enroller.NewSerial("WAITING"), WaitingSchool).ToJsonString(), key, "10.7.0.1");
        Assert.Equal(HttpStatusCode.Accepted, next.StatusCode);
    }

    private Task<HttpResponseMessage> SendAsync(string body, byte[] key, string sourceAddress) =>
        backend.Enroller.SendAsync(Encoding.UTF8.GetBytes(body), key, tamper: request => request.From(sourceAddress));

    private async Task<List<JsonElement>> RejectionsAsync(string school)
    {
        var page = await backend.GetJsonAsync<JsonElement>($"api/audit?schoolUai={school}&pageSize=500");
        return page.GetProperty("items").EnumerateArray().Where(e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceEnrolmentRejected).ToList();
    }

    private static int Attempts(JsonElement entry) => entry.GetProperty("data").GetProperty("attempts").GetInt32();
}
