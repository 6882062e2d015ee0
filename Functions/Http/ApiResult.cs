using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Sarthe.Enrolment.Http;

/// <summary>
/// Every answer of the API: a status, a body written here (JSON with <see cref="ApiJson.Options"/>, text or
/// bytes) and its headers, fixed when the result is made. Both hosts execute it the same way, so the Functions
/// worker and the dev host send byte-identical responses without MVC formatters.
/// </summary>
public sealed class ApiResult : IActionResult
{
    private const string JsonContentType = "application/json; charset=utf-8";

    private readonly Func<Stream, CancellationToken, Task> _writeBody;

    private ApiResult(int statusCode, string contentType, Func<Stream, CancellationToken, Task> writeBody, ImmutableDictionary<string, string> headers, object? body)
    {
        StatusCode = statusCode;
        ContentType = contentType;
        _writeBody = writeBody;
        Headers = headers;
        Body = body;
    }

    public int StatusCode { get; }

    public string ContentType { get; }

    /// <summary>The object a JSON result serialises (null for text and bytes): what unit tests look at.</summary>
    public object? Body { get; }

    public ImmutableDictionary<string, string> Headers { get; }

    /// <summary>Data from the API: never cached by a browser or proxy, never sniffed as another type.</summary>
    private static readonly ImmutableDictionary<string, string> DataHeaders = ImmutableDictionary.Create<string, string>(StringComparer.OrdinalIgnoreCase)
        .Add("Cache-Control", "no-store")
        .Add("X-Content-Type-Options", "nosniff");

    public static ApiResult Json(object body, int statusCode = StatusCodes.Status200OK, string contentType = JsonContentType) =>
        new(statusCode, contentType, (stream, ct) => JsonSerializer.SerializeAsync(stream, body, body.GetType(), ApiJson.Options, ct), DataHeaders, body);

    public static ApiResult Text(string body, string contentType, int statusCode = StatusCodes.Status200OK) =>
        Bytes(Encoding.UTF8.GetBytes(body), contentType, statusCode);

    public static ApiResult Bytes(byte[] body, string contentType, int statusCode = StatusCodes.Status200OK) =>
        new(statusCode, contentType, (stream, ct) => stream.WriteAsync(body, ct).AsTask(), DataHeaders.SetItem("Content-Length", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)), null);

    /// <summary>A body written as it is produced (a large export), with no Content-Length.</summary>
    public static ApiResult Streamed(string contentType, Func<Stream, CancellationToken, Task> writeBody) =>
        new(StatusCodes.Status200OK, contentType, writeBody, DataHeaders, null);

    /// <summary>The same result with one more header (or a header replaced).</summary>
    public ApiResult WithHeader(string name, string value) => new(StatusCode, ContentType, _writeBody, Headers.SetItem(name, value), Body);

    public ApiResult WithStatus(int statusCode) => new(statusCode, ContentType, _writeBody, Headers, Body);

    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = ContentType;
        foreach (var (name, value) in Headers)
        {
            response.Headers[name] = value;
        }

        await _writeBody(response.Body, context.HttpContext.RequestAborted);
    }
}
