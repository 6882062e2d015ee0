using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Inventory;
using Sarthe.Enrolment.OpenApi;
using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.DeviceAdmin;

/// <summary>The route by which an administrator approves a device that the unknown-device policy held.</summary>
public sealed class DeviceApprovalFunctions(DeviceAdministration administration, InventoryStore inventory, AdminAuthenticator admins)
{
    [ApiOperation("Approve a held device: it goes on to registration")]
    [RequiresRole(AdminRoles.Admin)]
    [ApiResponse(202, typeof(DeviceRecord))]
    [ApiResponse(404)]
    [ApiResponse(409)]
    [Function(nameof(ApproveDevice))]
    public Task<IActionResult> ApproveDevice(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "devices/{serialNumber}/approve")] HttpRequest request,
        string serialNumber,
        CancellationToken cancellationToken) =>
        admins.RunAsync(ApproveDevice, request, async (administrator, ct) =>
            await DeviceActionAnswer.ToResultAsync(await administration.ApproveAsync(serialNumber, administrator.Actor, ct), serialNumber, inventory, DeviceActionAnswer.Accepted, ct),
            cancellationToken);
}
