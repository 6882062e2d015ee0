using Microsoft.Extensions.Options;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Abstractions;
using Sarthe.Enrolment.Graph;
using Sarthe.Enrolment.Tenant;

namespace Sarthe.Enrolment.Tests.Graph;

/// <summary>
/// The emulator's tenant objects (groups, deployment profiles, their assignments) and its licence and permission answers,
/// driven by the product's <see cref="TenantReadinessClient"/> on the real SDK client, as the readiness check drives Graph.
/// </summary>
public sealed class TenantEmulatorTests : EmulatorHarness
{
    private TenantReadinessClient Client(bool readProfiles = true) =>
        new(Graph, Microsoft.Extensions.Options.Options.Create(new GraphOptions { BaseUrl = Emulator.GraphBaseUrl, ReadDeploymentProfiles = readProfiles }));

    [Fact]
    public async Task The_default_tenant_has_the_programme_profile_assigned_to_a_dynamic_group_of_every_Autopilot_device()
    {
        var profiles = await Client().ReadProfilesAsync(default);

        Assert.Equal(TenantAccess.Granted, profiles.Access);
        var profile = Assert.Single(profiles.Value!);
        Assert.Equal("Sarthe colleges", profile.DisplayName);
        var group = (await Client().ReadGroupAsync(Assert.Single(profile.GroupIds), default)).Value!;
        Assert.True(group.IsDynamic);
        Assert.False(group.IsPaused);
        Assert.True(GroupTagRule.Covers(group.MembershipRule, School));
    }

    [Fact]
    public async Task A_tag_mapped_to_a_profile_is_a_group_with_Microsofts_rule_for_that_tag()
    {
        Options.ProfileAssignments = new(StringComparer.OrdinalIgnoreCase) { ["0720001K"] = "Collège A" };
        await DisposeAndRestartAsync();

        var profile = Assert.Single((await Client().ReadProfilesAsync(default)).Value!);
        var group = (await Client().ReadGroupAsync(Assert.Single(profile.GroupIds), default)).Value!;

        Assert.Equal("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:0720001K\"))", group.MembershipRule);
        Assert.True(GroupTagRule.Covers(group.MembershipRule, "0720001K"));
        Assert.False(GroupTagRule.Covers(group.MembershipRule, "0721483W"));
    }

    [Fact]
    public async Task A_tenant_without_Intune_answers_403_naming_no_permission()
    {
        Options.IntuneLicensed = false;

        var probe = await Client().ProbeAsync(default);

        Assert.Equal(TenantAccess.NotLicensed, probe.Access);
        Assert.DoesNotContain("scopes", probe.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_missing_device_management_permission_is_a_403_that_names_the_scopes()
    {
        Options.ServiceConfigGranted = false;

        var probe = await Client().ProbeAsync(default);
        var profiles = await Client().ReadProfilesAsync(default);

        Assert.Equal(TenantAccess.PermissionMissing, probe.Access);
        Assert.Contains("DeviceManagementServiceConfig", probe.Detail, StringComparison.Ordinal);
        Assert.Equal(TenantAccess.PermissionMissing, profiles.Access);
    }

    [Fact]
    public async Task Without_Group_Read_All_a_group_read_is_Authorization_RequestDenied()
    {
        var groupId = State.Tenant.Groups[0].Id!;
        Options.GroupReadGranted = false;

        var group = await Client().ReadGroupAsync(groupId, default);

        Assert.Equal(TenantAccess.PermissionMissing, group.Access);
        Assert.Equal("Insufficient privileges to complete the operation.", group.Detail);
    }

    [Fact]
    public async Task A_group_that_does_not_exist_reads_as_gone_not_as_an_error()
    {
        var group = await Client().ReadGroupAsync(Guid.NewGuid().ToString(), default);

        Assert.Equal(TenantAccess.Granted, group.Access);
        Assert.Null(group.Value);
    }

    [Fact]
    public async Task With_profile_reading_off_no_profile_request_is_sent()
    {
        var before = State.Counters.Requests;

        var profiles = await Client(readProfiles: false).ReadProfilesAsync(default);

        Assert.Equal(TenantAccess.NotRead, profiles.Access);
        Assert.Equal(before, State.Counters.Requests);
    }

    [Fact]
    public async Task A_dynamic_group_created_through_the_v1_SDK_is_found_by_its_display_name_and_a_beta_profile_assigned_to_it_is_listed()
    {
        var created = await Graph.Groups.PostAsync(new Group
        {
            DisplayName = "Autopilot 0721483W",
            MailEnabled = false,
            MailNickname = "autopilot-0721483w",
            SecurityEnabled = true,
            GroupTypes = ["DynamicMembership"],
            MembershipRule = GroupTagRule.ForTag("0721483W"),
            MembershipRuleProcessingState = "On",
        });
        var found = await Graph.Groups.GetAsync(r => r.QueryParameters.Filter = "displayName eq 'autopilot 0721483W'");
        var profile = await Graph.SendJsonAsync(Method.POST, BetaUrl("deviceManagement/windowsAutopilotDeploymentProfiles"),
            new Dictionary<string, object> { ["@odata.type"] = "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", ["displayName"] = "Collège B" }, default);
        var profileId = profile!.Value.Text("id")!;
        await Graph.SendJsonAsync(Method.POST, BetaUrl($"deviceManagement/windowsAutopilotDeploymentProfiles/{profileId}/assignments"),
            new { target = new Dictionary<string, object> { ["@odata.type"] = "#microsoft.graph.groupAssignmentTarget", ["groupId"] = created!.Id! } }, default);

        Assert.Equal(created.Id, Assert.Single(found!.Value!).Id);
        var listed = (await Client().ReadProfilesAsync(default)).Value!.Single(p => p.Id == profileId);
        Assert.Equal([created.Id!], listed.GroupIds);
    }

    [Fact]
    public async Task A_dynamic_group_without_a_rule_and_an_assignment_to_an_unknown_group_are_refused()
    {
        var noRule = await SendAsync(HttpMethod.Post, "v1.0/groups", json: """{"displayName":"x","mailEnabled":false,"mailNickname":"x","securityEnabled":true,"groupTypes":["DynamicMembership"]}""");
        var profileId = State.Tenant.Profiles[0].Id;
        var unknownGroup = await SendAsync(HttpMethod.Post, $"beta/deviceManagement/windowsAutopilotDeploymentProfiles/{profileId}/assignments",
            json: $$$"""{"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"{{{Guid.NewGuid()}}}"}}""");

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, noRule.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, unknownGroup.StatusCode);
        Assert.Single(State.Tenant.AssignmentsOf(profileId!)!);
    }

    private string BetaUrl(string path) => new GraphOptions { BaseUrl = Emulator.GraphBaseUrl }.BetaUrl(path);

    private async Task DisposeAndRestartAsync()
    {
        await DisposeAsync();
        await InitializeAsync();
    }
}
