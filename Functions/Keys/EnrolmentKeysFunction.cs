using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.Schools;
using Sarthe.Enrolment.OpenApi;

namespace Sarthe.Enrolment.Keys;

public sealed class EnrolmentKeysFunction(AdminAuthenticator authenticator, SchoolDirectory schools, SchoolKeyStore keys, AuditPublisher audit)
{
    [ApiOperation("Issue or rotate a school's enrolment key (shown once)", ApiCaller.Administrator, AdminRoles.Admin)]
    [ApiResponse(201, typeof(IssuedKey))]
    [ApiResponse(401)]
    [ApiResponse(403)]
    [ApiResponse(404)]
    [Function(nameof(RotateEnrolmentKey))]
    public async Task<IActionResult> RotateEnrolmentKey(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "schools/{uai}/enrolment-keys")] HttpRequest request,
        string uai,
        CancellationToken cancellationToken)
    {
        var auth = await authenticator.AuthorizeAsync(request, AdminRoles.Admin, cancellationToken);
        if (!auth.Succeeded)
        {
            return auth.Failure!;
        }

        var school = await schools.FindAsync(uai, cancellationToken);
        if (school is null)
        {
            return Problem.UnknownSchool(uai);
        }

        var issued = await keys.RotateAsync(school.Uai, cancellationToken);
        // The key itself never reaches the audit trail, only its id.
        await audit.PublishAsync(AuditEventTypes.SchoolKeyRotated, new AuditActor(ActorKinds.Administrator, auth.Administrator!.Id), school.Uai, null,
            new JsonObject { ["keyId"] = issued.KeyId, ["previousKeyValidUntil"] = issued.PreviousKeyValidUntil }, cancellationToken);
        var result = new JsonBodyResult(issued, StatusCodes.Status201Created);
        result.Headers["Cache-Control"] = "no-store";
        return result;
    }
}
