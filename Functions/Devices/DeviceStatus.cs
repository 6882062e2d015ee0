namespace Sarthe.Enrolment.Devices;

/// <summary>Where a device is in its life: see <see cref="Device"/> for the transitions between them.</summary>
public enum DeviceStatus
{
    /// <summary>Enrolled; waiting to be put in an Autopilot import.</summary>
    Received,

    /// <summary>In an Autopilot import that has not settled yet.</summary>
    Registering,

    /// <summary>Registered in Autopilot (settled).</summary>
    Registered,

    /// <summary>Registration failed with a reason (settled; an administrator can retry).</summary>
    Failed,

    /// <summary>Not in the purchase inventory and held by the unknown-device policy: nothing is sent to Graph until an administrator approves.</summary>
    Held,

    /// <summary>Removed from Autopilot by an administrator; the row and its history stay, the serial is free again.</summary>
    Deregistered,
}

/// <summary>The names statuses have on the wire and in storage (camelCase, as the contract writes them).</summary>
public static class DeviceStatusNames
{
    public static readonly IReadOnlyList<DeviceStatus> All = Enum.GetValues<DeviceStatus>();

    public static string ToName(this DeviceStatus status) => status switch
    {
        DeviceStatus.Received => "received",
        DeviceStatus.Registering => "registering",
        DeviceStatus.Registered => "registered",
        DeviceStatus.Failed => "failed",
        DeviceStatus.Held => "held",
        DeviceStatus.Deregistered => "deregistered",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>The status a stored or requested name stands for, or null.</summary>
    public static DeviceStatus? Parse(string? name) => All.Cast<DeviceStatus?>().FirstOrDefault(s => s!.Value.ToName() == name);

    /// <summary>"one of: received, registering, ...", for validation messages.</summary>
    public static string List => string.Join(", ", All.Select(s => s.ToName()));
}
