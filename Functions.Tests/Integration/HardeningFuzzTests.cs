using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Sarthe.DevHost;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Enrolment;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Inventory;
using Sarthe.Enrolment.Keys;
using Sarthe.Enrolment.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// The requests of issue 22's review, generated (seeded: each test prints its seed, and <c>FUZZ_SEED</c> replays one):
/// forged and malformed forwarded headers on the enrolment and bundle routes, junk manifests, and serials of another
/// school's inventory (the <c>hold</c> and <c>reject</c> policies run the same generator in their own test classes).
/// </summary>
[Collection(BackendCollection.Name)]
public sealed class HardeningFuzzTests(BackendFixture backend, ITestOutputHelper output)
{
    // No other test uses these schools.
    private const string EnrollingSchool = "0721042S";
    private const string BundleSchool = "0721093X";
    private const string CrossSchool = "0721086P";
    private const string CrossBuyer = "0721089T";

    [Fact]
    public async Task Enrolments_with_forged_forwarded_headers_are_answered_as_without_them_never_a_5xx()
    {
        var random = Fuzz.Random(output, 20261222);
        var key = await backend.Enroller.KeyAsync(EnrollingSchool);
        var results = new List<(string Case, HttpStatusCode Expected, HttpResponseMessage Response)>();
        for (var i = 0; i < 120; i++)
        {
            var headers = ForgedHeaders.Draw(random, frontDoorIds: [SimulatedFrontDoor.Id]);
            var serial = Enroller.NewSerial("FWD");
            var signed = random.Next(3) > 0;
            var body = Encoding.UTF8.GetBytes(Enroller.Body(serial, EnrollingSchool).ToJsonString());
            // This backend is not in Front Door mode: even this Front Door's id leaves every header unread.
            var response = await backend.Enroller.SendAsync(body, signed ? key : new byte[32], tamper: r => ForgedHeaders.Apply(r, headers));
            results.Add(($"{(signed ? "signed" : "forged")} {serial} {ForgedHeaders.Show(headers)}", signed ? HttpStatusCode.Accepted : HttpStatusCode.Unauthorized, response));
        }

        foreach (var (name, expected, response) in results)
        {
            using (response)
            {
                Assert.True(response.StatusCode == expected, $"{name} -> {(int)response.StatusCode}");
                if (expected != HttpStatusCode.Accepted)
                {
                    await ProblemAssert.IsProblemAsync(response, expected);
                }
            }
        }
    }

    [Fact]
    public async Task A_bundle_asked_for_with_forged_forwarded_headers_names_the_configured_endpoint_never_a_5xx()
    {
        var random = Fuzz.Random(output, 20261223);
        var configured = backend.Host.BaseUrl.ToString().TrimEnd('/');
        for (var i = 0; i < 40; i++)
        {
            var headers = ForgedHeaders.Draw(random, frontDoorIds: [SimulatedFrontDoor.Id]);
            using var request = backend.Request(HttpMethod.Post, $"api/schools/{BundleSchool}/enrolment-keys?format=zip", AdminRoles.Admin);
            ForgedHeaders.Apply(request, headers);

            using var response = await backend.Client.SendAsync(request);

            var name = ForgedHeaders.Show(headers);
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"{name} -> {(int)response.StatusCode}");
            Assert.Equal(configured, Assert.Single(response.Headers.GetValues(ProvisioningBundle.EndpointHeader)));
            using var archive = new ZipArchive(await response.Content.ReadAsStreamAsync(), ZipArchiveMode.Read);
            await using var config = archive.GetEntry($"{BundleSchool}/enrolment.config.json")!.Open();
            Assert.True(configured == (await JsonDocument.ParseAsync(config)).RootElement.GetProperty("endpoint").GetString(), name);
        }
    }

    [Fact]
    public async Task Junk_manifests_never_get_a_5xx_answer_within_the_listed_bound_and_store_no_line()
    {
        var random = Fuzz.Random(output, 20261224);
        var tables = (TableServiceClient)backend.Host.Services.GetService(typeof(TableServiceClient))!;
        var inventory = tables.GetTableClient(TableNames.Inventory);
        var manifests = tables.GetTableClient(TableNames.InventoryManifests);
        async Task<HashSet<string>> Rows(TableClient table) =>
            (await table.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"]).ToListAsync()).Select(e => $"{e.PartitionKey}|{e.RowKey}|{e.ETag}").ToHashSet(StringComparer.Ordinal);
        var inventoryBefore = await Rows(inventory);
        var manifestsBefore = await Rows(manifests);

        var imported = new HashSet<string>(StringComparer.Ordinal);
        var statuses = new List<int>();
        for (var i = 0; i < 40; i++)
        {
            var (name, bytes, contentType) = JunkManifests.Draw(random, i);
            using var request = backend.Request(HttpMethod.Post, $"api/inventory/manifests?name=junk-{i}.csv", AdminRoles.Admin);
            request.Content = new ByteArrayContent(bytes);
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);

            using var response = await backend.Client.SendAsync(request);

            var status = (int)response.StatusCode;
            statuses.Add(status);
            var what = $"#{i} {name} ({bytes.Length} B) -> {status}";
            Assert.True(status is 201 or (>= 400 and < 500), what);
            if (status != 201)
            {
                await ProblemAssert.IsProblemAsync(response, response.StatusCode);
                continue;
            }

            var text = await response.Content.ReadAsStringAsync();
            var result = JsonDocument.Parse(text).RootElement;
            var listed = result.GetProperty("rejected").EnumerateArray().Select(r => r.GetProperty("line").GetInt32()).ToList();
            var rejectedCount = result.GetProperty("rejectedCount").GetInt32();
            Assert.True(result.GetProperty("accepted").GetInt32() == 0, what);
            Assert.True(result.GetProperty("rows").GetInt32() == rejectedCount, what);
            Assert.True(listed.Count == Math.Min(rejectedCount, RejectedLines.MaxListed), what);
            Assert.True(listed.SequenceEqual(listed.Order()), what);
            Assert.True(result.GetProperty("rejectedByField").EnumerateObject().All(f => f.Value.GetInt32() <= rejectedCount), what);
            imported.Add(result.GetProperty("manifestId").GetString()!);
        }

        output.WriteLine(string.Join(", ", statuses.GroupBy(s => s).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}")));
        Assert.Contains(201, statuses);
        Assert.Contains(statuses, s => s >= 400);
        // No line of any file reached the inventory; a refused file left no manifest either.
        Assert.Equal(inventoryBefore, await Rows(inventory));
        var newManifests = (await Rows(manifests)).Except(manifestsBefore).Select(r => r.Split('|')[1]).ToList();
        Assert.All(newManifests, id => Assert.Contains(id, imported));
    }

    [Fact]
    public async Task Generated_cross_school_serials_are_refused_409_under_accept_never_claimed_and_their_buyer_enrols_them() =>
        await CrossSchoolSerials.FuzzAsync(backend, Fuzz.Random(output, 20261225), CrossSchool, CrossBuyer, output);
}

/// <summary>
/// Forged requests from one connection against the small per-source limit, in Front Door mode: whatever forwarded
/// headers they carry without this Front Door's id, they all spend one bucket, the connection's.
/// </summary>
public sealed class ForwardedHeaderLimitFuzzTests(SmallLimitFixture backend, ITestOutputHelper output) : IClassFixture<SmallLimitFixture>
{
    private const string School = "0721224P";

    [Fact]
    public async Task Forged_attempts_with_generated_forwarded_headers_spend_their_connections_bucket_never_one_they_name()
    {
        var random = Fuzz.Random(output, 20261226);
        await backend.Enroller.KeyAsync(School);
        const int attempts = 150;
        var statuses = new List<HttpStatusCode>();
        var started = DateTime.UtcNow;
        for (var i = 0; i < attempts; i++)
        {
            // Any Front Door id but this one: the client wrote it.
            var headers = ForgedHeaders.Draw(random, frontDoorIds: [Guid.NewGuid().ToString(), SimulatedFrontDoor.Id.ToUpperInvariant(), " " + SimulatedFrontDoor.Id + "x"]);
            var body = Encoding.UTF8.GetBytes(Enroller.Body(Enroller.NewSerial("LIMFZ"), School).ToJsonString());
            using var response = await backend.Enroller.SendAsync(body, new byte[32], tamper: r => ForgedHeaders.Apply(r, headers));
            Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, $"{ForgedHeaders.Show(headers)} -> {(int)response.StatusCode}");
            await ProblemAssert.IsProblemAsync(response, response.StatusCode);
            statuses.Add(response.StatusCode);
        }

        // One bucket: its burst, and what it refilled while the test ran (PerSourcePerMinute = 6), then 429s.
        var refilled = (int)Math.Ceiling((DateTime.UtcNow - started).TotalMinutes * 6);
        var refused = statuses.Count(s => s == HttpStatusCode.Unauthorized);
        output.WriteLine($"{refused} × 401, {attempts - refused} × 429 in {(DateTime.UtcNow - started).TotalSeconds:F1} s");
        Assert.InRange(refused, SmallLimitFixture.Burst, SmallLimitFixture.Burst + refilled);
        Assert.Equal(HttpStatusCode.Unauthorized, statuses[0]);
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);

        // This Front Door's id is the platform's hop: the client address it writes has a bucket of its own.
        using var throughFrontDoor = await backend.Enroller.SendAsync(
            Encoding.UTF8.GetBytes(Enroller.Body(Enroller.NewSerial("LIMFZ"), School).ToJsonString()), new byte[32], tamper: r => r.From("10.226.0.1"));
        await ProblemAssert.IsProblemAsync(throughFrontDoor, HttpStatusCode.Unauthorized);
    }
}

/// <summary>The seed of a generated test: <c>FUZZ_SEED</c> when set (to replay a failure), else the test's own; printed.</summary>
internal static class Fuzz
{
    public static Random Random(ITestOutputHelper output, int seed)
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SEED"), out var replay))
        {
            seed = replay;
        }

        output.WriteLine($"seed {seed} (FUZZ_SEED={seed} replays it)");
        return new Random(seed);
    }

    public static string Pick(Random random, string[] items) => items[random.Next(items.Length)];

    /// <summary>Printable ASCII (what an HTTP client sends in a header without refusing it), no separators.</summary>
    public static string Noise(Random random, int length, string except = "")
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            do
            {
                chars[i] = (char)random.Next(0x21, 0x7f);
            }
            while (except.Contains(chars[i], StringComparison.Ordinal));
        }

        return new string(chars);
    }
}

/// <summary>Forwarding headers as a client could forge them: those ASP.NET Core, Azure Front Door and proxies use.</summary>
internal static class ForgedHeaders
{
    private static readonly string[] Names =
    [
        "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Forwarded-Prefix", "Forwarded", "X-Original-Host",
        "X-Original-For", "X-Real-IP", "X-Client-IP", ClientAddress.FrontDoorIdHeader, ClientAddress.FrontDoorClientHeader, "X-Azure-SocketIP",
        "X-Azure-Ref", "X-ARR-SSL", "X-Original-URL",
    ];

    private static readonly string[] Values =
    [
        "enrol.evil.example", "evil.example:443", "a b", "[::1", "javascript", "https, http", "http", "", " ", "unknown", "_hidden", "1.2.3.4",
        "256.256.256.256", "::1", "::ffff:10.0.0.1", "10.0.0.1:8080", "1.2.3.4, 5.6.7.8", "for=1.2.3.4;proto=http;host=evil.example",
        "for=\"[::1]:80\", for=unknown", "127.0.0.1", "0.0.0.0", "-1", "99999", "/admin", "https://enrol.evil.example/", "xn--nrol-bpa.example",
        "user@enrol.sarthe.fr", "%00", "\t1.2.3.4\t",
    ];

    public static List<(string Name, string Value)> Draw(Random random, string[] frontDoorIds)
    {
        var headers = new List<(string, string)>();
        for (var n = random.Next(1, 6); n > 0; n--)
        {
            var name = Names[random.Next(Names.Length)];
            var value = random.Next(6) switch
            {
                0 => Fuzz.Noise(random, random.Next(1, 300)),
                // Long, but within Kestrel's 32 KB of headers for the five a request carries at most.
                1 => string.Join(",", Enumerable.Range(0, random.Next(2, 300)).Select(i => $"10.{i % 256}.{random.Next(256)}.1")),
                2 => new string('a', random.Next(1_000, 4_000)),
                _ when name == ClientAddress.FrontDoorIdHeader => frontDoorIds[random.Next(frontDoorIds.Length)],
                _ => Values[random.Next(Values.Length)],
            };
            headers.Add((name, value));
        }

        return headers;
    }

    public static void Apply(HttpRequestMessage request, List<(string Name, string Value)> headers)
    {
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
    }

    public static string Show(List<(string Name, string Value)> headers) =>
        string.Join("; ", headers.Select(h => $"{h.Name}: {h.Value[..Math.Min(h.Value.Length, 40)]}"));
}

/// <summary>Files no line of which is a valid inventory line: junk after a real header, binary, wrong encodings, huge.</summary>
internal static class JunkManifests
{
    private const string AutopilotHeader = "Device Serial Number,Windows Product ID,Hardware Hash"; // no Group Tag and no schoolUai=: no line has a school

    public static (string Name, byte[] Bytes, string ContentType) Draw(Random random, int i)
    {
        // The first files: more junk lines than an answer lists.
        var lines = i < 2 ? RejectedLines.MaxListed + 500 + random.Next(1_000) : random.Next(1, 300);
        switch (i < 2 ? 0 : random.Next(7))
        {
            case 0:
                return ("programme header, junk lines", Utf8(Manifests.ProgrammeHeader, JunkLines(random, lines, ',')), "text/csv");
            case 1:
                return ("semicolon programme header, junk lines", Utf8(Manifests.ProgrammeHeader.Replace(',', ';'), JunkLines(random, lines, ';')), "text/csv; charset=utf-8");
            case 2:
                return ("autopilot header, lines without a school", Utf8(AutopilotHeader, Enumerable.Range(0, lines).Select(_ => $"{Fuzz.Noise(random, 12, ",\"")},,{Convert.ToBase64String(Bytes(random, 64))}")), "text/csv");
            case 3:
            {
                var junk = Bytes(random, random.Next(1, 64 * 1024));
                return random.Next(2) == 0
                    ? ("binary", junk, "text/csv")
                    : ("programme header, then binary", [.. Encoding.UTF8.GetBytes(Manifests.ProgrammeHeader + "\r\n"), .. junk], "text/csv");
            }

            case 4:
            {
                // Encodings the file does not declare: UTF-16 without its BOM, big-endian content behind a little-endian BOM, ANSI.
                var text = Manifests.ProgrammeHeader + "\r\n" + string.Join("\r\n", JunkLines(random, lines, ',')) + "\r\nÉLÈVE-1,0720001A,ordinateur,Élan,Modèle,BC,F,1\r\n";
                return random.Next(3) switch
                {
                    0 => ("UTF-16 without BOM", Encoding.Unicode.GetBytes(text), "text/csv"),
                    1 => ("UTF-16 BE behind a LE BOM", [.. Encoding.Unicode.GetPreamble(), .. Encoding.BigEndianUnicode.GetBytes(text)], "text/csv; charset=utf-16"),
                    _ => ("ANSI (Latin-1)", Encoding.Latin1.GetBytes(text), "text/csv"),
                };
            }

            case 5:
                // A quote never closed: one record up to the reader's limit, and past it.
                return ("unclosed quote", Utf8(Manifests.ProgrammeHeader, [$"\"{Fuzz.Noise(random, random.Next(100, 40_000), "\"")}", "X,Y"]), "text/csv");
            default:
                return ("lines of separators and quotes", Utf8(Manifests.ProgrammeHeader, Enumerable.Range(0, lines).Select(_ => new string([.. Enumerable.Range(0, random.Next(1, 60)).Select(_ => ",;\"\t '"[random.Next(6)])]))), "text/csv");
        }
    }

    /// <summary>Lines of random fields, none of whose second field is a school of the registry (so none is valid).</summary>
    private static IEnumerable<string> JunkLines(Random random, int count, char separator) =>
        Enumerable.Range(0, count).Select(_ => string.Join(separator, Enumerable.Range(0, random.Next(0, 12)).Select(f => f == 1
            ? Fuzz.Pick(random, ["", "0720001A", "UAI", Fuzz.Noise(random, 9, ",;\"")])
            : Fuzz.Pick(random, ["", "laptop", "612,50", "\"612,50\"", "-1", "1e9", "=HYPERLINK(\"x\")", "\"", Fuzz.Noise(random, random.Next(1, 80), ",;\""), new string('9', 70)]))));

    private static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Utf8(string header, IEnumerable<string> lines) => Encoding.UTF8.GetBytes(header + "\r\n" + string.Join("\r\n", lines) + "\r\n");
}

/// <summary>
/// Serials of another school's inventory enrolled at a school, under whatever policy the backend runs: bought on a
/// programme line or pre-registered from an Autopilot CSV, sent in other cases and spacings, more than once and at
/// several schools at once. Every attempt is a 409 problem of its own reason, audited so, naming neither the buyer nor
/// its purchase; nothing is held nor claimed, and the school that bought the serial then enrols it.
/// </summary>
internal static class CrossSchoolSerials
{
    public static async Task FuzzAsync(BackendFixture backend, Random random, string school, string buyer, ITestOutputHelper output)
    {
        for (var n = 0; n < 8; n++)
        {
            var serial = Enroller.NewSerial("XFZ");
            var preRegistered = random.Next(2) == 0;
            if (preRegistered)
            {
                await Manifests.ImportAsync(backend, $"Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\n{serial},,{Manifests.Hash(serial)},{buyer}\n", "oem.csv");
            }
            else
            {
                await PolicySteps.BuyAsync(backend, serial, buyer);
            }

            string[] variants = [serial, serial.ToLowerInvariant(), $" {serial} ", $"\t{serial}"];
            var sent = Enumerable.Range(0, random.Next(1, 4)).Select(_ => variants[random.Next(variants.Length)]).ToList();
            var type = Fuzz.Pick(random, ["laptop", "desktop", "tablet"]);
            output.WriteLine($"{serial}: {(preRegistered ? "pre-registered" : "bought")} for {buyer}, sent as [{string.Join("|", sent)}] ({type})");
            var answers = await Task.WhenAll(sent.Select(variant => backend.Enroller.EnrolAsync(variant, school, type)));
            foreach (var answer in answers)
            {
                using (answer)
                {
                    var problem = await ProblemAssert.IsProblemAsync(answer, HttpStatusCode.Conflict);
                    Assert.Contains("another school's purchase inventory", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
                    Assert.DoesNotContain(buyer, problem.GetRawText(), StringComparison.Ordinal);
                    Assert.DoesNotContain("BC-POL", problem.GetRawText(), StringComparison.Ordinal);
                }
            }

            var trail = await Eventually.MatchesAsync(() => PolicySteps.TrailAsync(backend, serial),
                t => t.Count(e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceEnrolmentRejected) == sent.Count, because: $"{sent.Count} rejections of {serial} in the trail");
            Assert.All(trail.Where(e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceEnrolmentRejected), e =>
                Assert.Equal((409, "bought_for_another_school"), (e.GetProperty("data").GetProperty("status").GetInt32(), e.GetProperty("data").GetProperty("reason").GetString())));
            Assert.DoesNotContain(trail, e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceHeld);

            // Never held nor claimed here: the buyer enrols it (202, or 200 when pre-registration made it already).
            using var bought = await backend.Enroller.EnrolAsync(serial, buyer, type);
            Assert.True(bought.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK, $"{serial} at its buyer -> {(int)bought.StatusCode}");
            Assert.Equal(buyer, (await backend.DeviceAsync(serial))!.Value.GetProperty("schoolUai").GetString());
        }
    }
}
