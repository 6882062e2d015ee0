using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.OpenApi;
using Sarthe.Enrolment.Schools;

namespace Sarthe.Enrolment.Inventory;

/// <summary>The purchase inventory: manifests in, the inventory and its per-school summary out.</summary>
public sealed class InventoryFunctions(ManifestImporter importer, InventoryStore inventory, SchoolStore schools, AdminAuthenticator admins)
{
    [ApiOperation("Import a reseller's manifest (programme CSV or Windows Autopilot CSV)", Query = ["name", "schoolUai"], RequestBody = typeof(string), RequestContentType = "text/csv")]
    [RequiresRole(AdminRoles.Admin)]
    [ApiResponse(201, typeof(ManifestImportResult))]
    [ApiResponse(400)]
    [ApiResponse(413)]
    [ApiResponse(415)]
    [Function(nameof(ImportManifest))]
    public Task<IActionResult> ImportManifest(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "inventory/manifests")] HttpRequest request,
        CancellationToken cancellationToken) =>
        admins.RunAsync(ImportManifest, request, ManifestUpload.ImportDeadline, async (administrator, ct) =>
        {
            var known = await KnownSchoolsAsync(ct);
            var (query, errors) = ManifestUpload.ParseQuery(request.Query, known);
            if (query is null)
            {
                return Problem.Validation(errors);
            }

            var (upload, refusal) = await ManifestUpload.OpenAsync(request, ct);
            if (upload is null)
            {
                return refusal!;
            }

            await using (upload)
            {
                var outcome = await importer.ImportAsync(upload.Body, query, known, administrator.Actor, ct);
                return outcome is ManifestOutcome.Imported imported
                    ? ApiResult.Json(imported.Result, StatusCodes.Status201Created)
                    : Problem.Validation(((ManifestOutcome.Refused)outcome).Errors, "The file is not a manifest this API reads; nothing was stored.");
            }
        },
        cancellationToken);

    [ApiOperation("Imported manifests, newest first")]
    [RequiresRole(AdminRoles.Read)]
    [ApiResponse(200, typeof(ManifestSummary[]))]
    [Function(nameof(ListManifests))]
    public Task<IActionResult> ListManifests(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "inventory/manifests")] HttpRequest request,
        CancellationToken cancellationToken) =>
        admins.RunAsync(ListManifests, request, async (_, ct) => ApiResult.Json(await inventory.ListManifestsAsync(ct)), cancellationToken);

    [ApiOperation("The purchase inventory in serial order", Query = ["schoolUai", "purchaseOrder", "pageSize", "continuationToken"])]
    [RequiresRole(AdminRoles.Read)]
    [ApiResponse(200, typeof(InventoryPage))]
    [ApiResponse(400)]
    [Function(nameof(ListInventory))]
    public Task<IActionResult> ListInventory(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "inventory")] HttpRequest request,
        CancellationToken cancellationToken) =>
        admins.RunAsync(ListInventory, request, async (_, ct) =>
        {
            var (query, errors) = InventoryQuery.Parse(request.Query, await KnownSchoolsAsync(ct));
            return query is null ? Problem.Validation(errors) : ApiResult.Json(await inventory.ListAsync(query, ct));
        },
        cancellationToken);

    [ApiOperation("Per school: devices bought, and of those enrolled and registered")]
    [RequiresRole(AdminRoles.Read)]
    [ApiResponse(200, typeof(SchoolInventory[]))]
    [Function(nameof(SummariseInventory))]
    public Task<IActionResult> SummariseInventory(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "inventory/schools")] HttpRequest request,
        CancellationToken cancellationToken) =>
        admins.RunAsync(SummariseInventory, request, async (_, ct) => ApiResult.Json(await inventory.SummariseAsync(await KnownSchoolsAsync(ct), ct)), cancellationToken);

    private async Task<IReadOnlySet<string>> KnownSchoolsAsync(CancellationToken cancellationToken) =>
        (await schools.ListAsync(cancellationToken)).Select(s => s.Uai).ToHashSet(StringComparer.Ordinal);
}
