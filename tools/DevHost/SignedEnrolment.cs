using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Sarthe.Enrolment.Keys;

namespace Sarthe.DevHost;

/// <summary>
/// For the benchmarks: a device's enrolment request as the device sends it, POST api/enrolments with its JSON, signed
/// with its school's key over "timestamp.body" (<see cref="EnrolmentSignature"/>).
/// </summary>
public static class SignedEnrolment
{
    public const string Route = "api/enrolments";

    /// <summary>The request's JSON, as UTF-8.</summary>
    public static byte[] Body(FleetDevice device) =>
        Encoding.UTF8.GetBytes(new JsonObject
        {
            ["serialNumber"] = device.Serial,
            ["schoolUai"] = device.SchoolUai,
            ["deviceType"] = device.DeviceType,
            ["manufacturer"] = device.Manufacturer,
            ["model"] = device.Model,
            ["hardwareHash"] = device.HardwareHash,
        }.ToJsonString());

    /// <inheritdoc cref="Create(byte[], byte[], string?)"/>
    public static HttpRequestMessage Create(FleetDevice device, byte[] key, string? clientAddress = null) => Create(Body(device), key, clientAddress);

    /// <summary>
    /// A request with a fresh timestamp and its signature: call it for every try, as a device re-signs each request.
    /// </summary>
    /// <param name="key">The school's key (or, for a forgery, any other).</param>
    /// <param name="clientAddress">The client's address, stamped as Front Door stamps it (<see cref="SimulatedFrontDoor"/>: the product never reads X-Forwarded-For); none when null.</param>
    public static HttpRequestMessage Create(byte[] body, byte[] key, string? clientAddress = null)
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, Route) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add(EnrolmentSignature.TimestampHeader, timestamp);
        request.Headers.Add(EnrolmentSignature.SignatureHeader, EnrolmentSignature.Sign(key, timestamp, body));
        return clientAddress is null ? request : request.From(clientAddress);
    }
}
