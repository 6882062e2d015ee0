using System.Buffers.Text;
using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Sarthe.DevHost;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// 1,000 generated hostile requests to the administrators' routes (reports, audit, schools, devices, keys, inventory) (query strings, route parameters, bodies, content
/// types, tokens): never a 5xx, every error a problem, a mutating route given bad input answers 4xx, and nothing is
/// written: no row appears or changes in the tables no background job writes, and no audit event names this test's
/// administrator (every retry, key rotation and report build is audited with who did it).
/// </summary>
[Collection(BackendCollection.Name)]
public sealed class AdminInputFuzzTests(BackendFixture backend, ITestOutputHelper output)
{
    private const int Requests = 1000;

    // No other test enrols at this school: the one device of this test lives alone there.
    private const string School = "0721477P";

    private static readonly HttpMethod Get = HttpMethod.Get;
    private static readonly HttpMethod Post = HttpMethod.Post;

    [Fact]
    public async Task Generated_bad_admin_requests_get_4xx_problems_and_write_nothing()
    {
        // A device that exists and is not failed: retrying it, whatever the body or query, is a 409 that changes nothing.
        var device = Enroller.NewSerial("AFZ");
        (await backend.Enroller.EnrolAsync(device, School)).Dispose();
        Assert.Equal("registered", (await backend.SettledAsync(device)).GetProperty("status").GetString());

        var administrator = $"fuzz-administrator-{Guid.NewGuid():N}";
        var tokens = new Tokens(backend.Host.Tokens, administrator);
        var random = new Random(20261212);
        var cases = new List<Case>(Requests);
        while (cases.Count < Requests)
        {
            // A traversal that leaves /api/ reaches no function of ours: draw again.
            var c = Generate(random, cases.Count, device, tokens);
            if (IsUnderApi(Resolve(c.Target)))
            {
                cases.Add(c);
            }
        }

        Assert.DoesNotContain(cases, c => c.Method == Post && Resolve(c.Target) != PathOf(c.Target));
        var tables = (TableServiceClient)backend.Host.Services.GetService(typeof(TableServiceClient))!;
        var before = await SnapshotAsync(tables);

        var results = new List<(Case Case, int Status, string ContentType, string Body)>();
        var failures = new List<string>();
        using var gate = new SemaphoreSlim(8);
        await Task.WhenAll(cases.Select(async c =>
        {
            await gate.WaitAsync();
            try
            {
                using var request = c.ToRequest(backend.Host.BaseUrl);
                using var response = await backend.Client.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                lock (results)
                {
                    results.Add((c, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? "", body));
                }
            }
            catch (Exception ex)
            {
                lock (failures)
                {
                    failures.Add($"{c} -> {ex.GetType().Name}: {ex.Message}");
                }
            }
            finally
            {
                gate.Release();
            }
        }));

        foreach (var (c, status, contentType, body) in results)
        {
            var problem = Check(c, status, contentType, body);
            if (problem is not null)
            {
                failures.Add($"{c} -> {status} {contentType}: {problem} {body[..Math.Min(body.Length, 200)]}");
            }
        }

        foreach (var route in results.GroupBy(r => r.Case.Route).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{route.Key}: {route.Count()} ({string.Join(", ", route.GroupBy(r => r.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}"))})");
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {Requests} answers break the contract:\n{string.Join("\n", failures.Take(40))}");
        Assert.Equal(Requests, results.Count);
        var kinds = results.Select(r => r.Status).ToHashSet();
        Assert.Superset(new HashSet<int> { 400, 401, 403, 404, 409 }, kinds);

        // Nothing written: tables only requests write are unchanged, row for row.
        var after = await SnapshotAsync(tables);
        Assert.Equal(before.Schools, after.Schools);
        Assert.Equal(before.SchoolKeys, after.SchoolKeys);
        Assert.Equal(before.Devices, after.Devices);
        Assert.Equal(before.DeviceSerials, after.DeviceSerials);
        Assert.Equal(before.Inventory, after.Inventory);
        Assert.Equal(before.Manifests, after.Manifests);
        // The hourly timer may build a missing past day meanwhile; no existing report may change.
        Assert.Superset(before.FundingReports, after.FundingReports);
        var fuzzedDates = cases.SelectMany(c => c.Dates).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain(after.FundingReports.Except(before.FundingReports), row => fuzzedDates.Contains(row.Split('|')[0]));

        // No audit event by this administrator, stored or still queued: no retry, rotation or build happened.
        var queues = (QueueServiceClient)backend.Host.Services.GetService(typeof(QueueServiceClient))!;
        var triggers = ((IOptions<TriggerOptions>)backend.Host.Services.GetService(typeof(IOptions<TriggerOptions>))!).Value;
        await DrainAsync(queues.GetQueueClient(triggers.AuditQueueName));
        var audit = tables.GetTableClient(TableNames.AuditEvents);
        Assert.Empty(await audit.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"ActorId eq {administrator}")).ToListAsync());
        foreach (var name in triggers.Queues)
        {
            var queued = (await queues.GetQueueClient(name).PeekMessagesAsync(32)).Value;
            Assert.DoesNotContain(queued, m => m.Body.ToString().Contains(administrator, StringComparison.Ordinal));
        }

        // And no trail for the unknown serials this test named (only its own device has one).
        var fuzzTrails = await audit.QueryAsync<TableEntity>(e => e.PartitionKey.CompareTo("device|AFZ") >= 0 && e.PartitionKey.CompareTo("device|AFZ~") < 0, select: ["PartitionKey"]).ToListAsync();
        Assert.All(fuzzTrails, e => Assert.Equal("device|" + device, e.PartitionKey));
    }

    [Fact]
    public async Task A_uai_whose_last_character_only_upper_cases_to_a_check_letter_names_no_school()
    {
        // Found by the fuzz above: "0720007ſ" (long s) was read as 0720007S and had its key rotated.
        const string lookalike = "0720007%C5%BF";
        var keys = ((TableServiceClient)backend.Host.Services.GetService(typeof(TableServiceClient))!).GetTableClient(TableNames.SchoolKeys);
        async Task<string?> KeyVersionAsync() => await keys.GetEntityIfExistsAsync<TableEntity>("0720007S", "keys") is { HasValue: true } row ? row.Value!.ETag.ToString() : null;
        var before = await KeyVersionAsync();

        using var rotate = await backend.Client.SendAsync(backend.Request(Post, $"api/schools/{lookalike}/enrolment-keys", AdminRoles.Admin));
        using var school = await backend.GetAsync($"api/schools/{lookalike}");
        using var audit = await backend.GetAsync($"api/audit?schoolUai={lookalike}");

        await ProblemAssert.IsProblemAsync(rotate, HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(school, HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(audit, HttpStatusCode.BadRequest);
        Assert.Equal(before, await KeyVersionAsync());
    }

    /// <summary>What is wrong with the answer to a case, or null when it keeps the contract.</summary>
    private static string? Check(Case c, int status, string contentType, string body)
    {
        if (status >= 500)
        {
            return "server error";
        }

        var expected = c.Expect switch
        {
            Expect.Unauthorized => status == 401,
            Expect.Forbidden => status == 403,
            Expect.Error => status is >= 400 and < 500,
            _ => true,
        };
        if (!expected)
        {
            return $"expected {c.Expect}";
        }

        if (status < 400)
        {
            return null;
        }

        if (contentType != "application/problem+json")
        {
            return "not a problem";
        }

        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.GetProperty("status").GetInt32() != status ? "problem status differs"
                : body.Contains("   at ", StringComparison.Ordinal) ? "stack trace"
                : null;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return "unreadable problem";
        }
    }

    private enum Expect
    {
        /// <summary>A read route whose hostile query may still be a valid one: anything but a 5xx, errors as problems.</summary>
        Any,

        /// <summary>Bad input only: a 4xx problem.</summary>
        Error,

        Unauthorized,
        Forbidden,
    }

    private sealed record Case(string Route, string Name, HttpMethod Method, string Target, Expect Expect, string? Authorization, byte[]? Body, string? ContentType, string[] Dates)
    {
        public HttpRequestMessage ToRequest(Uri baseUrl)
        {
            // Sent byte for byte: no dot-segment removal or re-escaping by the client.
            var uri = new Uri(baseUrl + Target, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
            var request = new HttpRequestMessage(Method, uri);
            if (Authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", Authorization);
            }

            if (Body is not null)
            {
                request.Content = new ByteArrayContent(Body);
                if (ContentType is not null)
                {
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
                }
            }

            return request;
        }

        public override string ToString() =>
            $"[{Name}] {Method} {Target[..Math.Min(Target.Length, 160)]}{(Body is null ? "" : $" body {Body.Length} B {ContentType}")} auth={Authorization?[..Math.Min(Authorization.Length, 12)]}";
    }

    /// <summary>Tokens of this test's administrator, with the right role, the wrong one, or broken.</summary>
    private sealed class Tokens(DevTokenIssuer issuer, string subject)
    {
        public string Read { get; } = "Bearer " + issuer.CreateToken([AdminRoles.Read], subject);

        public string Admin { get; } = "Bearer " + issuer.CreateToken([AdminRoles.Admin], subject);

        public string[] Unauthenticated { get; } =
        [
            "Bearer",
            "Bearer ",
            "Bearer x.y.z",
            "Basic YWRtaW46YWRtaW4=",
            "Bearer " + new string('A', 6000),
            "Bearer " + issuer.CreateToken([AdminRoles.Admin], subject, lifetime: TimeSpan.FromMinutes(10), notBefore: DateTime.UtcNow.AddHours(-1)),
            "Bearer " + issuer.CreateToken([AdminRoles.Admin], subject, audience: "api://another-api"),
            "Bearer " + issuer.CreateToken([AdminRoles.Admin], subject, issuer: "https://evil.example/"),
            // alg "none": an unsigned token with the admin role.
            "Bearer " + Base64Url.EncodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}"u8) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{{\"roles\":[\"{AdminRoles.Admin}\"],\"oid\":\"{subject}\",\"exp\":4102444800}}")) + ".",
        ];

        public string[] WithoutRole { get; } =
        [
            "Bearer " + issuer.CreateToken([], subject),
            "Bearer " + issuer.CreateToken(["enrolment.admin", "enrolment.read"], subject),
            "Bearer " + issuer.CreateToken([AdminRoles.Admin + " "], subject),
            "Bearer " + issuer.CreateToken(["Enrolment.Reader"], subject),
        ];
    }

    private static Case Generate(Random random, int i, string device, Tokens tokens)
    {
        T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];
        string Long(char c) => new(c, random.Next(100, 3000));

        // Percent-encoded as a client would send text; the other values are sent as written (already on the wire).
        static string E(string text) => Uri.EscapeDataString(text);
        var tomorrow = DateTime.UtcNow.AddDays(2).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        string[] badDates =
        [
            "9999-12-31", "9999-12-30", "0001-01-01", "0000-01-01", "2024-02-30", "2025-02-29", "2025-13-01", "2025-00-10", "2025-01-32",
            "2025-1-1", "20250101", "2025-01-01T00:00:00Z", "2025%2F01%2F01", "2025-01-01%00", "%00", "%002025-01-01",
            E("٢٠٢٥-٠١-٠١"), E("２０２５-０１-０１"), E("2025‐01‐01"), "-2025-01-01", "%2B2025-01-01", "%202025-01-01", "2025-01-01%20",
            "2025-01-01%0D%0AX-Injected:%201", "10000-01-01", "99999999999999999999-01-01", "2024-08-31", tomorrow, "1e10", "NaN", "null",
            "latest%00", "LATEST%20", "%25", "%zz", "%C0%AE", "%FF%FE", E(Long('9')), "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2f",
            E("${jndi:ldap://x/a}"), E("{{7*7}}"), E("' or '1'='1"), E("2025-01-01' or RowKey ne '"),
        ];
        string[] badSerials =
        [
            "%00", "..%2F..%2Fetc%2Fpasswd", "..%5C..%5Cboot.ini", E("<script>alert(1)</script>"), E("' or 1=1 --"), E(new string('A', 65)),
            E(Long('B')), E("💻"), "%F0%9F%92%BB", "%FF", "%C0%AF", "AFZ%0D%0ASet-Cookie:%20x=1", "%20", "%252F", E("a b"), "*", E("AFZ?x=1"),
            "AFZ%23frag", E("\u202eZFA"), "AFZ%00", E("AFZ\u200b1"), E("ÄFZ1"), "%2e%2e%2fAFZ", "-_.",
        ];
        string[] movingSerials = ["..", ".", "%2e%2e", "%2E", "AFZ1/..", "AFZ1/../..", ".%2e"];
        string[] badUais =
        [
            "0720001A", "0720001", "07200011", "0720001KK", E("０７２０００１Ｋ"), E("٠٧٢٠٠٠١K"), "0720001K%00", "%200720001K", "0720001K%20",
            "0720001K%2F", "..%2F0720001K", "%2e%2e%2f0720001K", "0720001K%3B", "0720001K%0A", E(Long('7')), "%00", E("' or 1=1"), "%FF",
            // Letters that upper-case to a check letter without being one: the long s (ſ → S) and the Kelvin sign.
            E("0720007ſ"), E("0720001\u212a"), E("0720001ķ"),
            // Well formed, but no school of the registry.
            "9999999Z", "0000000A", "1234567" + "ABCDEFGHJKLMNPRSTUVWXYZ"[1234567 % 23], "9999999" + "ABCDEFGHJKLMNPRSTUVWXYZ"[9999999 % 23],
        ];
        string[] movingUais = ["..", ".", "%2e%2e", "0720001K/..", "0720001K/../0720001A"];
        string[] realUais = ["0720001K", "0720002L", School, "0721483W", "0720043F"];
        string[] pageSizes =
        [
            "0", "-1", "501", "500000", "2147483648", "99999999999999999999999", "1e2", "0x10", E("１０"), E("٣"), "%2010", "10%20", "%2B10",
            "10.0", "10,5", "NaN", "Infinity", "%00", "1%00", E(Long('9')), "-0", "1&pageSize=2", "",
        ];
        string[] statuses = ["FAILED", "failed,registered", "%00", "unknown", E(Long('s')), "registered%20", "1", "received&status=failed"];

        string Token(string[] parts) => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(parts));
        string Base64(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));
        string BadToken(string partition)
        {
            string[] rowKeys = ["\u0000", "'", "' or '1'='1", "|~", "%", "#", "?", "/", "\\", "\t", "\u007f", "\uffff", new string('z', 99), "\u202e", "é", "\r\n"];
            return Pick(new Func<string>[]
            {
                () => "!!!",
                () => "%00",
                () => "a",
                () => "====",
                () => E(Long('A')),
                () => new string('A', 513),
                () => Base64("{}"),
                () => Base64("[]"),
                () => Base64("null"),
                () => Base64("\"x\""),
                () => Base64("[1,2,3]"),
                () => Base64("[\"devices\"]"),
                () => Base64("[\"audit\"]"),
                () => Base64(new string('[', 100) + new string(']', 100)),
                () => Base64("[\"audit\",\"" + partition + "\",\"\",\"\",\"\\ud800\"]"),
                () => Base64("[\"audit\",\"" + partition + "\",\"\",\"\",\"x\",\"y\"]"),
                () => Base64("[\"devices\",\"0720001K\",\"\",\"A\",\"extra\"]"),
                () => Base64("[\"audit\",\"" + partition + "\",\"\",\"\",1e999]"),
                () => Base64("{\"audit\":\"" + partition + "\"}"),
                () => Convert.ToBase64String(Encoding.UTF8.GetBytes("[\"audit\",\"" + partition + "\",\"\",\"\",\"a+/\"]")),
                () => Base64Url.EncodeToString([0xFF, 0xFE, 0x5B, 0x22, 0xC3, 0x28]),
                () => E(Token(["audit", partition, "", "", Pick(rowKeys)])),
                () => E(Token(["audit", partition, "0", "", "x"])),
                () => E(Token(["devices", partition, "", "AFZ"])),
                () => E(Token(["devices", "0720001K", "", Pick(rowKeys)])),
            })();
        }

        string[] noise =
        [
            "foo=bar", "pageSize=1&pageSize=2", "PAGESIZE=9999", "%24filter=PartitionKey%20ne%20''", "__proto__%5Bx%5D=1", "a%5B%5D=1&a%5B%5D=2", "=",
            "&&&", "%zz=%zz", "x=" + E(Long('x')), "continuationToken=a&continuationToken=b", "format=xml", "format=csv&format=csv", "Date=2025-01-01",
            "serialNumber=A&serialNumber=B", "schoolUai=" + School, "%00=%00", "status=" + Pick(statuses),
        ];
        string Noise() => random.Next(3) == 0 ? "" : string.Join('&', Enumerable.Range(0, random.Next(1, 4)).Select(_ => Pick(noise)));
        string Query(params string?[] parts) => string.Join('&', parts.Where(p => !string.IsNullOrEmpty(p)));

        // Kestrel (the Functions host's server too) answers a NUL in the path with its own bare 400 before any function
        // runs: NUL is sent in query strings only.
        string PickForPath(string[] values) => Pick(values.Where(v => !v.Contains("%00", StringComparison.Ordinal)).ToArray());

        (byte[]? Body, string? ContentType) Body()
        {
            string[] types =
            [
                "application/json", "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=zzz",
                "application/octet-stream", "application/json; charset=utf-16", "garbage", ";;;;", "text/html", "application/json; " + new string('x', 2000),
            ];
            switch (random.Next(8))
            {
                case 0:
                case 1:
                case 2:
                    return (null, null);
                case 3:
                    string[] json = ["{\"date\":\"2025-01-01\"}", "{\"uai\":\"0720001K\",\"roles\":[\"Enrolment.Admin\"]}", "[1,2]", "\"x\"", new string('[', 5000) + new string(']', 5000), "{\"__proto__\":{}}", "{\"a\":1,\"a\":2}", "null"];
                    return (Encoding.UTF8.GetBytes(Pick(json)), Pick(types));
                case 4:
                {
                    var bytes = new byte[random.Next(1, 4096)];
                    random.NextBytes(bytes);
                    return (bytes, Pick(types));
                }

                case 5:
                    return (Encoding.UTF8.GetBytes("date=2025-01-01&pageSize=1&continuationToken=x"), "application/x-www-form-urlencoded");
                case 6:
                    return (Encoding.UTF8.GetBytes("--zzz\r\nContent-Disposition: form-data; name=\"date\"\r\n\r\n2025-01-01\r\n--zzz--\r\n"), "multipart/form-data; boundary=zzz");
                default:
                    // Large: a route that reads no body must not buffer it into trouble.
                    return (new byte[random.Next(256 * 1024, 2 * 1024 * 1024)], Pick(types));
            }
        }

        var bucket = i % 30;
        var (body, contentType) = Body();
        var dates = Array.Empty<string>();
        string route;
        string name;
        HttpMethod method;
        string target;
        var expect = Expect.Any;
        var admin = false;
        // A dot segment or a slash in a route value: the request may reach another route or none, whatever the token.
        var traversal = false;
        switch (bucket)
        {
            case 0 or 1 or 2 or 3:
            {
                route = "GET /api/reports/funding/{reportDate}";
                var moving = random.Next(10) == 0;
                traversal = moving;
                var date = moving ? Pick(["..", ".", "%2e%2e", "latest/..", "x/../..", "2025-01-01/..%2F"]) : PickForPath(badDates);
                name = moving ? "report date traversal" : "bad report date";
                target = $"api/reports/funding/{date}?{Query(random.Next(2) == 0 ? "format=csv" : null, Noise())}";
                dates = [Uri.UnescapeDataString(date)];
                expect = moving ? Expect.Any : Expect.Error;
                method = Get;
                break;
            }

            case 4 or 5 or 6:
            {
                route = "POST /api/reports/funding";
                var date = Pick(badDates);
                name = "bad build date";
                target = $"api/reports/funding?{Query(random.Next(4) == 0 ? Noise() : null, "date=" + date, Noise())}";
                dates = [Uri.UnescapeDataString(date)];
                expect = Expect.Error;
                method = Post;
                admin = true;
                break;
            }

            case 7:
                route = "GET /api/reports/funding";
                name = "report list with junk";
                target = $"api/reports/funding?{Noise()}";
                method = Get;
                break;
            case 8 or 9 or 10 or 11:
            {
                route = "GET /api/audit";
                name = "bad audit query";
                var serial = Pick([device, "AFZ-NONE-" + i, Pick(badSerials)]);
                var bySchool = random.Next(3) == 0;
                var partition = bySchool ? "school|" + School : "device|" + Uri.UnescapeDataString(serial).ToUpperInvariant();
                string?[] parts =
                [
                    bySchool ? "schoolUai=" + Pick([School, Pick(badUais), Pick(realUais)]) : "serialNumber=" + serial,
                    random.Next(8) == 0 ? "schoolUai=" + Pick(realUais) : null,
                    random.Next(3) == 0 ? "from=" + Pick(badDates.Concat(["0001-01-01T00:00:00%2B14:00", "9999-12-31T23:59:59.9999999-14:00", "2025-01-01T25:00:00Z", "yesterday", "1700000000"]).ToArray()) : null,
                    random.Next(3) == 0 ? "to=" + Pick(badDates.Concat(["0001-01-01", "2000-01-01T00:00:00Z"]).ToArray()) : null,
                    random.Next(2) == 0 ? "pageSize=" + Pick(pageSizes) : null,
                    random.Next(2) == 0 ? "continuationToken=" + BadToken(partition) : null,
                    Noise(),
                ];
                target = $"api/audit?{Query(parts.OrderBy(_ => random.Next()).ToArray())}";
                method = Get;
                break;
            }

            case 12 or 13 or 14:
            {
                route = "GET /api/schools/{uai}/devices";
                var moving = random.Next(10) == 0;
                traversal = moving;
                var badUai = random.Next(3) == 0;
                var uai = moving ? Pick(movingUais) : badUai ? PickForPath(badUais) : Pick(realUais);
                name = moving ? "school traversal" : badUai ? "bad school" : "bad device list query";
                string?[] parts =
                [
                    random.Next(2) == 0 ? "status=" + Pick(statuses) : null,
                    random.Next(2) == 0 ? "pageSize=" + Pick(pageSizes) : null,
                    random.Next(2) == 0 ? "continuationToken=" + BadToken(uai) : null,
                    Noise(),
                ];
                target = $"api/schools/{uai}/devices?{Query(parts)}";
                expect = badUai && !moving ? Expect.Error : Expect.Any;
                method = Get;
                break;
            }

            case 15 or 16:
            {
                route = "GET /api/devices/{serialNumber}";
                var moving = random.Next(8) == 0;
                traversal = moving;
                var serial = moving ? Pick(movingSerials) : PickForPath(badSerials);
                name = moving ? "serial traversal" : "bad serial";
                target = $"api/devices/{serial}?{Noise()}";
                expect = moving ? Expect.Any : Expect.Error;
                method = Get;
                break;
            }

            case 17 or 18 or 19:
            {
                route = "POST /api/devices/{serialNumber}/retry";
                var which = random.Next(3);
                var serial = which switch
                {
                    0 => PickForPath(badSerials),
                    1 => "AFZ-NONE-" + i,
                    // The device is registered: whatever comes with the request, it is a conflict.
                    _ => Pick([device, device.ToLowerInvariant(), "%20" + device + "%20"]),
                };
                name = which switch { 0 => "retry bad serial", 1 => "retry unknown serial", _ => "retry registered device" };
                target = $"api/devices/{serial}/retry?{Noise()}";
                expect = Expect.Error;
                method = Post;
                admin = true;
                break;
            }

            case 20 or 21 or 22:
            {
                route = "POST /api/schools/{uai}/enrolment-keys";
                var uai = PickForPath(badUais);
                name = "rotate bad school";
                target = $"api/schools/{uai}/enrolment-keys?{Query(Noise(), random.Next(3) == 0 ? "uai=0720001K" : null)}";
                expect = Expect.Error;
                method = Post;
                admin = true;
                break;
            }

            case 25 or 26:
            {
                route = "GET /api/inventory";
                var badUai = random.Next(2) == 0;
                string?[] parts =
                [
                    badUai ? "schoolUai=" + Pick(badUais) : random.Next(2) == 0 ? "schoolUai=" + Pick(realUais) : null,
                    random.Next(2) == 0 ? "purchaseOrder=" + Pick([E(Long('P')), "%00", E("' or PartitionKey ne '"), "BC-2026-0412", "%FF", E("\u202e")]) : null,
                    random.Next(2) == 0 ? "pageSize=" + Pick(pageSizes) : null,
                    random.Next(2) == 0 ? "continuationToken=" + BadToken(School) : null,
                    Noise(),
                ];
                name = badUai ? "inventory of a bad school" : "bad inventory query";
                target = $"api/inventory?{Query(parts.OrderBy(_ => random.Next()).ToArray())}";
                expect = badUai ? Expect.Error : Expect.Any;
                method = Get;
                break;
            }

            case 27 or 28:
            {
                // Only files refused whole: a manifest with one good line would be stored (that is not bad input).
                route = "POST /api/inventory/manifests";
                const string autopilotHeader = "Device Serial Number,Windows Product ID,Hardware Hash\r\n";
                (string Name, string Query, byte[] Body, string ContentType)[] uploads =
                [
                    ("empty file", "name=empty.csv", [], "text/csv"),
                    ("unknown header", "name=x.csv", Encoding.UTF8.GetBytes("foo,bar\r\n1,2\r\n"), "text/csv"),
                    ("half a header", "name=x.csv", Encoding.UTF8.GetBytes("serialNumber;schoolUai\r\nAFZ1;" + School + "\r\n"), "text/csv; charset=utf-8"),
                    ("binary", "name=x.bin", body ?? [0xFF, 0xFE, 0x00, 0x01], "text/csv"),
                    ("UTF-16", "name=x.csv", Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(autopilotHeader + "AFZ1,,AAAA\r\n")).ToArray(), "text/csv"),
                    ("Autopilot CSV without its school", "name=x.csv", Encoding.UTF8.GetBytes(autopilotHeader + "AFZ1,,AAAA\r\n"), "text/csv"),
                    ("Autopilot CSV with a bad school", "name=x.csv&schoolUai=" + Pick(badUais), Encoding.UTF8.GetBytes(autopilotHeader + "AFZ1,,AAAA\r\n"), "text/csv"),
                    ("not CSV", "name=x.json", Encoding.UTF8.GetBytes("{\"serialNumber\":\"AFZ1\"}"), Pick(["application/json", "text/plain", "multipart/form-data; boundary=zzz", "garbage", "text/csv; charset=utf-16"])),
                    ("header only, bad name", "name=" + Pick(["", E(new string('n', 129)), "%00", "%0D%0A", "%20%20"]) + "&schoolUai=" + School, Encoding.UTF8.GetBytes(autopilotHeader), "text/csv"),
                ];
                var upload = Pick(uploads);
                name = "manifest: " + upload.Name;
                target = $"api/inventory/manifests?{upload.Query}";
                (body, contentType) = (upload.Body, upload.ContentType);
                expect = Expect.Error;
                method = Post;
                admin = true;
                break;
            }

            case 29:
                route = Pick(["GET /api/inventory/manifests", "GET /api/inventory/schools"]);
                name = "inventory summary with junk";
                target = $"{route[4..].TrimStart('/')}?{Noise()}";
                method = Get;
                break;
            case 23:
                route = "GET /api/schools";
                name = "school list with junk";
                target = $"api/schools?{Noise()}";
                method = Get;
                break;
            default:
            {
                if (i / 25 % 2 == 0)
                {
                    route = "GET /api/schools/{uai}";
                    var moving = random.Next(8) == 0;
                    traversal = moving;
                    var uai = moving ? Pick(movingUais) : PickForPath(badUais);
                    name = moving ? "school traversal" : "bad school";
                    target = $"api/schools/{uai}?{Noise()}";
                    expect = moving ? Expect.Any : Expect.Error;
                }
                else
                {
                    // The dashboard's files are anonymous: the auth slices below do not apply.
                    route = "GET /api/dashboard/{file}";
                    string[] files = ["..%2F..%2Fappsettings.json", "..%5C..%5CSarthe.Enrolment.Functions.dll", "%2e%2e%2fhost.json", "index.html%00.js", "..", "%2e%2e", E(Long('f')) + ".js", "app.js%3F", "%00", ".%2e/local.settings.json", "config.json%20", "CONFIG.JSON"];
                    name = "dashboard file traversal";
                    target = $"api/dashboard/{PickForPath(files)}?{Noise()}";
                    method = Get;
                    return new Case(route, name, method, target.TrimEnd('?'), Expect.Any, null, body, contentType, dates);
                }

                method = Get;
                break;
            }
        }

        target = target.TrimEnd('?');
        var authorization = admin ? tokens.Admin : tokens.Read;

        // A slice of each route without a usable token (401) or with a valid one without the role (403): the role is
        // checked before the input, so the answer does not depend on it (unless a traversal led elsewhere).
        var stays = !traversal && Resolve(target) == PathOf(target);
        switch (i / 25 % 10)
        {
            case 0:
                authorization = random.Next(5) == 0 ? null : Pick(tokens.Unauthenticated);
                name += ", no valid token";
                expect = stays ? Expect.Unauthorized : Expect.Any;
                break;
            case 5:
                authorization = admin && random.Next(2) == 0 ? tokens.Read : Pick(tokens.WithoutRole);
                name += ", without the role";
                expect = stays ? Expect.Forbidden : Expect.Any;
                break;
        }

        return new Case(route, name, method, target, expect, authorization, body, contentType, dates);
    }

    private static string PathOf(string target) => target.Split('?')[0];

    /// <summary>The path as the server routes it: percent-encoded dots decoded, dot segments removed (RFC 3986 5.2.4).</summary>
    private static string Resolve(string target)
    {
        var segments = new List<string>();
        foreach (var segment in PathOf(target).Split('/'))
        {
            switch (segment.Replace("%2e", ".", StringComparison.OrdinalIgnoreCase))
            {
                case ".":
                    break;
                case "..":
                    if (segments.Count > 0)
                    {
                        segments.RemoveAt(segments.Count - 1);
                    }

                    break;
                default:
                    segments.Add(segment);
                    break;
            }
        }

        return string.Join('/', segments);
    }

    private static bool IsUnderApi(string path) => path == "api" || path.StartsWith("api/", StringComparison.Ordinal);

    private sealed record Snapshot(
        HashSet<string> Schools, HashSet<string> SchoolKeys, HashSet<string> Devices, HashSet<string> DeviceSerials, HashSet<string> FundingReports,
        HashSet<string> Inventory, HashSet<string> Manifests);

    /// <summary>
    /// The rows of the tables only requests write (and the row versions where nothing in the background touches them):
    /// the registration pipeline keeps updating devices, imports, the outbox and the trail by itself.
    /// </summary>
    private static async Task<Snapshot> SnapshotAsync(TableServiceClient tables)
    {
        async Task<HashSet<string>> Rows(string table, bool versions)
        {
            var rows = tables.GetTableClient(table).QueryAsync<TableEntity>(select: versions ? null : ["PartitionKey", "RowKey"]);
            return (await rows.ToListAsync()).Select(e => versions ? $"{e.PartitionKey}|{e.RowKey}|{e.ETag}" : $"{e.PartitionKey}|{e.RowKey}").ToHashSet(StringComparer.Ordinal);
        }

        return new Snapshot(
            await Rows(TableNames.Schools, versions: true),
            await Rows(TableNames.SchoolKeys, versions: true),
            await Rows(TableNames.Devices, versions: false),
            await Rows(TableNames.DeviceSerials, versions: true),
            await Rows(TableNames.FundingReports, versions: true),
            await Rows(TableNames.Inventory, versions: true),
            await Rows(TableNames.InventoryManifests, versions: true));
    }

    /// <summary>Waits (a while, at most) for the audit queue to be processed, so the trail holds what was published.</summary>
    private static async Task DrainAsync(QueueClient queue)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount > 0)
        {
            await Task.Delay(250);
        }

        await Task.Delay(1000);
    }
}
