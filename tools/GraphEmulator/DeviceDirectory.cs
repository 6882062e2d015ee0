namespace Sarthe.GraphEmulator;

/// <summary>One Autopilot device of the tenant, with the moments that decide what Graph shows of it.</summary>
internal sealed class RegisteredDevice
{
    public required string Id { get; init; }

    public required string SerialNumber { get; init; }

    public string ProductKey { get; init; } = "";

    /// <summary>The group tag last set (at registration, or by updateDeviceProperties); Graph shows it from <see cref="GroupTagSince"/> on.</summary>
    public string GroupTag { get; set; } = "";

    /// <summary>The tag Graph shows until <see cref="GroupTagSince"/> (an update not applied yet).</summary>
    public string PreviousGroupTag { get; set; } = "";

    public DateTimeOffset GroupTagSince { get; set; } = DateTimeOffset.MinValue;

    public string AddressableUserName { get; set; } = "";

    public string UserPrincipalName { get; set; } = "";

    public string DisplayName { get; set; } = "";

    public string EnrollmentState { get; set; } = EnrollmentStates.NotContacted;

    /// <summary>From then on the tenant holds the device: a new import of its serial ends in 806.</summary>
    public DateTimeOffset RegisteredAt { get; init; }

    /// <summary>From then on Graph lists and serves it (the sync lag after registration).</summary>
    public DateTimeOffset ListedFrom { get; init; }

    /// <summary>Set by a DELETE: the device is gone, from the lists and from the tenant, at that moment.</summary>
    public DateTimeOffset? GoneAt { get; set; }

    /// <summary>Profile the device's group tag maps to, or null (notAssigned).</summary>
    public string? ProfileName { get; set; }

    /// <summary>When the mapped profile reads assignedInSync.</summary>
    public DateTimeOffset? ProfileAssignedAt { get; set; }

    /// <summary>The group tag Graph shows at <paramref name="moment"/>.</summary>
    public string GroupTagAt(DateTimeOffset moment) => moment < GroupTagSince ? PreviousGroupTag : GroupTag;

    public bool HeldAt(DateTimeOffset moment) => RegisteredAt <= moment && (GoneAt is null || moment < GoneAt);

    public bool ListedAt(DateTimeOffset moment) => ListedFrom <= moment && (GoneAt is null || moment < GoneAt);

    public (string Status, DateTimeOffset AssignedAt) ProfileAt(DateTimeOffset moment) =>
        ProfileName is null ? (ProfileStatus.NotAssigned, DateTimeOffset.MinValue)
        : moment < ProfileAssignedAt ? (ProfileStatus.Pending, DateTimeOffset.MinValue)
        : (ProfileStatus.AssignedInSync, ProfileAssignedAt!.Value);
}

/// <summary>What a DELETE of an Autopilot device came to.</summary>
internal enum DeletionResult
{
    Accepted,
    NotFound,
    Enrolled,
}

/// <summary>
/// The tenant's Windows Autopilot devices: registration, the sync lag before a device is listed, deletion that takes
/// effect after a lag, and profile assignment by group tag. Not thread-safe: <see cref="GraphEmulatorState"/> holds the lock.
/// Every question takes the moment it is asked about, so answers follow from timestamps, never from when work ran.
/// </summary>
internal sealed class DeviceDirectory(GraphEmulatorOptions options)
{
    private readonly OrderedDictionary<string, RegisteredDevice> _devices = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<RegisteredDevice>> _bySerial = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<RegisteredDevice> _deleting = [];

    public int Count => _devices.Count;

    public RegisteredDevice Register(string serialNumber, string productKey, string groupTag, DateTimeOffset registeredAt, DateTimeOffset listedFrom)
    {
        var device = new RegisteredDevice
        {
            Id = Guid.NewGuid().ToString(),
            SerialNumber = serialNumber,
            ProductKey = productKey,
            GroupTag = groupTag,
            RegisteredAt = registeredAt,
            ListedFrom = listedFrom,
        };
        // Profile assignment starts once the device is in Autopilot, i.e. when it shows (memdocs autopilot/profiles.md).
        AssignProfile(device, listedFrom);
        _devices[device.Id] = device;
        if (!_bySerial.TryGetValue(serialNumber, out var sameSerial))
        {
            sameSerial = [];
            _bySerial[serialNumber] = sameSerial;
        }

        sameSerial.Add(device);
        return device;
    }

    /// <summary>Is a device of this serial number registered in the tenant at <paramref name="moment"/> (806)?</summary>
    public bool HoldsSerial(string serialNumber, DateTimeOffset moment) =>
        _bySerial.TryGetValue(serialNumber, out var devices) && devices.Any(d => d.HeldAt(moment));

    /// <summary>The device as Graph serves it at <paramref name="moment"/>: null before the sync lag and after deletion.</summary>
    public RegisteredDevice? Listed(string id, DateTimeOffset moment) =>
        _devices.TryGetValue(id, out var device) && device.ListedAt(moment) ? device : null;

    /// <summary>Any device with this id or serial number, listed or not (state API).</summary>
    public RegisteredDevice? Find(string idOrSerial) =>
        _devices.GetValueOrDefault(idOrSerial)
        ?? _devices.Values.LastOrDefault(d => string.Equals(d.SerialNumber, idOrSerial, StringComparison.OrdinalIgnoreCase));

    public IReadOnlyList<RegisteredDevice> ListedAt(DateTimeOffset moment) => _devices.Values.Where(d => d.ListedAt(moment)).ToList();

    public IReadOnlyList<RegisteredDevice> All => _devices.Values.ToList();

    /// <summary>
    /// DELETE: refused for an enrolled device ("Windows Autopilot devices that aren't enrolled in Intune can be deleted",
    /// memdocs add-devices.md); otherwise the device stays listed and registered for the deletion lag ("The deletion
    /// process can take a few minutes to complete", same page).
    /// </summary>
    public DeletionResult RequestDeletion(string id, DateTimeOffset now)
    {
        if (Listed(id, now) is not { } device)
        {
            return DeletionResult.NotFound;
        }

        if (device.EnrollmentState == EnrollmentStates.Enrolled)
        {
            return DeletionResult.Enrolled;
        }

        if (device.GoneAt is null)
        {
            device.GoneAt = now + options.Scaled(options.DeletionLag);
            _deleting.Add(device);
        }

        return DeletionResult.Accepted;
    }

    /// <summary>
    /// updateDeviceProperties: only the properties sent change; a new group tag re-evaluates the profile. The action answers
    /// 204 with no body (Graph v1.0 intune-enrollment-windowsautopilotdeviceidentity-updatedeviceproperties), so a caller
    /// cannot see the change in the answer; Intune applies it to the Autopilot record later (the admin center's edit of a
    /// device's group tag is saved, then shows after the Autopilot service's sync: memdocs autopilot/add-devices.md, "Edit
    /// Autopilot device attributes" and "Sync"), modelled by <see cref="GraphEmulatorOptions.GroupTagUpdateLag"/>: until
    /// then GET and the list show the old tag. Nothing documents it as immediate, so the product reads the tag back.
    /// </summary>
    public void Update(RegisteredDevice device, UpdateDevicePropertiesBody body, DateTimeOffset now)
    {
        device.UserPrincipalName = body.UserPrincipalName ?? device.UserPrincipalName;
        device.AddressableUserName = body.AddressableUserName ?? device.AddressableUserName;
        device.DisplayName = body.DisplayName ?? device.DisplayName;
        if (body.GroupTag is { } groupTag && !string.Equals(groupTag, device.GroupTag, StringComparison.Ordinal))
        {
            device.PreviousGroupTag = device.GroupTagAt(now);
            device.GroupTag = groupTag;
            device.GroupTagSince = now + options.Scaled(options.GroupTagUpdateLag);
            AssignProfile(device, device.GroupTagSince);
        }
    }

    /// <summary>Drops devices whose deletion has taken effect, so long runs do not grow without bound.</summary>
    public void Forget(DateTimeOffset now)
    {
        foreach (var gone in _deleting.Where(d => d.GoneAt <= now).ToList())
        {
            _deleting.Remove(gone);
            _devices.Remove(gone.Id);
            _bySerial[gone.SerialNumber].Remove(gone);
        }
    }

    private void AssignProfile(RegisteredDevice device, DateTimeOffset from)
    {
        device.ProfileName = ProfileFor(device.GroupTag);
        device.ProfileAssignedAt = device.ProfileName is null ? null : from + options.Scaled(options.ProfileAssignmentDelay);
    }

    private string? ProfileFor(string groupTag)
    {
        // An exact entry wins over "*"; an empty profile name means "no profile" (so configuration can switch "*" off).
        var assignments = options.ProfileAssignments;
        var profile = assignments.FirstOrDefault(a => string.Equals(a.Key, groupTag, StringComparison.OrdinalIgnoreCase)).Value
                      ?? assignments.GetValueOrDefault("*");
        return string.IsNullOrEmpty(profile) ? null : profile;
    }
}
