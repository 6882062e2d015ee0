using System.Text.Json;

namespace Sarthe.GraphEmulator;

/// <summary>
/// The tenant objects around Autopilot: Microsoft Entra groups (dynamic rules included), Autopilot deployment profiles and
/// their assignments to groups. Seeded from <see cref="GraphEmulatorOptions.ProfileAssignments"/> so that the objects
/// and the device assignments the emulator answers tell one story: for each tag → profile entry, a profile of that name
/// assigned to a dynamic group whose rule is Microsoft's for that tag (<c>"*"</c>: every Autopilot device, [ZTDId]).
/// Objects created later through Graph are kept and listed; they do not re-drive the devices' assignment (README).
/// </summary>
public sealed class TenantDirectory
{
    private readonly object _gate = new();
    private readonly List<GroupResource> _groups = [];
    private readonly List<DeploymentProfileResource> _profiles = [];
    private readonly Dictionary<string, List<ProfileAssignmentResource>> _assignments = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _time;

    public TenantDirectory(GraphEmulatorOptions options, TimeProvider time)
    {
        _time = time;
        foreach (var (tag, profileName) in options.ProfileAssignments.Where(p => p.Value.Length > 0).GroupBy(p => p.Value).Select(g => (g.Select(p => p.Key).ToList(), g.Key)))
        {
            var profile = CreateProfile(new DeploymentProfileResource { DisplayName = profileName, Language = "fr-FR", DeviceType = "windowsPc", DeviceNameTemplate = "CLG-%SERIAL%" });
            foreach (var t in tag)
            {
                var group = CreateGroup(new GroupResource
                {
                    DisplayName = t == "*" ? "Autopilot devices" : $"Autopilot {t}",
                    GroupTypes = ["DynamicMembership"],
                    MailEnabled = false,
                    SecurityEnabled = true,
                    MailNickname = t == "*" ? "autopilot-devices" : $"autopilot-{t.ToLowerInvariant()}",
                    // memdocs autopilot/enrollment-autopilot.md ("Create an Autopilot device group"): every Autopilot device,
                    // or the devices of one group tag (Intune's group tag is the device's [OrderID]).
                    MembershipRule = t == "*"
                        ? "(device.devicePhysicalIDs -any (_ -startsWith \"[ZTDid]\"))"
                        : $"(device.devicePhysicalIds -any (_ -eq \"[OrderID]:{t}\"))",
                    MembershipRuleProcessingState = "On",
                });
                Assign(profile.Id!, new ProfileAssignmentResource { Target = new AssignmentTargetResource { GroupId = group.Id } });
            }
        }
    }

    private DateTimeOffset Now => _time.GetUtcNow();

    public IReadOnlyList<GroupResource> Groups
    {
        get
        {
            lock (_gate)
            {
                return _groups.Select(Copy).ToList();
            }
        }
    }

    public IReadOnlyList<DeploymentProfileResource> Profiles
    {
        get
        {
            lock (_gate)
            {
                return _profiles.Select(Copy).ToList();
            }
        }
    }

    public GroupResource? Group(string id)
    {
        lock (_gate)
        {
            return _groups.Find(g => string.Equals(g.Id, id, StringComparison.OrdinalIgnoreCase)) is { } group ? Copy(group) : null;
        }
    }

    public DeploymentProfileResource? Profile(string id)
    {
        lock (_gate)
        {
            return _profiles.Find(p => string.Equals(p.Id, id, StringComparison.OrdinalIgnoreCase)) is { } profile ? Copy(profile) : null;
        }
    }

    /// <summary>The profile's assignments, or null when there is no such profile.</summary>
    public IReadOnlyList<ProfileAssignmentResource>? AssignmentsOf(string profileId)
    {
        lock (_gate)
        {
            return _assignments.TryGetValue(profileId, out var list) ? list.Select(Copy).ToList() : null;
        }
    }

    public GroupResource CreateGroup(GroupResource group)
    {
        lock (_gate)
        {
            var created = Copy(group);
            created.Id = Guid.NewGuid().ToString();
            created.CreatedDateTime = Now;
            created.GroupTypes ??= [];
            _groups.Add(created);
            return Copy(created);
        }
    }

    /// <summary>Changes the properties sent (PATCH); false when there is no such group.</summary>
    public bool UpdateGroup(string id, GroupResource change)
    {
        lock (_gate)
        {
            if (_groups.Find(g => string.Equals(g.Id, id, StringComparison.OrdinalIgnoreCase)) is not { } group)
            {
                return false;
            }

            group.DisplayName = change.DisplayName ?? group.DisplayName;
            group.Description = change.Description ?? group.Description;
            group.GroupTypes = change.GroupTypes ?? group.GroupTypes;
            group.MembershipRule = change.MembershipRule ?? group.MembershipRule;
            group.MembershipRuleProcessingState = change.MembershipRuleProcessingState ?? group.MembershipRuleProcessingState;
            return true;
        }
    }

    public DeploymentProfileResource CreateProfile(DeploymentProfileResource profile)
    {
        lock (_gate)
        {
            var created = Copy(profile);
            created.Id = Guid.NewGuid().ToString();
            created.CreatedDateTime = created.LastModifiedDateTime = Now;
            _profiles.Add(created);
            _assignments[created.Id] = [];
            return Copy(created);
        }
    }

    /// <summary>Changes the properties sent (PATCH) and returns the profile, or null when there is no such profile.</summary>
    public DeploymentProfileResource? UpdateProfile(string id, DeploymentProfileResource change)
    {
        lock (_gate)
        {
            if (_profiles.Find(p => string.Equals(p.Id, id, StringComparison.OrdinalIgnoreCase)) is not { } profile)
            {
                return null;
            }

            profile.DisplayName = change.DisplayName ?? profile.DisplayName;
            profile.Description = change.Description ?? profile.Description;
            profile.Language = change.Language ?? profile.Language;
            profile.OutOfBoxExperienceSettings = change.OutOfBoxExperienceSettings ?? profile.OutOfBoxExperienceSettings;
            profile.ExtractHardwareHash = change.ExtractHardwareHash ?? profile.ExtractHardwareHash;
            profile.DeviceNameTemplate = change.DeviceNameTemplate ?? profile.DeviceNameTemplate;
            profile.DeviceType = change.DeviceType ?? profile.DeviceType;
            profile.EnableWhiteGlove = change.EnableWhiteGlove ?? profile.EnableWhiteGlove;
            profile.LastModifiedDateTime = Now;
            return Copy(profile);
        }
    }

    /// <summary>Adds an assignment to the profile; null when there is no such profile.</summary>
    public ProfileAssignmentResource? Assign(string profileId, ProfileAssignmentResource assignment)
    {
        lock (_gate)
        {
            if (!_assignments.TryGetValue(profileId, out var list))
            {
                return null;
            }

            var created = Copy(assignment);
            created.Id = $"{profileId}_{created.Target?.GroupId}";
            list.Add(created);
            return Copy(created);
        }
    }

    // Callers get copies: a test or a route that changes what it was given never changes the tenant.
    private static T Copy<T>(T value) => JsonSerializer.Deserialize<T>(JsonSerializer.SerializeToUtf8Bytes(value, GraphJson.Options), GraphJson.Options)!;
}
