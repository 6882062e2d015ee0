using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.Registration;
using Sarthe.Enrolment.Schools;
using Sarthe.Enrolment.OpenApi;

namespace Sarthe.Enrolment.Devices;

public sealed class DeviceFunctions(
    EnrolmentService enrolment,
    DeviceStore devices,
    SchoolDirectory schools,
    RegistrationProcessor registration,
    AuditPublisher audit,
    AdminAuthenticator authenticator,
    TimeProvider time)
{
    [ApiOperation("First-boot enrolment of a device, signed with its school's key", ApiCaller.Device, RequestBody = typeof(EnrolmentRequest))]
    [ApiResponse(202, typeof(DeviceRecord))]
    [ApiResponse(200, typeof(DeviceRecord))]
    [ApiResponse(400)]
    [ApiResponse(401)]
    [ApiResponse(409)]
    [ApiResponse(413)]
    [ApiResponse(415)]
    [Function(nameof(EnrolDevice))]
    public Task<IActionResult> EnrolDevice(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "enrolments")] HttpRequest request,
        CancellationToken cancellationToken) =>
        enrolment.EnrolAsync(request, cancellationToken);

    [ApiOperation("A device record", ApiCaller.Administrator, AdminRoles.Read)]
    [ApiResponse(200, typeof(DeviceRecord))]
    [ApiResponse(401)]
    [ApiResponse(403)]
    [ApiResponse(404)]
    [Function(nameof(GetDevice))]
    public async Task<IActionResult> GetDevice(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "devices/{serialNumber}")] HttpRequest request,
        string serialNumber,
        CancellationToken cancellationToken)
    {
        var auth = await authenticator.AuthorizeAsync(request, AdminRoles.Read, cancellationToken);
        if (!auth.Succeeded)
        {
            return auth.Failure!;
        }

        var device = await devices.FindAsync(serialNumber, cancellationToken);
        return device is null
            ? Problem.UnknownDevice(serialNumber)
            : new JsonBodyResult(DeviceRecord.From(device));
    }

    [ApiOperation("Re-drive a failed device", ApiCaller.Administrator, AdminRoles.Admin)]
    [ApiResponse(202, typeof(DeviceRecord))]
    [ApiResponse(401)]
    [ApiResponse(403)]
    [ApiResponse(404)]
    [ApiResponse(409)]
    [Function(nameof(RetryDevice))]
    public async Task<IActionResult> RetryDevice(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "devices/{serialNumber}/retry")] HttpRequest request,
        string serialNumber,
        CancellationToken cancellationToken)
    {
        var auth = await authenticator.AuthorizeAsync(request, AdminRoles.Admin, cancellationToken);
        if (!auth.Succeeded)
        {
            return auth.Failure!;
        }

        var found = await devices.FindAsync(serialNumber, cancellationToken);
        if (found is null)
        {
            return Problem.UnknownDevice(serialNumber);
        }

        var retried = false;
        var device = await devices.UpdateAsync(found.SchoolUai, found.SerialNumber, d =>
        {
            if (d.Status != DeviceStatus.Failed)
            {
                return false;
            }

            var now = time.GetUtcNow();
            d.SetStatus(DeviceStatus.Received, now);
            d.Attempt++;
            d.RetryRequestedAt = now;
            d.ImportedIdentityId = null;
            d.ImportStatus = null;
            d.AutopilotDeviceId = null;
            return retried = true;
        }, cancellationToken);

        if (!retried || device is null)
        {
            return Problem.Conflict($"Device {found.SerialNumber} is {device?.Status ?? found.Status}; only a failed device can be retried.");
        }

        await registration.RequestAsync(new DeviceRef(device.SerialNumber, device.SchoolUai, device.Attempt), null, cancellationToken);
        await audit.PublishAsync(AuditEventTypes.DeviceRetryRequested, new AuditActor(ActorKinds.Administrator, auth.Administrator!.Id), device.SchoolUai, device.SerialNumber,
            new JsonObject { ["attempt"] = device.Attempt, ["previousError"] = device.LastErrorCode }, cancellationToken);
        return new JsonBodyResult(DeviceRecord.From(device), StatusCodes.Status202Accepted);
    }

    [ApiOperation("A school's devices in serial order", ApiCaller.Administrator, AdminRoles.Read, Query = ["status", "pageSize", "continuationToken"])]
    [ApiResponse(200, typeof(DevicePage))]
    [ApiResponse(400)]
    [ApiResponse(401)]
    [ApiResponse(403)]
    [ApiResponse(404)]
    [Function(nameof(ListSchoolDevices))]
    public async Task<IActionResult> ListSchoolDevices(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "schools/{uai}/devices")] HttpRequest request,
        string uai,
        CancellationToken cancellationToken)
    {
        var auth = await authenticator.AuthorizeAsync(request, AdminRoles.Read, cancellationToken);
        if (!auth.Succeeded)
        {
            return auth.Failure!;
        }

        var school = await schools.FindAsync(uai, cancellationToken);
        if (school is null)
        {
            return Problem.UnknownSchool(uai);
        }

        var errors = new Dictionary<string, string[]>();
        var status = request.Query["status"].ToString();
        if (status.Length > 0 && !DeviceStatus.All.Contains(status, StringComparer.Ordinal))
        {
            errors["status"] = ["status must be one of: received, registering, registered, failed."];
        }

        var pageSize = Paging.ReadPageSize(request, errors);

        string? after = null;
        var token = request.Query["continuationToken"].ToString();
        if (token.Length > 0 && (after = DeviceStore.DecodeToken(token)) is null)
        {
            errors["continuationToken"] = ["continuationToken is not one this API returned."];
        }

        if (errors.Count > 0)
        {
            return Problem.Validation(errors);
        }

        var page = await devices.ListBySchoolAsync(school.Uai, status.Length > 0 ? status : null, after, pageSize, cancellationToken);
        return new JsonBodyResult(page);
    }
}
