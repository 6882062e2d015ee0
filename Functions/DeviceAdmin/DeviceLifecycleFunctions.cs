using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.Inventory;
using Sarthe.Enrolment.OpenApi;
using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.DeviceAdmin;

/// <summary>The administrators' lifecycle routes: move a device to another school, deregister it.</summary>
public sealed class DeviceLifecycleFunctions(DeviceLifecycleService lifecycle, InventoryStore inventory, AdminAuthenticator admins)
{
    private const int MaxBodyBytes = 4096;
    private static readonly JsonDocumentOptions BodyOptions = new() { MaxDepth = 4, AllowDuplicateProperties = false };

    [ApiOperation("Move a device to another school (its Autopilot group tag follows)", RequestBody = typeof(MoveRequest))]
    [RequiresRole(AdminRoles.Admin)]
    [ApiResponse(200, typeof(DeviceRecord))]
    [ApiResponse(400)]
    [ApiResponse(404)]
    [ApiResponse(409)]
    [Function(nameof(MoveDevice))]
    public Task<IActionResult> MoveDevice(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "devices/{serialNumber}/move")] HttpRequest request,
        string serialNumber,
        CancellationToken cancellationToken) =>
        admins.RunAsync(MoveDevice, request, async (administrator, ct) =>
        {
            if (await ReadSchoolAsync(request, ct) is not { } body)
            {
                return Problem.Validation("body", "The body must be a JSON object { \"schoolUai\": \"…\" } of at most 4 KiB, each member once.");
            }

            return await DeviceActionAnswer.ToResultAsync(await lifecycle.MoveAsync(serialNumber, body.SchoolUai, administrator.Actor, ct), serialNumber, inventory, DeviceActionAnswer.Done, ct);
        },
        cancellationToken);

    [ApiOperation("Deregister a device: removed from Autopilot, its serial number free again")]
    [RequiresRole(AdminRoles.Admin)]
    [ApiResponse(202, typeof(DeviceRecord))]
    [ApiResponse(404)]
    [ApiResponse(409)]
    [Function(nameof(DeregisterDevice))]
    public Task<IActionResult> DeregisterDevice(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "devices/{serialNumber}")] HttpRequest request,
        string serialNumber,
        CancellationToken cancellationToken) =>
        admins.RunAsync(DeregisterDevice, request, async (administrator, ct) =>
            await DeviceActionAnswer.ToResultAsync(await lifecycle.DeregisterAsync(serialNumber, administrator.Actor, ct), serialNumber, inventory, DeviceActionAnswer.Accepted, ct),
            cancellationToken);

    /// <summary>The move's body, or null when it is not a JSON object (with each member once) of at most 4 KiB.</summary>
    private static async Task<MoveRequest?> ReadSchoolAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (await RequestBody.ReadAtMostAsync(request.Body, MaxBodyBytes, cancellationToken) is not { Length: > 0 } bytes)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(bytes, BodyOptions);
            return document.RootElement.ValueKind != JsonValueKind.Object
                ? null
                : new MoveRequest(document.RootElement.TryGetProperty("schoolUai", out var uai) && uai.ValueKind == JsonValueKind.String ? uai.GetString() : null);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>The body of a move: the school the device goes to.</summary>
public sealed record MoveRequest([property: System.ComponentModel.DataAnnotations.Required] string? SchoolUai);
