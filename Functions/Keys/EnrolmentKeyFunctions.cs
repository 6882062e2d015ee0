using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.OpenApi;
using Sarthe.Enrolment.Schools;

namespace Sarthe.Enrolment.Keys;

/// <summary>School enrolment keys: issued (rotated) by an administrator, shown once (alone, or in the school's provisioning bundle).</summary>
public sealed class EnrolmentKeyFunctions(
    AdminAuthenticator admins, SchoolStore schools, SchoolKeyStore keys, SchoolKeyCache keyIds, AuditPublisher audit, IOptions<EnrolmentKeyOptions> options, TimeProvider time)
{
    [ApiOperation("Issue or rotate a school's enrolment key (shown once), alone or in the school's provisioning bundle", Query = ["format", "endpoint"])]
    [RequiresRole(AdminRoles.Admin)]
    [ApiResponse(201, typeof(IssuedKey))]
    [ApiResponse(201, null, ProvisioningBundle.ContentType)]
    [ApiResponse(400)]
    [ApiResponse(404)]
    [Function(nameof(RotateEnrolmentKey))]
    public Task<IActionResult> RotateEnrolmentKey(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "schools/{uai}/enrolment-keys")] HttpRequest request,
        string uai,
        CancellationToken cancellationToken) =>
        admins.RunAsync(RotateEnrolmentKey, request, async (administrator, ct) =>
        {
            if (await schools.FindAsync(uai, ct) is not { } school)
            {
                return Problem.UnknownSchool(uai);
            }

            var (query, errors) = KeyIssueQuery.Parse(request, options.Value.PublicEndpointUri);
            if (query is null)
            {
                return Problem.Validation(errors);
            }

            var issued = await keys.RotateAsync(school.Uai, ct);
            keyIds.Forget(school.Uai);
            await audit.PublishAsync(AuditEvents.SchoolKeyRotated(school.Uai, issued.KeyId, issued.PreviousKeyValidUntil, administrator.Actor, time.GetUtcNow()), ct);
            return query.BundleEndpoint is { } endpoint
                ? ApiResult.Bytes(ProvisioningBundle.Build(issued, endpoint), ProvisioningBundle.ContentType, StatusCodes.Status201Created)
                    .WithHeader("Content-Disposition", $"attachment; filename=\"{ProvisioningBundle.FileNameFor(issued)}\"")
                    .WithHeader(ProvisioningBundle.EndpointHeader, ProvisioningBundle.EndpointOf(endpoint))
                : ApiResult.Json(issued, StatusCodes.Status201Created);
        },
        cancellationToken);
}
