using System.Net.Http;
using Microsoft.Extensions.Options;
using Microsoft.Graph;
using Microsoft.Graph.Models.ODataErrors;

namespace Sarthe.Enrolment.Graph;

/// <summary>
/// The Graph reads of the tenant readiness check, on the same registered client as <see cref="AutopilotClient"/>:
/// a v1.0 probe of the Autopilot device list (the product's own permission), the deployment profiles and their
/// assignments (Graph beta, intune-enrollment-windowsautopilotdeploymentprofile-list.md and
/// …-windowsautopilotdeploymentprofileassignment-list.md: v1.0 has no profile collection), and a group's rule (v1.0
/// group-get.md, optional Group.Read.All). Nothing here writes.
/// </summary>
public sealed class TenantReadinessClient(GraphServiceClient graph, IOptions<GraphOptions> options)
{
    private const string ProfilesPath = "deviceManagement/windowsAutopilotDeploymentProfiles";
    private const string GroupAssignmentTarget = "#microsoft.graph.groupAssignmentTarget";

    /// <summary>One page of one device: Graph answers, and the product's permission and Intune's licence hold.</summary>
    public async Task<TenantRead<bool>> ProbeAsync(CancellationToken cancellationToken) =>
        await ReadAsync(async ct =>
        {
            await graph.DeviceManagement.WindowsAutopilotDeviceIdentities.GetAsync(r => r.QueryParameters.Top = 1, ct);
            return true;
        }, cancellationToken);

    /// <summary>Every deployment profile with the groups it is assigned to, or why they could not be read.</summary>
    public async Task<TenantRead<IReadOnlyList<DeploymentProfileFacts>>> ReadProfilesAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.ReadDeploymentProfiles)
        {
            return new(TenantAccess.NotRead, null);
        }

        return await ReadAsync<IReadOnlyList<DeploymentProfileFacts>>(async ct =>
        {
            var profiles = new List<DeploymentProfileFacts>();
            foreach (var profile in await graph.ListJsonAsync(options.Value.BetaUrl(ProfilesPath), ct))
            {
                var id = profile.Text("id") ?? "";
                var assignments = await graph.ListJsonAsync(options.Value.BetaUrl($"{ProfilesPath}/{Uri.EscapeDataString(id)}/assignments"), ct);
                var groups = assignments
                    .Select(a => a.TryGetProperty("target", out var target) ? target : default)
                    .Where(t => string.Equals(t.Text("@odata.type"), GroupAssignmentTarget, StringComparison.OrdinalIgnoreCase) && t.Text("groupId") is not null)
                    .Select(t => t.Text("groupId")!)
                    .ToList();
                profiles.Add(new DeploymentProfileFacts(id, profile.Text("displayName") ?? id, groups));
            }

            return profiles;
        }, cancellationToken);
    }

    /// <summary>A group's type and rule; a Value of null when the group no longer exists.</summary>
    public async Task<TenantRead<GroupFacts?>> ReadGroupAsync(string groupId, CancellationToken cancellationToken) =>
        await ReadAsync<GroupFacts?>(async ct =>
        {
            try
            {
                var group = await graph.Groups[groupId].GetAsync(
                    r => r.QueryParameters.Select = ["id", "displayName", "groupTypes", "membershipRule", "membershipRuleProcessingState"], ct);
                return group is null
                    ? null
                    : new GroupFacts(group.Id ?? groupId, group.DisplayName ?? groupId,
                        group.GroupTypes?.Contains("DynamicMembership", StringComparer.OrdinalIgnoreCase) == true, group.MembershipRule, group.MembershipRuleProcessingState);
            }
            catch (ODataError ex) when (ex.ResponseStatusCode == 404)
            {
                return null;
            }
        }, cancellationToken);

    private static async Task<TenantRead<T>> ReadAsync<T>(Func<CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            return TenantRead<T>.Read(await read(cancellationToken));
        }
        catch (ODataError ex) when (ex.ResponseStatusCode == 403)
        {
            return new(NamesAPermission(ex) ? TenantAccess.PermissionMissing : TenantAccess.NotLicensed, default, FirstLine(ex.Error?.Message ?? ex.Message));
        }
        catch (ODataError ex)
        {
            return new(TenantAccess.Unreachable, default, $"Graph answered {ex.ResponseStatusCode} {ex.Error?.Code}: {FirstLine(ex.Error?.Message ?? ex.Message)}");
        }
        catch (HttpRequestException ex)
        {
            return new(TenantAccess.Unreachable, default, FirstLine(ex.Message));
        }
        catch (Azure.Identity.AuthenticationFailedException ex)
        {
            return new(TenantAccess.Unreachable, default, FirstLine(ex.Message));
        }
    }

    /// <summary>
    /// Intune names the scopes it wanted ("Application must have one of the following scopes: …", dotraphael/RFL.Microsoft.Intune #1);
    /// Entra answers Authorization_RequestDenied (docs-contrib #6748). A tenant without Intune gets a 403 that names neither.
    /// </summary>
    private static bool NamesAPermission(ODataError error) =>
        string.Equals(error.Error?.Code, "Authorization_RequestDenied", StringComparison.OrdinalIgnoreCase)
        || (error.Error?.Message ?? "").Contains("scopes", StringComparison.OrdinalIgnoreCase);

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();
}
