using System.Text.Json;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Abstractions;
using Sarthe.Enrolment.Graph;

namespace Sarthe.TenantSetup;

/// <summary>What a run created, changed and found already right (in a dry run: what it would create or change).</summary>
public sealed record SetupOutcome(int Created, int Changed, int Unchanged);

/// <summary>
/// Brings the tenant to a <see cref="TenantPlan"/>, idempotently: each group is found by its display name and created, or
/// its rule set right; the profile is found by its display name and created, or its differing settings updated; each
/// missing assignment is added. Nothing is deleted. A dry run reads the same and writes nothing. Graph calls: v1.0
/// groups (group-list.md, group-post-groups.md, group-update.md), beta deployment profiles and assignments (v1.0 has none).
/// </summary>
public sealed class TenantSetupRunner(GraphServiceClient graph, GraphOptions graphOptions, TextWriter output)
{
    private const string ProfilesPath = "deviceManagement/windowsAutopilotDeploymentProfiles";

    private int _created;
    private int _changed;
    private int _unchanged;

    public async Task<SetupOutcome> RunAsync(TenantPlan plan, bool dryRun, CancellationToken cancellationToken)
    {
        (_created, _changed, _unchanged) = (0, 0, 0);
        var groupIds = new List<string?>();
        foreach (var group in plan.Groups)
        {
            groupIds.Add(await EnsureGroupAsync(group, dryRun, cancellationToken));
        }

        var profileId = await EnsureProfileAsync(plan.Profile, dryRun, cancellationToken);
        await EnsureAssignmentsAsync(plan, profileId, groupIds, dryRun, cancellationToken);
        var outcome = new SetupOutcome(_created, _changed, _unchanged);
        output.WriteLine(dryRun
            ? $"Dry run: would create {outcome.Created}, would change {outcome.Changed}, {outcome.Unchanged} already right. Nothing was written."
            : $"Done: {outcome.Created} created, {outcome.Changed} changed, {outcome.Unchanged} already right.");
        return outcome;
    }

    private async Task<string?> EnsureGroupAsync(GroupSpec spec, bool dryRun, CancellationToken cancellationToken)
    {
        var found = await graph.Groups.GetAsync(r =>
        {
            r.QueryParameters.Filter = $"displayName eq '{spec.DisplayName.Replace("'", "''", StringComparison.Ordinal)}'";
            r.QueryParameters.Select = ["id", "displayName", "groupTypes", "membershipRule", "membershipRuleProcessingState"];
        }, cancellationToken);
        var matches = found?.Value ?? [];
        if (matches.Count > 1)
        {
            throw new InvalidOperationException($"{matches.Count} groups are named \"{spec.DisplayName}\": rename or remove the extra ones, then run again.");
        }

        if (matches.Count == 0)
        {
            Say(dryRun, ref _created, $"create group \"{spec.DisplayName}\" with the rule {spec.MembershipRule}");
            if (dryRun)
            {
                return null;
            }

            var created = await graph.Groups.PostAsync(new Group
            {
                DisplayName = spec.DisplayName,
                Description = "Devices of the programme, by their Autopilot group tag (created by tools/TenantSetup).",
                MailEnabled = false,
                MailNickname = spec.MailNickname,
                SecurityEnabled = true,
                GroupTypes = ["DynamicMembership"],
                MembershipRule = spec.MembershipRule,
                MembershipRuleProcessingState = "On",
            }, cancellationToken: cancellationToken);
            return created?.Id ?? throw new InvalidOperationException($"Graph created group \"{spec.DisplayName}\" without an id.");
        }

        var group = matches[0];
        var differences = new List<string>();
        if (!string.Equals(group.MembershipRule, spec.MembershipRule, StringComparison.Ordinal))
        {
            differences.Add($"membershipRule {group.MembershipRule ?? "(none)"} -> {spec.MembershipRule}");
        }

        if (group.GroupTypes?.Contains("DynamicMembership", StringComparer.OrdinalIgnoreCase) != true)
        {
            differences.Add("groupTypes -> DynamicMembership");
        }

        if (!string.Equals(group.MembershipRuleProcessingState, "On", StringComparison.OrdinalIgnoreCase))
        {
            differences.Add($"membershipRuleProcessingState {group.MembershipRuleProcessingState ?? "(none)"} -> On");
        }

        if (differences.Count == 0)
        {
            Say(dryRun, ref _unchanged, $"group \"{spec.DisplayName}\" is right");
            return group.Id;
        }

        Say(dryRun, ref _changed, $"change group \"{spec.DisplayName}\": {string.Join("; ", differences)}");
        if (!dryRun)
        {
            var groupTypes = (group.GroupTypes ?? []).Union(["DynamicMembership"], StringComparer.OrdinalIgnoreCase).ToList();
            await graph.Groups[group.Id].PatchAsync(
                new Group { GroupTypes = groupTypes, MembershipRule = spec.MembershipRule, MembershipRuleProcessingState = "On" }, cancellationToken: cancellationToken);
        }

        return group.Id;
    }

    private async Task<string?> EnsureProfileAsync(ProfileSettings settings, bool dryRun, CancellationToken cancellationToken)
    {
        var wanted = settings.ToGraph();
        var profiles = await graph.ListJsonAsync(graphOptions.BetaUrl(ProfilesPath), cancellationToken);
        var matches = profiles.Where(p => string.Equals(p.Text("displayName"), settings.DisplayName, StringComparison.OrdinalIgnoreCase)).ToList();
        if (matches.Count > 1)
        {
            throw new InvalidOperationException($"{matches.Count} deployment profiles are named \"{settings.DisplayName}\": rename or remove the extra ones, then run again.");
        }

        if (matches.Count == 0)
        {
            Say(dryRun, ref _created, $"create deployment profile \"{settings.DisplayName}\" ({Describe(wanted)})");
            if (dryRun)
            {
                return null;
            }

            var created = await graph.SendJsonAsync(Method.POST, graphOptions.BetaUrl(ProfilesPath), wanted, cancellationToken);
            return created?.Text("id") ?? throw new InvalidOperationException($"Graph created profile \"{settings.DisplayName}\" without an id.");
        }

        var profile = matches[0];
        var id = profile.Text("id")!;
        var differences = Differences(wanted, profile, "").ToList();
        if (differences.Count == 0)
        {
            Say(dryRun, ref _unchanged, $"deployment profile \"{settings.DisplayName}\" is right");
            return id;
        }

        Say(dryRun, ref _changed, $"change deployment profile \"{settings.DisplayName}\": {string.Join("; ", differences)}");
        if (!dryRun)
        {
            await graph.SendJsonAsync(Method.PATCH, graphOptions.BetaUrl($"{ProfilesPath}/{Uri.EscapeDataString(id)}"), wanted, cancellationToken);
        }

        return id;
    }

    private async Task EnsureAssignmentsAsync(TenantPlan plan, string? profileId, IReadOnlyList<string?> groupIds, bool dryRun, CancellationToken cancellationToken)
    {
        var assigned = profileId is null
            ? new HashSet<string>()
            : (await graph.ListJsonAsync(graphOptions.BetaUrl($"{ProfilesPath}/{Uri.EscapeDataString(profileId)}/assignments"), cancellationToken))
                .Select(a => a.TryGetProperty("target", out var target) ? target.Text("groupId") : null)
                .OfType<string>()
                .ToHashSet(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < plan.Groups.Count; i++)
        {
            var name = plan.Groups[i].DisplayName;
            if (groupIds[i] is { } groupId && assigned.Contains(groupId))
            {
                Say(dryRun, ref _unchanged, $"profile \"{plan.Profile.DisplayName}\" is assigned to \"{name}\"");
                continue;
            }

            Say(dryRun, ref _created, $"assign profile \"{plan.Profile.DisplayName}\" to group \"{name}\"");
            if (!dryRun)
            {
                await graph.SendJsonAsync(Method.POST, graphOptions.BetaUrl($"{ProfilesPath}/{Uri.EscapeDataString(profileId!)}/assignments"), new Dictionary<string, object>
                {
                    ["@odata.type"] = "#microsoft.graph.windowsAutopilotDeploymentProfileAssignment",
                    ["target"] = new Dictionary<string, object> { ["@odata.type"] = "#microsoft.graph.groupAssignmentTarget", ["groupId"] = groupIds[i]! },
                }, cancellationToken);
            }
        }
    }

    /// <summary>Each wanted member whose value Graph holds differently, as "name 'had' -> 'wanted'" (nested members by path).</summary>
    private static IEnumerable<string> Differences(Dictionary<string, object> wanted, JsonElement actual, string path)
    {
        foreach (var (name, value) in wanted.Where(w => w.Key != "@odata.type"))
        {
            var has = actual.ValueKind == JsonValueKind.Object && actual.TryGetProperty(name, out var property) ? property : default;
            if (value is Dictionary<string, object> nested)
            {
                foreach (var difference in Differences(nested, has, $"{path}{name}."))
                {
                    yield return difference;
                }
            }
            else if (!Same(has, value))
            {
                yield return $"{path}{name} {(has.ValueKind == JsonValueKind.Undefined ? "(none)" : has.ToString())} -> {Text(value)}";
            }
        }
    }

    private static bool Same(JsonElement actual, object wanted) => wanted switch
    {
        bool b => actual.ValueKind == (b ? JsonValueKind.True : JsonValueKind.False),
        string s => actual.ValueKind == JsonValueKind.String && string.Equals(actual.GetString(), s, StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    private static string Text(object value) => value is bool b ? (b ? "true" : "false") : value.ToString() ?? "";

    private static string Describe(Dictionary<string, object> profile) =>
        string.Join(", ", profile.Where(p => p.Key != "@odata.type").Select(p => p.Value is Dictionary<string, object> nested
            ? $"{p.Key}: {{{string.Join(", ", nested.Select(n => $"{n.Key} {Text(n.Value)}"))}}}"
            : $"{p.Key} {Text(p.Value)}"));

    private void Say(bool dryRun, ref int count, string what)
    {
        count++;
        var unchanged = what.EndsWith(" is right", StringComparison.Ordinal) || what.Contains(" is assigned to ", StringComparison.Ordinal);
        output.WriteLine(unchanged ? $"  ok      {what}" : dryRun ? $"  would   {what}" : $"  done    {what}");
    }
}
