using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Sarthe.Enrolment.Trail;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Keys;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// 1,000 generated hostile reads of the device status route (serials in the path, the school header, timestamps,
/// signatures, methods, query strings, forwarded addresses) against one school that has a device: never a 5xx, every
/// answer a problem, and nothing written (no device row, no serial claim, the one device unchanged, no audit entry but
/// the rejections' tally).
/// </summary>
[Collection(BackendCollection.Name)]
public sealed class StatusRouteFuzzTests(BackendFixture backend)
{
    private const int Requests = 1000;

    // No other test enrols at these schools.
    private const string School = "0721304B";
    private const string OtherSchool = "0721281B";

    [Fact]
    public async Task Generated_bad_status_reads_get_4xx_problems_and_write_nothing()
    {
        var key = await backend.Enroller.KeyAsync(School);
        var otherKey = await backend.Enroller.KeyAsync(OtherSchool);
        var device = Enroller.NewSerial("SFZ");
        (await backend.Enroller.EnrolAsync(device, School)).Dispose();
        // Ready to provision: nothing of the pipeline writes the device's row any more.
        await Eventually.MatchesAsync(async () =>
        {
            using var response = await backend.Enroller.StatusAsync(device, School);
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("readyToProvision").GetBoolean();
        }, ready => ready, because: "the device becomes ready to provision");

        var tables = (TableServiceClient)backend.Host.Services.GetService(typeof(TableServiceClient))!;
        var devices = tables.GetTableClient(TableNames.Devices);
        var before = await devices.GetEntityAsync<TableEntity>(School, device);
        var trailBefore = await TrailAsync(tables);

        var random = new Random(20261129);
        var cases = Enumerable.Range(0, Requests).Select(i => Generate(random, i, device, key, otherKey)).ToList();
        var results = new List<(Case Case, HttpStatusCode Status, string ContentType)>();
        using var gate = new SemaphoreSlim(8);
        await Task.WhenAll(cases.Select(async c =>
        {
            await gate.WaitAsync();
            try
            {
                using var response = await backend.Enroller.StatusAsync(c.Serial, c.School, c.Key, c.Timestamp, c.SignedPath, c.Tamper);
                lock (results)
                {
                    results.Add((c, response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? ""));
                }
            }
            finally
            {
                gate.Release();
            }
        }));

        Assert.Equal(Requests, results.Count);
        Assert.All(results, r => Assert.True((int)r.Status is >= 400 and < 500, $"{r.Case.Name} -> {(int)r.Status}"));
        Assert.All(results, r => Assert.True(r.ContentType == "application/problem+json", $"{r.Case.Name} -> {r.ContentType}"));
        var kinds = results.Select(r => r.Status).Distinct().ToList();
        foreach (var expected in new[] { HttpStatusCode.Unauthorized, HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed })
        {
            Assert.Contains(expected, kinds);
        }

        // Nothing written: the school's one device is as it was, no other row or claim appeared, and the trail gained
        // nothing but the tally of refused reads.
        var rows = await devices.QueryAsync<TableEntity>(e => e.PartitionKey == School).ToListAsync();
        Assert.Equal([device], rows.Select(r => r.RowKey));
        // Not the ETag: publishing the device's last events clears them from its row a moment after it is ready.
        Assert.Equal(State(before.Value), State(rows[0]));
        var claims = tables.GetTableClient(TableNames.DeviceSerials).QueryAsync<TableEntity>(e => e.PartitionKey.CompareTo("SFZ") >= 0 && e.PartitionKey.CompareTo("SFZ~") < 0);
        Assert.Equal([device], (await claims.ToListAsync()).Select(c => c.PartitionKey).Distinct());
        var added = (await TrailAsync(tables)).Except(trailBefore).Where(entry => entry.Serial != device).ToList();
        Assert.All(added, entry => Assert.Equal("device.enrolment_rejected", entry.Type));
    }

    /// <summary>What a status read could change if it wrote: the device's state, its count and its last change.</summary>
    private static string State(TableEntity row) =>
        string.Join('|', row.GetString("Status"), row.GetInt32("EnrolmentCount"), row.GetDateTimeOffset("UpdatedAt")?.UtcTicks, row.GetString("HardwareHash")?.Length);

    private static async Task<List<(string Key, string Type, string? Serial)>> TrailAsync(TableServiceClient tables)
    {
        var audit = tables.GetTableClient(TableNames.AuditEvents);
        var entries = await audit.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {AuditTrail.SchoolPartition(School)}"), select: ["RowKey", "Type", "SerialNumber"]).ToListAsync();
        return entries.Select(e => (Key: e.RowKey, Type: e.GetString("Type") ?? "", Serial: (string?)e.GetString("SerialNumber"))).ToList();
    }

    private sealed record Case(string Name, string Serial, string School, byte[] Key, long? Timestamp = null, string? SignedPath = null, Action<HttpRequestMessage>? Tamper = null);

    private static Case Generate(Random random, int i, string device, byte[] key, byte[] otherKey)
    {
        var serial = $"SFZ-{i:D5}";
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        // X-Forwarded-For as a client writes it, ignored by the product (the test host's status bucket is wide:
        // BackendFixture, so the per-address limit never decides the answer).
        var address = $"10.{(i >> 8) & 255}.{i & 255}.9";
        Action<HttpRequestMessage> From(Action<HttpRequestMessage>? more = null) => r =>
        {
            r.Headers.Remove("X-Forwarded-For");
            r.Headers.TryAddWithoutValidation("X-Forwarded-For", address);
            more?.Invoke(r);
        };
        string Noise(int length)
        {
            var chars = new char[length];
            for (var c = 0; c < length; c++)
            {
                chars[c] = (char)random.Next(0x21, 0x7f);
            }

            return new string(chars);
        }

        switch (i % 16)
        {
            case 0: // a serial nobody enrolled, rightly signed: 404
                return new Case("unknown serial", serial, School, key, Tamper: From());
            case 1: // odd serials in the path, percent-encoded as a client would send them, signed over that path (not NUL:
                    // Kestrel answers a NUL in the path itself with a bare 400 before any function runs)
                string[] odd = ["%01", "%2e%2e%2fdevices", "a%20b", "%C3%A9T%C3%A9", "%F0%9F%92%A5", new string('A', 2000), "%FF%FE", "SFZ%0D%0AX-Injected:%201", "..%5C..%5Cschools", "CON"];
                var path = odd[random.Next(odd.Length)];
                return new Case($"odd serial {path[..Math.Min(path.Length, 20)]}", path, School, key, Tamper: From());
            case 2: // the school header missing
                return new Case("no school header", serial, School, key, Tamper: From(r => r.Headers.Remove("X-Enrolment-School")));
            case 3: // the school header is not a UAI of the registry (noise, lower case, a bad check letter, two values)
                string[] schools = [Noise(random.Next(1, 40)), School.ToLowerInvariant(), "0721304A", "0000000A", $"{School},{OtherSchool}", " ", new string('7', 4000)];
                var header = schools[random.Next(schools.Length)];
                return new Case("school header " + header[..Math.Min(header.Length, 12)], serial, School, key, Tamper: From(r =>
                {
                    r.Headers.Remove("X-Enrolment-School");
                    r.Headers.TryAddWithoutValidation("X-Enrolment-School", header);
                }));
            case 4: // another school's key signing for this school, and this school's key naming the other
                return random.Next(2) == 0
                    ? new Case("other school's key", serial, School, otherKey, Tamper: From())
                    : new Case("the device's serial read as the other school", device, OtherSchool, key, Tamper: From());
            case 5: // timestamps out of the window or not numbers
                long[] stamps = [now - 360, now + 360, 0, -1, long.MaxValue, long.MinValue];
                var stamp = stamps[random.Next(stamps.Length)];
                return new Case($"timestamp {stamp}", serial, School, key, Timestamp: stamp, Tamper: From());
            case 6:
                string[] texts = ["", " ", "1e9", "12.5", "0x10", Noise(30), new string('9', 400)];
                var text = texts[random.Next(texts.Length)];
                return new Case($"timestamp text {text[..Math.Min(text.Length, 12)]}", serial, School, key, Tamper: From(r => Replace(r, EnrolmentSignature.TimestampHeader, text)));
            case 7: // signatures that are not base64, too short, too long, or two of them
                string[] signatures = ["", "====", Noise(44), Convert.ToBase64String(new byte[16]), Convert.ToBase64String(new byte[64]), "sha256=" + Convert.ToBase64String(new byte[32])];
                var signature = signatures[random.Next(signatures.Length)];
                return new Case("signature " + signature[..Math.Min(signature.Length, 12)], serial, School, key, Tamper: From(r => Replace(r, EnrolmentSignature.SignatureHeader, signature)));
            case 8:
                return new Case("two signatures", device, School, key, Tamper: From(r => r.Headers.TryAddWithoutValidation(EnrolmentSignature.SignatureHeader, Convert.ToBase64String(new byte[32]))));
            case 9: // the signature of another request line: another serial, the enrolment route, another method
                string[] lines = [$"/api/enrolments/{serial}X", "/api/enrolments", $"/api/devices/{device}", $"/API/ENROLMENTS/{device}", ""];
                var line = lines[random.Next(lines.Length)];
                return new Case($"signed {line}", device, School, key, SignedPath: line, Tamper: From());
            case 10: // another method on the route with a good GET signature: never a write (TRACE and non-standard
                     // methods: HardeningSecondPassTests).
                HttpMethod[] methods = [HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch, HttpMethod.Post, HttpMethod.Options];
                var method = methods[random.Next(methods.Length)];
                return new Case($"method {method}", device, School, key, Tamper: From(r =>
                {
                    r.Method = method;
                    r.Content = new StringContent("{\"schoolUai\":\"" + OtherSchool + "\"}", Encoding.UTF8, "application/json");
                }));
            case 11: // a query string (not signed) on an unknown serial
                var query = "?" + Uri.EscapeDataString(Noise(random.Next(1, 200))) + "=" + Uri.EscapeDataString(Noise(random.Next(0, 200)));
                return new Case("query " + query[..Math.Min(query.Length, 12)], serial, School, key, Tamper: From(r => r.RequestUri = new Uri(r.RequestUri!.OriginalString + query, UriKind.Relative)));
            case 12: // forwarded addresses that are not addresses
                string[] forwarded = [Noise(random.Next(1, 300)), string.Join(",", Enumerable.Repeat("1.2.3.4", 500)), ",,,", "::1, 10.0.0.1 ,"];
                var value = forwarded[random.Next(forwarded.Length)];
                return new Case("forwarded " + value[..Math.Min(value.Length, 12)], serial, School, key, Tamper: r =>
                {
                    r.Headers.Remove("X-Forwarded-For");
                    r.Headers.TryAddWithoutValidation("X-Forwarded-For", value + "," + address);
                });
            case 13: // headers far larger than any device sends
                return new Case("huge headers", serial, School, key, Tamper: From(r => r.Headers.TryAddWithoutValidation("X-Padding", new string('x', random.Next(1_000, 16_000)))));
            case 14: // no signature at all, or no timestamp
                return random.Next(2) == 0
                    ? new Case("unsigned", device, School, key, Tamper: From(r => r.Headers.Remove(EnrolmentSignature.SignatureHeader)))
                    : new Case("no timestamp", device, School, key, Tamper: From(r => r.Headers.Remove(EnrolmentSignature.TimestampHeader)));
            default: // the device's own serial in other case or with spaces: the same device or none, never another's
                string[] variants = [device.ToLowerInvariant() + "%20", "%20" + device, device + "%09"];
                var variant = variants[random.Next(variants.Length)];
                return new Case("variant of the device's serial", variant, OtherSchool, otherKey, Tamper: From());
        }
    }

    private static void Replace(HttpRequestMessage request, string header, string value)
    {
        request.Headers.Remove(header);
        request.Headers.TryAddWithoutValidation(header, value);
    }
}
