using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Sarthe.Enrolment.Http;

/// <summary>A text body written directly, like <see cref="JsonBodyResult"/>: the same bytes from both hosts, no MVC executor needed.</summary>
public sealed class TextBodyResult(string body, string contentType, string? fileName = null) : IActionResult
{
    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = contentType;
        if (fileName is not null)
        {
            response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        }

        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(body), context.HttpContext.RequestAborted);
    }
}
