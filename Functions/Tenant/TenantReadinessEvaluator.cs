using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Graph;

namespace Sarthe.Enrolment.Tenant;

/// <summary>What Graph said of the tenant, as read by <see cref="TenantReadinessClient"/>.</summary>
/// <param name="Groups">Every group a profile is assigned to, by id (empty when the profiles were not read).</param>
/// <param name="ProfileStatusRead">Whether the devices' profile status is read at all (<see cref="GraphOptions.ReadProfileStatus"/>).</param>
public sealed record TenantFacts(
    TenantRead<bool> Probe,
    TenantRead<IReadOnlyList<DeploymentProfileFacts>> Profiles,
    IReadOnlyDictionary<string, TenantRead<GroupFacts?>> Groups,
    bool ProfileStatusRead);

/// <summary>
/// The readiness check's judgement, apart from Graph and storage: from the tenant's facts, the schools and the profile
/// status of each school's devices registered longer ago than the grace period but still without a profile.
/// </summary>
public static class TenantReadinessEvaluator
{
    private const string CheckByHand = "check by hand in the Intune admin center (Devices > Windows > Enrollment > Deployment profiles, then the profile's Assignments and each group's dynamic rule)";

    public static TenantReadinessReport Evaluate(
        TenantFacts facts, IEnumerable<string> schoolUais, IReadOnlyDictionary<string, IReadOnlyList<string>> staleProfileStatuses, TimeSpan grace, DateTimeOffset now)
    {
        var findings = new List<string>();
        var graph = GraphFindings(facts.Probe, findings);
        if (graph.Reachable && graph.Permission == true)
        {
            ProfileFindings(facts, findings);
        }

        var schools = schoolUais
            .Select(uai => School(uai, facts, staleProfileStatuses.TryGetValue(uai, out var stale) ? stale : [], grace))
            .ToList();
        return new TenantReadinessReport(now, graph, schools, findings);
    }

    private static GraphReadiness GraphFindings(TenantRead<bool> probe, List<string> findings)
    {
        switch (probe.Access)
        {
            case TenantAccess.Granted:
                return new GraphReadiness(true, true, true);
            case TenantAccess.PermissionMissing:
                findings.Add($"Graph refused the Autopilot device list: grant the app's identity DeviceManagementServiceConfig.ReadWrite.All (application) with admin consent. Graph said: {probe.Detail}");
                return new GraphReadiness(true, false, null);
            case TenantAccess.NotLicensed:
                findings.Add($"Graph answered 403 without naming a permission: the tenant most likely has no active Intune licence (\"The Microsoft Graph API for Intune requires an active Intune license for the tenant\"). Check Microsoft 365 admin center > Billing > Licenses. Graph said: {probe.Detail}");
                return new GraphReadiness(true, null, false);
            default:
                findings.Add($"Graph could not be reached: {probe.Detail}. Check Graph:BaseUrl, the app's identity and the network, then call this route again.");
                return new GraphReadiness(false, null, null);
        }
    }

    private static void ProfileFindings(TenantFacts facts, List<string> findings)
    {
        switch (facts.Profiles.Access)
        {
            case TenantAccess.Granted when facts.Profiles.Value!.Count == 0:
                findings.Add("No Autopilot deployment profile exists: every device will register and never get one. Create it with tools/TenantSetup (docs/operations.md).");
                break;
            case TenantAccess.Granted:
                break;
            case TenantAccess.NotRead:
                findings.Add($"Deployment profiles are not read (Graph:ReadDeploymentProfiles is off): {CheckByHand}.");
                break;
            default:
                findings.Add($"Deployment profiles could not be read ({facts.Profiles.Detail}): {CheckByHand}.");
                break;
        }

        if (facts.Groups.Values.FirstOrDefault(g => g.Access == TenantAccess.PermissionMissing) is { } denied)
        {
            findings.Add($"Group rules are not readable (the optional Group.Read.All permission is not granted: {denied.Detail}): for each school, check by hand that a group the profile is assigned to has a dynamic rule on its tag, e.g. {GroupTagRule.ForTag("0720001K")}.");
        }

        if (!facts.ProfileStatusRead)
        {
            findings.Add("Devices' profile status is not read (Graph:ReadProfileStatus is off): devices without a profile cannot be counted.");
        }
    }

    private static SchoolReadiness School(string uai, TenantFacts facts, IReadOnlyList<string> staleStatuses, TimeSpan grace)
    {
        var findings = new List<string>();
        var (assigned, profileName, covers) = Coverage(uai, facts, findings);
        if (staleStatuses.Count > 0)
        {
            findings.Add($"{staleStatuses.Count} device(s) registered more than {grace:g} ago have no deployment profile. Likely cause: {LikelyCause(assigned, covers, staleStatuses)}");
        }

        return new SchoolReadiness(uai, assigned, profileName, covers, staleStatuses.Count, findings);
    }

    /// <summary>Whether a profile reaches the school's tag through one of its assigned groups: true, false or null (unknown).</summary>
    private static (bool? Assigned, string? ProfileName, bool? Covers) Coverage(string uai, TenantFacts facts, List<string> findings)
    {
        if (facts.Probe.Access != TenantAccess.Granted || facts.Profiles.Access != TenantAccess.Granted)
        {
            return (null, null, null);
        }

        var assignments = facts.Profiles.Value!.SelectMany(p => p.GroupIds.Select(g => (Profile: p, GroupId: g))).ToList();
        if (assignments.Count == 0)
        {
            findings.Add("No deployment profile is assigned to any group: run tools/TenantSetup (docs/operations.md).");
            return (false, null, false);
        }

        var unknown = new List<(DeploymentProfileFacts Profile, string Group)>();
        var notCovering = new List<string>();
        foreach (var (profile, groupId) in assignments)
        {
            var read = facts.Groups.TryGetValue(groupId, out var r) ? r : new TenantRead<GroupFacts?>(TenantAccess.NotRead, null);
            if (read.Access != TenantAccess.Granted)
            {
                unknown.Add((profile, groupId));
                continue;
            }

            if (read.Value is not { } group)
            {
                notCovering.Add($"profile \"{profile.DisplayName}\" is assigned to group {groupId}, which no longer exists");
                continue;
            }

            var covers = group.IsDynamic ? GroupTagRule.Covers(group.MembershipRule, uai) : null;
            if (covers == true && !group.IsPaused)
            {
                return (true, profile.DisplayName, true);
            }

            if (covers == true)
            {
                notCovering.Add($"group \"{group.DisplayName}\" covers the tag but its rule processing is paused (membershipRuleProcessingState Paused): new devices do not join it");
            }
            else if (covers == false)
            {
                notCovering.Add($"group \"{group.DisplayName}\" (profile \"{profile.DisplayName}\") has the rule {group.MembershipRule}, which does not cover [OrderID]:{uai}");
            }
            else
            {
                unknown.Add((profile, group.DisplayName));
            }
        }

        if (unknown.Count > 0)
        {
            findings.Add($"Could not tell whether group(s) {string.Join(", ", unknown.Select(u => $"\"{u.Group}\" (profile \"{u.Profile.DisplayName}\")"))} include devices tagged {uai}: check by hand that the group is dynamic with a rule such as {GroupTagRule.ForTag(uai)}.");
            return (null, unknown[0].Profile.DisplayName, null);
        }

        findings.Add($"No deployment profile reaches devices tagged {uai}: {string.Join("; ", notCovering)}. Run tools/TenantSetup, or add the school's tag to a group's rule.");
        return (false, null, false);
    }

    private static string LikelyCause(bool? assigned, bool? covers, IReadOnlyList<string> statuses)
    {
        if (statuses.Any(s => s == DeploymentProfileStatus.Failed))
        {
            return "Intune reports the assignment failed: look at the device in Intune (Windows Autopilot devices, Profile status).";
        }

        return (assigned, covers) switch
        {
            (false, _) or (_, false) => "no profile is assigned to a group whose rule covers the school's tag (see above).",
            (null, _) or (_, null) => "whether a profile reaches the tag could not be checked (see above).",
            _ when statuses.All(s => s == DeploymentProfileStatus.Unknown) => "the profile status is not read or Intune has not reported it yet.",
            _ => "the profile reaches the tag, yet Intune has not assigned it: check the devices' group tag in Autopilot and the group's membership processing, then wait for Intune's sync.",
        };
    }
}
