using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.OpenApi;

namespace Sarthe.Enrolment.Schools;

public sealed class SchoolsFunctions(SchoolDirectory directory, DeviceStore devices, AdminAuthenticator authenticator)
{
    [ApiOperation("The schools with live device counts", ApiCaller.Administrator, AdminRoles.Read)]
    [ApiResponse(200, typeof(SchoolView[]))]
    [ApiResponse(401)]
    [ApiResponse(403)]
    [Function(nameof(ListSchools))]
    public async Task<IActionResult> ListSchools(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "schools")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var auth = await authenticator.AuthorizeAsync(request, AdminRoles.Read, cancellationToken);
        if (!auth.Succeeded)
        {
            return auth.Failure!;
        }

        var schools = (await directory.ListAsync(cancellationToken)).OrderBy(s => s.Uai, StringComparer.Ordinal).ToList();
        // One projected partition read per school, all at once: counts are always live, never a cache to repair.
        var counts = await Task.WhenAll(schools.Select(s => devices.CountAsync(s.Uai, cancellationToken)));
        return new JsonBodyResult(schools.Select((s, i) => SchoolView.From(s, counts[i])).ToArray());
    }

    [ApiOperation("One school with live device counts", ApiCaller.Administrator, AdminRoles.Read)]
    [ApiResponse(200, typeof(SchoolView))]
    [ApiResponse(401)]
    [ApiResponse(403)]
    [ApiResponse(404)]
    [Function(nameof(GetSchool))]
    public async Task<IActionResult> GetSchool(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "schools/{uai}")] HttpRequest request,
        string uai,
        CancellationToken cancellationToken)
    {
        var auth = await authenticator.AuthorizeAsync(request, AdminRoles.Read, cancellationToken);
        if (!auth.Succeeded)
        {
            return auth.Failure!;
        }

        var school = await directory.FindAsync(uai, cancellationToken);
        return school is null
            ? Problem.UnknownSchool(uai)
            : new JsonBodyResult(SchoolView.From(school, await devices.CountAsync(school.Uai, cancellationToken)));
    }
}
