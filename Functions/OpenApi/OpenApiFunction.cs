using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Http;

namespace Sarthe.Enrolment.OpenApi;

public sealed class OpenApiFunction
{
    // Generated once per process from the code's attributes and types.
    private static readonly Lazy<string> Document = new(() => OpenApiDocumentBuilder.BuildJson(typeof(OpenApiFunction).Assembly));

    [ApiOperation("This OpenAPI description")]
    [Anonymous]
    [ApiResponse(200, null, "application/json")]
    [Function(nameof(GetOpenApiDocument))]
    public IActionResult GetOpenApiDocument(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.json")] HttpRequest request) =>
        ApiResult.Text(Document.Value, "application/json; charset=utf-8");
}
