using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Sarthe.Enrolment.Http;

/// <summary>
/// Writes a body with <see cref="ApiJson.Options"/> itself, so the Functions worker and the dev host
/// produce byte-identical responses without depending on MVC formatter configuration.
/// </summary>
public sealed class JsonBodyResult(object body, int statusCode = StatusCodes.Status200OK, string contentType = "application/json; charset=utf-8") : IActionResult
{
    public object Body { get; } = body;

    public int StatusCode { get; } = statusCode;

    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = contentType;
        foreach (var (name, value) in Headers)
        {
            response.Headers[name] = value;
        }

        await JsonSerializer.SerializeAsync(response.Body, Body, Body.GetType(), ApiJson.Options, context.HttpContext.RequestAborted);
    }
}
