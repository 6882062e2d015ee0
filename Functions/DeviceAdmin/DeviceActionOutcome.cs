using Sarthe.Enrolment.Devices;
namespace Sarthe.Enrolment.DeviceAdmin;

/// <summary>What an administrator's action on a device came to; the device functions turn each into HTTP.</summary>
public abstract record DeviceActionOutcome
{
    public sealed record Done(Device Device) : DeviceActionOutcome;

    /// <summary>No device has that serial number.</summary>
    public sealed record NotFound : DeviceActionOutcome;

    /// <summary>The request names something invalid (<see cref="Field"/>): nothing was changed.</summary>
    public sealed record Invalid(string Field, string Message) : DeviceActionOutcome;

    /// <summary>The device's state does not allow the action; <see cref="Detail"/> says why.</summary>
    public sealed record NotAllowed(Device Device, string Detail) : DeviceActionOutcome;
}
