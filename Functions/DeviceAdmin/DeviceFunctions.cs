using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.Inventory;
using Sarthe.Enrolment.OpenApi;
using Sarthe.Enrolment.Schools;
using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.DeviceAdmin;

/// <summary>The administrators' device routes.</summary>
public sealed class DeviceFunctions(DeviceStore devices, DeviceQueries queries, DeviceAdministration administration, SchoolStore schools, InventoryStore inventory, AdminAuthenticator admins)
{
    [ApiOperation("A device record")]
    [RequiresRole(AdminRoles.Read)]
    [ApiResponse(200, typeof(DeviceRecord))]
    [ApiResponse(404)]
    [Function(nameof(GetDevice))]
    public Task<IActionResult> GetDevice(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "devices/{serialNumber}")] HttpRequest request,
        string serialNumber,
        CancellationToken cancellationToken) =>
        admins.RunAsync(GetDevice, request, async (_, ct) =>
            await devices.FindAsync(serialNumber, ct) is { } device
                ? ApiResult.Json(await inventory.WithInventoryAsync(DeviceRecord.From(device), ct))
                : Problem.UnknownDevice(serialNumber),
            cancellationToken);

    [ApiOperation("Re-drive a failed device")]
    [RequiresRole(AdminRoles.Admin)]
    [ApiResponse(202, typeof(DeviceRecord))]
    [ApiResponse(404)]
    [ApiResponse(409)]
    [Function(nameof(RetryDevice))]
    public Task<IActionResult> RetryDevice(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "devices/{serialNumber}/retry")] HttpRequest request,
        string serialNumber,
        CancellationToken cancellationToken) =>
        admins.RunAsync(RetryDevice, request, async (administrator, ct) =>
            await DeviceActionAnswer.ToResultAsync(await administration.RetryAsync(serialNumber, administrator.Actor, ct), serialNumber, inventory, DeviceActionAnswer.Accepted, ct),
            cancellationToken);

    [ApiOperation("A school's devices in serial order; or, with format=autopilot-csv (or Accept: text/csv), those with a hardware hash as the Windows Autopilot CSV", Query = ["status", "pageSize", "continuationToken", "format"])]
    [RequiresRole(AdminRoles.Read)]
    [ApiResponse(200, typeof(DevicePage))]
    [ApiResponse(200, null, "text/csv")]
    [ApiResponse(400)]
    [ApiResponse(404)]
    [Function(nameof(ListSchoolDevices))]
    public Task<IActionResult> ListSchoolDevices(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "schools/{uai}/devices")] HttpRequest request,
        string uai,
        CancellationToken cancellationToken) =>
        admins.RunAsync(ListSchoolDevices, request, async (_, ct) =>
        {
            if (await schools.FindAsync(uai, ct) is not { } school)
            {
                return Problem.UnknownSchool(uai);
            }

            if (DeviceListQuery.WantsAutopilotCsv(request))
            {
                return ApiResult.Streamed(AutopilotCsv.ContentType, (body, ct2) => AutopilotCsv.WriteAsync(body, queries.StreamExportableAsync(school.Uai, ct2), ct2))
                    .WithHeader("Content-Disposition", $"attachment; filename=\"autopilot-{school.Uai}.csv\"");
            }

            var (query, errors) = DeviceListQuery.Parse(school.Uai, request.Query);
            return query is null ? Problem.Validation(errors) : ApiResult.Json(await inventory.WithInventoryAsync(await queries.ListAsync(query, ct), ct));
        },
        cancellationToken);
}
