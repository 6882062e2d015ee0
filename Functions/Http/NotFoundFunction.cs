using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Sarthe.Enrolment.Auth;

namespace Sarthe.Enrolment.Http;

/// <summary>
/// Catch-all route: literal routes always win over a catch-all, so this only answers paths no other
/// function serves, with the contract's 404 problem+json instead of an empty host 404.
/// </summary>
public sealed class NotFoundFunction
{
    [Anonymous]
    [Function(nameof(UnknownRoute))]
    public IActionResult UnknownRoute(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "patch", "delete", Route = "{*path}")] HttpRequest request,
        string? path) =>
        Problem.NotFound($"No route matches {request.Method} /api/{path}.");
}
