using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.OpenApi;

namespace Sarthe.Enrolment.Schools;

/// <summary>The administrators' school routes: the registry with live device counts.</summary>
public sealed class SchoolsFunctions(SchoolStore schools, DeviceQueries devices, AdminAuthenticator admins)
{
    [ApiOperation("The schools with live device counts")]
    [RequiresRole(AdminRoles.Read)]
    [ApiResponse(200, typeof(SchoolView[]))]
    [Function(nameof(ListSchools))]
    public Task<IActionResult> ListSchools(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "schools")] HttpRequest request,
        CancellationToken cancellationToken) =>
        admins.RunAsync(ListSchools, request, async (_, ct) =>
        {
            var all = (await schools.ListAsync(ct)).OrderBy(s => s.Uai, StringComparer.Ordinal).ToList();
            // One projected partition read per school, all at once: counts are always live, never a cache to repair.
            var counts = await Task.WhenAll(all.Select(s => devices.CountAsync(s.Uai, ct)));
            return ApiResult.Json(all.Select((s, i) => SchoolView.From(s, counts[i])).ToArray());
        },
        cancellationToken);

    [ApiOperation("One school with live device counts")]
    [RequiresRole(AdminRoles.Read)]
    [ApiResponse(200, typeof(SchoolView))]
    [ApiResponse(404)]
    [Function(nameof(GetSchool))]
    public Task<IActionResult> GetSchool(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "schools/{uai}")] HttpRequest request,
        string uai,
        CancellationToken cancellationToken) =>
        admins.RunAsync(GetSchool, request, async (_, ct) =>
            await schools.FindAsync(uai, ct) is { } school
                ? ApiResult.Json(SchoolView.From(school, await devices.CountAsync(school.Uai, ct)))
                : Problem.UnknownSchool(uai),
            cancellationToken);
}
