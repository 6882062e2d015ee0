using Microsoft.AspNetCore.Http;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.Inventory;
using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.DeviceAdmin;

/// <summary>
/// The HTTP answer to an administrator's action on a device: the record with its inventory, 400 naming the field, 409
/// with why not, or 404.
/// </summary>
public static class DeviceActionAnswer
{
    public static async Task<ApiResult> ToResultAsync(DeviceActionOutcome outcome, string routeSerial, InventoryStore inventory, int successStatus, CancellationToken cancellationToken) =>
        outcome switch
        {
            DeviceActionOutcome.Done done => ApiResult.Json(await inventory.WithInventoryAsync(DeviceRecord.From(done.Device), cancellationToken), successStatus),
            DeviceActionOutcome.Invalid invalid => Problem.Validation(invalid.Field, invalid.Message),
            DeviceActionOutcome.NotAllowed refused => Problem.Conflict(refused.Detail),
            _ => Problem.UnknownDevice(routeSerial),
        };

    /// <summary>The usual success of an action that puts a device in line: 202.</summary>
    public const int Accepted = StatusCodes.Status202Accepted;

    /// <summary>The success of an action done at once (a move): 200.</summary>
    public const int Done = StatusCodes.Status200OK;
}
