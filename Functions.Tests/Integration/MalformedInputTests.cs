using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Keys;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// 1,200 generated bad requests (bytes, types, sizes, depth, numbers, encodings, headers) against one
/// school: never a 5xx, never a device row or a serial claim.
/// </summary>
[Collection(BackendCollection.Name)]
public sealed class MalformedInputTests(BackendFixture backend)
{
    private const string School = "0720043F";
    private const int Requests = 1200;

    [Fact]
    public async Task Generated_malformed_requests_get_4xx_problems_and_write_nothing()
    {
        var key = await backend.Enroller.KeyAsync(School);
        var random = new Random(20261128);
        var cases = Enumerable.Range(0, Requests).Select(i => Generate(random, i)).ToList();
        var statuses = new List<(string Case, HttpStatusCode Status, string ContentType)>();

        using var gate = new SemaphoreSlim(8);
        await Task.WhenAll(cases.Select(async c =>
        {
            await gate.WaitAsync();
            try
            {
                using var response = await backend.Enroller.SendAsync(c.Body, c.Key ?? key, c.Timestamp, c.ContentType, c.Tamper);
                lock (statuses)
                {
                    statuses.Add((c.Name, response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? ""));
                }
            }
            finally
            {
                gate.Release();
            }
        }));

        Assert.Equal(Requests, statuses.Count);
        Assert.All(statuses, s => Assert.True((int)s.Status is >= 400 and < 500, $"{s.Case} -> {(int)s.Status}"));
        Assert.All(statuses, s => Assert.Equal("application/problem+json", s.ContentType));
        var kinds = statuses.Select(s => s.Status).Distinct().ToList();
        foreach (var expected in new[] { HttpStatusCode.BadRequest, HttpStatusCode.Unauthorized, HttpStatusCode.RequestEntityTooLarge, HttpStatusCode.UnsupportedMediaType })
        {
            Assert.Contains(expected, kinds);
        }

        var tables = backend.Host.Services.GetService(typeof(TableServiceClient)) as TableServiceClient;
        var rows = tables!.GetTableClient(TableNames.Devices).QueryAsync<TableEntity>(e => e.PartitionKey == School);
        Assert.Empty(await rows.ToListAsync());
        var claims = tables.GetTableClient(TableNames.DeviceSerials).QueryAsync<TableEntity>(e => e.PartitionKey.CompareTo("FUZZ") >= 0 && e.PartitionKey.CompareTo("FUZZ~") < 0);
        Assert.Empty(await claims.ToListAsync());
    }

    private sealed record Case(string Name, byte[] Body, byte[]? Key = null, long? Timestamp = null, string ContentType = "application/json", Action<HttpRequestMessage>? Tamper = null);

    private static Case Generate(Random random, int i)
    {
        var serial = $"FUZZ-{i:D5}";
        JsonObject Valid() => Enroller.Body(serial, School);
        byte[] Json(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());
        byte[] Bytes(int length)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            return bytes;
        }

        string[] fields = ["serialNumber", "deviceType", "manufacturer", "model", "hardwareHash", "assetTag"];
        var field = fields[random.Next(fields.Length)];
        switch (i % 20)
        {
            case 0:
                return new Case("random bytes", Bytes(random.Next(1, 2048)));
            case 1:
            {
                var body = Valid();
                JsonNode?[] wrong = [123, true, new JsonArray(1, 2), new JsonObject { ["a"] = 1 }, 1.5e300];
                body[field] = wrong[random.Next(wrong.Length)]?.DeepClone();
                return new Case($"wrong type {field}", Json(body));
            }

            case 2:
            {
                var body = Valid();
                body[field] = new string('A', random.Next(65, 3000));
                if (field == "hardwareHash")
                {
                    body[field] = Convert.ToBase64String(new byte[8193 + random.Next(1000)]);
                }

                return new Case($"oversize {field}", Json(body));
            }

            case 3:
            {
                var depth = random.Next(20, 400);
                var text = "{\"serialNumber\":" + string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth) + "}";
                return new Case("deep json", Encoding.UTF8.GetBytes(text));
            }

            case 4:
            {
                var text = Valid().ToJsonString().Replace("\"laptop\"", random.Next(2) == 0 ? "1e400" : "123456789012345678901234567890123456789");
                return new Case("huge number", Encoding.UTF8.GetBytes(text));
            }

            case 5:
            {
                var text = Encoding.UTF8.GetBytes(Valid().ToJsonString());
                var at = Array.IndexOf(text, (byte)'H');
                byte[] invalid = [0xC3, 0x28, 0xFF, 0xFE, 0xED, 0xA0, 0x80];
                var body = text.Take(at).Concat(invalid.Take(random.Next(1, invalid.Length))).Concat(text.Skip(at + 1)).ToArray();
                return new Case("invalid utf-8", body);
            }

            case 6:
            {
                var body = Valid();
                var target = random.Next(2) == 0 ? "manufacturer" : "model";
                body[target] = "HP" + (char)random.Next(0, 32) + "x";
                return new Case($"control char in {target}", Json(body));
            }

            case 7:
            {
                var body = Valid();
                string[] serials = ["", " ", "a b", "é", "x/y", "<script>", "' or 1=1 --", new string('9', 65), "\u0000", "💻"];
                body["serialNumber"] = serials[random.Next(serials.Length)];
                return new Case("bad serial", Json(body));
            }

            case 8:
            {
                var body = Valid();
                string[] hashes = ["", "====", "abc", "not base64!", "@@@@", "YWJj\u0000"];
                body["hardwareHash"] = hashes[random.Next(hashes.Length)];
                return new Case("bad hash", Json(body));
            }

            case 9:
            {
                var body = Valid();
                body.Remove(fields[random.Next(fields.Length - 1)]);
                return new Case("missing field", Json(body));
            }

            case 10:
            {
                string[] roots = ["null", "[]", "\"text\"", "42", "true", "", "{", "{}}", "{\"a\":}"];
                return new Case("bad root", Encoding.UTF8.GetBytes(roots[random.Next(roots.Length)]));
            }

            case 11:
                return new Case("wrong key", Json(Valid()), Key: Bytes(32));
            case 12:
                return new Case("stale timestamp", Json(Valid()), Timestamp: DateTimeOffset.UtcNow.ToUnixTimeSeconds() - random.Next(301, 1_000_000));
            case 13:
                return new Case("future timestamp", Json(Valid()), Timestamp: DateTimeOffset.UtcNow.ToUnixTimeSeconds() + random.Next(301, 1_000_000));
            case 14:
            {
                string[] timestamps = ["", "abc", "-5", "1e9", "99999999999999999999", " 1700000000", "0x10"];
                var value = timestamps[random.Next(timestamps.Length)];
                return new Case("bad timestamp header", Json(Valid()), Tamper: r =>
                {
                    r.Headers.Remove(EnrolmentSignature.TimestampHeader);
                    r.Headers.TryAddWithoutValidation(EnrolmentSignature.TimestampHeader, value);
                });
            }

            case 15:
            {
                string[] signatures = ["", "v1=", "v2=" + new string('a', 64), "v1=" + new string('z', 64), "v1=" + new string('A', 63), "sha256=abc", new string('0', 67)];
                var value = signatures[random.Next(signatures.Length)];
                return new Case("bad signature header", Json(Valid()), Tamper: r =>
                {
                    r.Headers.Remove(EnrolmentSignature.SignatureHeader);
                    r.Headers.TryAddWithoutValidation(EnrolmentSignature.SignatureHeader, value);
                });
            }

            case 16:
            {
                string[] types = ["text/plain", "application/xml", "multipart/form-data", "application/json; charset=utf-16", "application/x-www-form-urlencoded", "*/*"];
                return new Case("wrong content type", Json(Valid()), ContentType: types[random.Next(types.Length)]);
            }

            case 17:
            {
                var body = Valid();
                body["padding"] = new string('p', (64 * 1024) + random.Next(1, 100_000));
                return new Case("oversize body", Json(body));
            }

            case 18:
            {
                var body = Valid();
                string[] uais = ["0720001A", "", "07200011", "ABCDEFGH", "0720003M", "9999999Z"];
                body["schoolUai"] = uais[random.Next(uais.Length)];
                return new Case("bad school", Json(body));
            }

            default:
            {
                var body = Valid();
                string[] types = ["phone", "LAPTOP", "", " ", "server"];
                body["deviceType"] = types[random.Next(types.Length)];
                return new Case("bad device type", Json(body));
            }
        }
    }
}
