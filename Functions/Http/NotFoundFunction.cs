using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Azure.Functions.Worker;
using Sarthe.Enrolment.Auth;

namespace Sarthe.Enrolment.Http;

/// <summary>
/// Catch-all route: literal routes always win over a catch-all, so this only answers requests no other function
/// serves: 405 problem+json with <c>Allow</c> when the path is a known route called with another method (HEAD,
/// OPTIONS, TRACE and non-standard methods included), else the contract's 404 problem+json, instead of the host's
/// empty answers. It names no methods: a trigger without methods answers every method (the Functions host's rule,
/// learn.microsoft.com/azure/azure-functions/functions-bindings-http-webhook-trigger, "methods"), and so does the dev host.
/// </summary>
public sealed class NotFoundFunction
{
    private static readonly Lazy<IReadOnlyList<(TemplateMatcher Matcher, string[] Verbs)>> Routes = new(() =>
        HttpFunctionCatalog.Discover(typeof(NotFoundFunction).Assembly)
            .Where(r => !r.Route.Contains('*', StringComparison.Ordinal))
            .Select(r => (new TemplateMatcher(TemplateParser.Parse(r.Route), new RouteValueDictionary()), r.Verbs))
            .ToList());

    [Anonymous]
    [Function(nameof(UnknownRoute))]
    public IActionResult UnknownRoute(
        [HttpTrigger(AuthorizationLevel.Anonymous, Route = "{*path}")] HttpRequest request,
        string? path)
    {
        var allowed = AllowedMethods(path ?? "");
        return allowed.Count > 0
            ? Problem.Create(StatusCodes.Status405MethodNotAllowed, "Method not allowed", $"{request.Method} is not allowed on /api/{path}; allowed: {string.Join(", ", allowed)}.")
                .WithHeader("Allow", string.Join(", ", allowed))
            : Problem.NotFound($"No route matches {request.Method} /api/{path}.");
    }

    /// <summary>The methods the functions serve on this path (empty when it is no route of theirs).</summary>
    public static IReadOnlyList<string> AllowedMethods(string path) =>
        Routes.Value
            .Where(r => r.Matcher.TryMatch("/" + path.TrimStart('/'), new RouteValueDictionary()))
            .SelectMany(r => r.Verbs)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.Ordinal)
            .ToList();
}
