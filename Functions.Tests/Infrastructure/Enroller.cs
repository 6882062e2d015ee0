using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Keys;

namespace Sarthe.Enrolment.Tests.Infrastructure;

/// <summary>Plays the device side of the contract: signs bodies with a school's key, as a provisioning package does.</summary>
public sealed class Enroller(HttpClient client, Func<string, string> token)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<byte[]>>> _keys = new();

    public static string NewSerial(string prefix = "SN") => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 17, 64)].ToUpperInvariant();

    public static JsonObject Body(string serial, string uai, string deviceType = "laptop", byte[]? hash = null) => new()
    {
        ["serialNumber"] = serial,
        ["schoolUai"] = uai,
        ["deviceType"] = deviceType,
        ["manufacturer"] = "HP",
        ["model"] = "ProBook 440 G8",
        ["hardwareHash"] = Convert.ToBase64String(hash ?? HashOf(serial)),
        ["assetTag"] = "SARTHE-000123",
    };

    /// <summary>
    /// A 4 KB hardware hash of its own for each serial, as real devices have: Intune refuses the same hash twice in one
    /// import (ZtdDeviceDuplicated).
    /// </summary>
    public static byte[] HashOf(string serial)
    {
        var seed = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(serial));
        return Enumerable.Range(0, 4096).Select(i => (byte)(seed[i % seed.Length] ^ (i * 7))).ToArray();
    }

    /// <summary>The school's current key, issued once per school for this enroller.</summary>
    public Task<byte[]> KeyAsync(string uai) =>
        _keys.GetOrAdd(uai, u => new Lazy<Task<byte[]>>(() => RotateKeyAsync(u))).Value;

    public async Task<byte[]> RotateKeyAsync(string uai)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/schools/{uai}/enrolment-keys");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token(AdminRoles.Admin));
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var issued = await response.Content.ReadFromJsonAsync<JsonElement>();
        return Convert.FromBase64String(issued.GetProperty("key").GetString()!);
    }

    public async Task<HttpResponseMessage> EnrolAsync(string serial, string uai, string deviceType = "laptop", byte[]? hash = null) =>
        await SendAsync(Encoding.UTF8.GetBytes(Body(serial, uai, deviceType, hash).ToJsonString()), await KeyAsync(uai));

    /// <summary>
    /// GET /api/enrolments/{serial} as a device asks for its status: its school in X-Enrolment-School, the signature over
    /// "timestamp.GET path" (<paramref name="signedPath"/> when given, to sign something else than what is sent).
    /// </summary>
    public async Task<HttpResponseMessage> StatusAsync(string serial, string uai, byte[]? key = null, long? timestamp = null, string? signedPath = null, Action<HttpRequestMessage>? tamper = null)
    {
        var request = StatusRequest(serial, uai, key ?? await KeyAsync(uai), timestamp, signedPath);
        tamper?.Invoke(request);
        return await client.SendAsync(request);
    }

    /// <summary>The signed status request, unsent.</summary>
    public static HttpRequestMessage StatusRequest(string serial, string uai, byte[] key, long? timestamp = null, string? signedPath = null)
    {
        var path = $"/api/enrolments/{serial}";
        var ts = (timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds()).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/'));
        request.Headers.Add("X-Enrolment-School", uai);
        request.Headers.Add(EnrolmentSignature.TimestampHeader, ts);
        request.Headers.Add(EnrolmentSignature.SignatureHeader, EnrolmentSignature.Sign(key, ts, Encoding.ASCII.GetBytes("GET " + (signedPath ?? path))));
        return request;
    }

    public Task<HttpResponseMessage> SendAsync(byte[] body, byte[] key, long? timestamp = null, string contentType = "application/json", Action<HttpRequestMessage>? tamper = null)
    {
        var request = EnrolmentRequest(body, key, timestamp, contentType);
        tamper?.Invoke(request);
        return client.SendAsync(request);
    }

    /// <summary>The signed enrolment request, unsent.</summary>
    public static HttpRequestMessage EnrolmentRequest(byte[] body, byte[] key, long? timestamp = null, string contentType = "application/json")
    {
        var ts = (timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds()).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, "api/enrolments") { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        request.Headers.Add(EnrolmentSignature.TimestampHeader, ts);
        request.Headers.Add(EnrolmentSignature.SignatureHeader, EnrolmentSignature.Sign(key, ts, body));
        return request;
    }
}
