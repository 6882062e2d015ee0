using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.OpenApi;

namespace Sarthe.Enrolment.Tenant;

/// <summary>The administrators' view of the tenant: is it ready for the programme's devices before the first one boots.</summary>
public sealed class TenantReadinessFunctions(TenantReadinessService readiness, AdminAuthenticator admins)
{
    [ApiOperation("Whether the tenant is ready: Graph, Intune, and per school a deployment profile through a group that covers its tag")]
    [RequiresRole(AdminRoles.Read)]
    [ApiResponse(200, typeof(TenantReadinessReport))]
    [Function(nameof(GetTenantReadiness))]
    public Task<IActionResult> GetTenantReadiness(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "tenant/readiness")] HttpRequest request,
        CancellationToken cancellationToken) =>
        admins.RunAsync(GetTenantReadiness, request, async (_, ct) => ApiResult.Json(await readiness.CheckAsync(ct)), cancellationToken);
}
