using Microsoft.AspNetCore.Http;

namespace Sarthe.Enrolment.Http;

/// <summary>An RFC 9457 problem document, as every error of the API is.</summary>
public sealed record ProblemBody(
    string Type,
    string Title,
    int Status,
    string Detail,
    IReadOnlyDictionary<string, string[]>? Errors = null);

/// <summary>Builders for the problem+json responses the contract names.</summary>
public static class Problem
{
    private const string ContentType = "application/problem+json; charset=utf-8";

    public static JsonBodyResult Create(int status, string title, string detail, IReadOnlyDictionary<string, string[]>? errors = null)
    {
        var body = new ProblemBody(TypeFor(status), title, status, detail, errors);
        return new JsonBodyResult(body, status, ContentType);
    }

    public static JsonBodyResult Validation(IReadOnlyDictionary<string, string[]> errors, string detail = "One or more fields are invalid.") =>
        Create(StatusCodes.Status400BadRequest, "Invalid request", detail, errors);

    public static JsonBodyResult Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] }, message);

    public static JsonBodyResult NotFound(string detail) =>
        Create(StatusCodes.Status404NotFound, "Not found", detail);

    public static JsonBodyResult UnknownSchool(string routeUai) => NotFound($"No school with UAI '{routeUai}'.");

    public static JsonBodyResult UnknownDevice(string routeSerial) => NotFound($"No device with serial number '{routeSerial}'.");

    public static JsonBodyResult Unauthorized(string detail, string? bearerError = null)
    {
        var result = Create(StatusCodes.Status401Unauthorized, "Unauthorized", detail);
        result.Headers["WWW-Authenticate"] = bearerError is null ? "Bearer" : $"Bearer error=\"{bearerError}\"";
        return result;
    }

    /// <summary>401 for a device: its challenge names the signature scheme, not a bearer token.</summary>
    public static JsonBodyResult BadSignature(string detail)
    {
        var result = Create(StatusCodes.Status401Unauthorized, "Unauthorized", detail);
        result.Headers["WWW-Authenticate"] = "Enrolment-HMAC-SHA256 headers=\"X-Enrolment-Timestamp X-Enrolment-Signature\"";
        return result;
    }

    public static JsonBodyResult Forbidden(string detail) =>
        Create(StatusCodes.Status403Forbidden, "Forbidden", detail);

    public static JsonBodyResult Conflict(string detail) =>
        Create(StatusCodes.Status409Conflict, "Conflict", detail);

    public static JsonBodyResult ServiceUnavailable(string detail) =>
        Create(StatusCodes.Status503ServiceUnavailable, "Service unavailable", detail);

    private static string TypeFor(int status) => status switch
    {
        400 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.1",
        401 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.2",
        403 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.4",
        404 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.5",
        409 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.10",
        413 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14",
        415 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.16",
        503 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4",
        _ => "about:blank",
    };
}
