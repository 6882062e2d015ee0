namespace Sarthe.Enrolment.Devices;

/// <summary>What a device row records of its life after registration: moves between schools and deregistration.</summary>
public sealed partial class DeviceEntity
{
    /// <summary><see cref="Devices.SchoolHistory"/> as text; empty for a device that never moved.</summary>
    public string SchoolHistory { get; set; } = "";

    /// <summary>Set on the row a move leaves: the school whose partition the device is being copied to (see <see cref="DeviceStore"/>).</summary>
    public string? MovingTo { get; set; }

    /// <summary>The group tag Autopilot should have and may not have yet (a move); cleared once Autopilot shows it.</summary>
    public string? GroupTagWanted { get; set; }

    /// <summary>When updateDeviceProperties was last sent for <see cref="GroupTagWanted"/>.</summary>
    public DateTimeOffset? GroupTagRequestedAt { get; set; }

    /// <summary>The group tag Autopilot showed when the device was found registered under another one (a reseller's, an earlier owner's), until the school's replaces it.</summary>
    public string? GroupTagFound { get; set; }

    public DateTimeOffset? DeregistrationRequestedAt { get; set; }

    /// <summary>The administrator who asked for the deregistration (Entra object id).</summary>
    public string? DeregistrationRequestedBy { get; set; }

    /// <summary>When the removal from Autopilot was last sent (Intune takes a few minutes to carry it out).</summary>
    public DateTimeOffset? AutopilotRemovalSentAt { get; set; }

    public DateTimeOffset? DeregisteredAt { get; set; }

    /// <summary>A copy of every property (a move writes it under another partition, a deregistration archives it).</summary>
    internal DeviceEntity Copy() => (DeviceEntity)MemberwiseClone();
}
