using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.Keys;
using Sarthe.Enrolment.OpenApi;
using Sarthe.Enrolment.Registration;

namespace Sarthe.Enrolment.Enrolment;

/// <summary>The devices' routes: HTTP in (content type, size, signature headers), <see cref="EnrolmentService"/>, HTTP out.</summary>
public sealed class EnrolmentFunctions(
    EnrolmentService enrolment, StorageGuard storage, IOptions<RegistrationOptions> pipeline, IOptions<EnrolmentLimitOptions> limits, TimeProvider time)
{
    public const int MaxBodyBytes = 64 * 1024;

    [ApiOperation("First-boot enrolment of a device, signed with its school's key", RequestBody = typeof(EnrolmentRequest))]
    [SignedByDevice]
    [ApiResponse(202, typeof(DeviceRecord))]
    [ApiResponse(202, typeof(DeviceStatusView))]
    [ApiResponse(200, typeof(DeviceStatusView))]
    [ApiResponse(400)]
    [ApiResponse(403)]
    [ApiResponse(409)]
    [ApiResponse(413)]
    [ApiResponse(415)]
    [ApiResponse(429)]
    [ApiResponse(503)]
    [Function(nameof(EnrolDevice))]
    public async Task<IActionResult> EnrolDevice(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "enrolments")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        if (!IsJson(request.ContentType))
        {
            return Problem.UnsupportedMediaType("Content-Type must be application/json.");
        }

        if (request.ContentLength > MaxBodyBytes || await RequestBody.ReadAtMostAsync(request.Body, MaxBodyBytes, cancellationToken) is not { } body)
        {
            return Problem.TooLarge($"The body must be at most {MaxBodyBytes / 1024} KiB.");
        }

        var signed = new SignedBody(body, request.Headers[EnrolmentSignature.TimestampHeader].ToString(), request.Headers[EnrolmentSignature.SignatureHeader].ToString(), SourceAddress(request));
        return await storage.RunAsync(async deadline => Answer(EnrolmentTelemetry.Recorded(await enrolment.EnrolAsync(signed, deadline)), TooManyEnrolments), cancellationToken);
    }

    [ApiOperation("A device's own view of its registration: may it restart into Autopilot? (signed, no side effect)")]
    [SignedByDevice]
    [ApiResponse(200, typeof(DeviceStatusView))]
    [ApiResponse(404)]
    [ApiResponse(429)]
    [ApiResponse(503)]
    [Function(nameof(GetEnrolmentStatus))]
    public Task<IActionResult> GetEnrolmentStatus(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "enrolments/{serialNumber}")] HttpRequest request,
        string serialNumber,
        CancellationToken cancellationToken)
    {
        var signed = SignedBody.OfRequestLine(request.Method, PathAsSent(request), request.Headers[EnrolmentSignature.TimestampHeader].ToString(),
            request.Headers[EnrolmentSignature.SignatureHeader].ToString(), SourceAddress(request));
        var school = request.Headers[EnrolmentService.SchoolHeader].ToString();
        return storage.RunAsync(async deadline => Answer(await enrolment.GetStatusAsync(signed, school, serialNumber, deadline), TooManyStatusReads), cancellationToken);
    }

    private const string TooManyEnrolments = "Too many enrolment attempts (POST /api/enrolments) from this address or for this school; try again later.";
    private const string TooManyStatusReads = "Too many status reads (GET /api/enrolments/{serialNumber}) from this address; try again later.";

    /// <summary>The HTTP answer to an outcome; <paramref name="tooMany"/> is the 429's detail, which names the route that refused.</summary>
    private ApiResult Answer(EnrolmentOutcome outcome, string tooMany) =>
        outcome switch
        {
            EnrolmentOutcome.Accepted accepted => ApiResult.Json(DeviceRecord.From(accepted.Device) with { Inventory = accepted.Inventory }, StatusCodes.Status202Accepted)
                .WithHeader("Location", $"/api/devices/{accepted.Device.SerialNumber}"),
            EnrolmentOutcome.AlreadyEnrolled repeat => StatusView(repeat.Device, StatusCodes.Status200OK),
            EnrolmentOutcome.HashReplaced replaced => StatusView(replaced.Device, StatusCodes.Status202Accepted)
                .WithHeader("Location", $"/api/devices/{replaced.Device.SerialNumber}"),
            EnrolmentOutcome.Found found => StatusView(found.Device, StatusCodes.Status200OK),
            EnrolmentOutcome.NotEnrolled missing => Problem.NotFound($"This school has no device with serial number '{missing.SerialNumber}'."),
            EnrolmentOutcome.Refused { Reason: EnrolmentRefusal.BadSignature } refused => Problem.BadSignature(refused.Detail),
            EnrolmentOutcome.Refused { Reason: EnrolmentRefusal.SerialEnrolledElsewhere or EnrolmentRefusal.BoughtForAnotherSchool } refused => Problem.Conflict(refused.Detail),
            EnrolmentOutcome.Refused { Reason: EnrolmentRefusal.NotInInventory } refused => Problem.Forbidden(refused.Detail),
            EnrolmentOutcome.Refused refused => Problem.Validation(refused.Errors ?? new Dictionary<string, string[]>(), refused.Detail),
            EnrolmentOutcome.TooManyAttempts limited => Problem.TooManyRequests(tooMany, limited.RetryAfter),
            var other => throw new InvalidOperationException($"Unexpected enrolment outcome {other.GetType().Name}."),
        };

    /// <summary>The device's status view, with Retry-After while asking again may tell something new.</summary>
    private ApiResult StatusView(Device device, int statusCode)
    {
        var view = DeviceStatusView.From(device, pipeline.Value, time.GetUtcNow());
        var result = ApiResult.Json(view, statusCode);
        return view.RetryAfterSeconds is { } seconds ? result.WithHeader("Retry-After", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)) : result;
    }

    /// <summary>
    /// The path the device signed: the request target as sent (the server's raw target, without the query string),
    /// else the decoded path when the server does not keep the raw one.
    /// </summary>
    private static string PathAsSent(HttpRequest request)
    {
        var raw = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (raw is { Length: > 0 } && raw[0] == '/')
        {
            var query = raw.IndexOf('?', StringComparison.Ordinal);
            return query < 0 ? raw : raw[..query];
        }

        return (request.PathBase + request.Path).ToString();
    }

    /// <summary>The source address the limits count by: one the platform vouches for, never X-Forwarded-For as the client wrote it.</summary>
    private string SourceAddress(HttpRequest request) => ClientAddress.Of(request, limits.Value);

    /// <summary>application/json or application/*+json, in UTF-8 (the signature covers bytes, so no other charset).</summary>
    private static bool IsJson(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return false;
        }

        var type = media.MediaType.Value ?? "";
        var isJson = string.Equals(type, "application/json", StringComparison.OrdinalIgnoreCase)
                     || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
        var charset = media.Charset.Value;
        return isJson && (charset is null || string.Equals(charset, "utf-8", StringComparison.OrdinalIgnoreCase));
    }
}
