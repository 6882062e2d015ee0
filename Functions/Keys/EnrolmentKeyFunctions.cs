using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.OpenApi;
using Sarthe.Enrolment.Schools;

namespace Sarthe.Enrolment.Keys;

/// <summary>School enrolment keys: issued (rotated) by an administrator, shown once.</summary>
public sealed class EnrolmentKeyFunctions(AdminAuthenticator admins, SchoolStore schools, SchoolKeyStore keys, SchoolKeyCache keyIds, AuditPublisher audit, TimeProvider time)
{
    [ApiOperation("Issue or rotate a school's enrolment key (shown once)")]
    [RequiresRole(AdminRoles.Admin)]
    [ApiResponse(201, typeof(IssuedKey))]
    [ApiResponse(404)]
    [Function(nameof(RotateEnrolmentKey))]
    public Task<IActionResult> RotateEnrolmentKey(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "schools/{uai}/enrolment-keys")] HttpRequest request,
        string uai,
        CancellationToken cancellationToken) =>
        admins.RunAsync(this, request, async (administrator, ct) =>
        {
            if (await schools.FindAsync(uai, ct) is not { } school)
            {
                return Problem.UnknownSchool(uai);
            }

            var issued = await keys.RotateAsync(school.Uai, ct);
            keyIds.Forget(school.Uai);
            await audit.PublishAsync(AuditEvents.SchoolKeyRotated(school.Uai, issued.KeyId, issued.PreviousKeyValidUntil, administrator.Actor, time.GetUtcNow()), ct);
            return ApiResult.Json(issued, StatusCodes.Status201Created);
        },
        cancellationToken);
}
