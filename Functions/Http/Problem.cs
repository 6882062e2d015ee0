using Microsoft.AspNetCore.Http;

namespace Sarthe.Enrolment.Http;

/// <summary>The problem+json answers the API gives: one factory per kind, one wording per situation.</summary>
public static class Problem
{
    private const string ContentType = "application/problem+json; charset=utf-8";

    public static ApiResult Create(int status, string title, string detail, IReadOnlyDictionary<string, string[]>? errors = null) =>
        ApiResult.Json(new ProblemBody(TypeFor(status), title, status, detail, errors), status, ContentType);

    public static ApiResult Validation(IReadOnlyDictionary<string, string[]> errors, string detail = "One or more fields are invalid.") =>
        Create(StatusCodes.Status400BadRequest, "Invalid request", detail, errors);

    public static ApiResult Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] }, message);

    public static ApiResult NotFound(string detail) =>
        Create(StatusCodes.Status404NotFound, "Not found", detail);

    public static ApiResult UnknownSchool(string routeUai) => NotFound($"No school with UAI '{routeUai}'.");

    public static ApiResult UnknownDevice(string routeSerial) => NotFound($"No device with serial number '{routeSerial}'.");

    public static ApiResult Unauthorized(string detail, string? bearerError = null) =>
        Create(StatusCodes.Status401Unauthorized, "Unauthorized", detail)
            .WithHeader("WWW-Authenticate", bearerError is null ? "Bearer" : $"Bearer error=\"{bearerError}\"");

    /// <summary>401 for a device: its challenge names the signature scheme, not a bearer token.</summary>
    public static ApiResult BadSignature(string detail) =>
        Create(StatusCodes.Status401Unauthorized, "Unauthorized", detail)
            .WithHeader("WWW-Authenticate", "Enrolment-HMAC-SHA256 headers=\"X-Enrolment-Timestamp X-Enrolment-Signature\"");

    public static ApiResult Forbidden(string detail) =>
        Create(StatusCodes.Status403Forbidden, "Forbidden", detail);

    public static ApiResult Conflict(string detail) =>
        Create(StatusCodes.Status409Conflict, "Conflict", detail);

    public static ApiResult UnsupportedMediaType(string detail) =>
        Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", detail);

    public static ApiResult TooLarge(string detail) =>
        Create(StatusCodes.Status413PayloadTooLarge, "Payload too large", detail);

    public static ApiResult TooManyRequests(string detail, TimeSpan retryAfter) =>
        Create(StatusCodes.Status429TooManyRequests, "Too many requests", detail)
            .WithHeader("Retry-After", Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static ApiResult ServiceUnavailable(string detail) =>
        Create(StatusCodes.Status503ServiceUnavailable, "Service unavailable", detail);

    private static string TypeFor(int status) => status switch
    {
        400 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.1",
        401 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.2",
        403 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.4",
        404 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.5",
        405 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.6",
        409 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.10",
        413 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14",
        415 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.16",
        429 => "https://www.rfc-editor.org/rfc/rfc6585#section-4",
        503 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4",
        _ => "about:blank",
    };
}
