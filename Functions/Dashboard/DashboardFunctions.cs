using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.OpenApi;

namespace Sarthe.Enrolment.Dashboard;

/// <summary>
/// Serves the administrators' dashboard. The page and its files are anonymous (they hold nothing secret);
/// the page signs in and calls the API with a bearer token like any other client.
/// </summary>
public sealed class DashboardFunctions(DashboardAssets assets)
{
    [ApiOperation("The administrators' dashboard, an HTML page that signs in and calls this API")]
    [Anonymous]
    [ApiResponse(200, null, "text/html")]
    [Function(nameof(GetDashboard))]
    public IActionResult GetDashboard(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard")] HttpRequest request) =>
        assets.Find("index.html") ?? throw new InvalidOperationException("The dashboard page is not embedded in the Functions assembly.");

    [Anonymous]
    [Function(nameof(GetDashboardFile))]
    public IActionResult GetDashboardFile(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard/{file}")] HttpRequest request,
        string file) =>
        assets.Find(file) ?? Problem.NotFound($"The dashboard has no file '{file}'.");
}
