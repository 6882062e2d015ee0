using Sarthe.Enrolment.Graph;
using Sarthe.Enrolment.Tenant;
using Sarthe.Enrolment.Tests.Graph;
using Sarthe.TenantSetup;

namespace Sarthe.Enrolment.Tests.Tools;

/// <summary>
/// tools/TenantSetup against the Graph emulator, through the real SDK client: an empty tenant gets its groups, the
/// profile and the assignments; a second run writes nothing; a dry run writes nothing and says what it would do; a
/// drifted rule or setting is put back. The readiness check then finds the tenant ready.
/// </summary>
public sealed class TenantSetupTests : EmulatorHarness
{
    private static readonly ProfileSettings Profile = new("Sarthe colleges", "test", "fr-FR", "CLG-%SERIAL%", "standard", "singleUser", true, true, true, true);

    public override async Task InitializeAsync()
    {
        // An empty tenant: no profile, no group.
        Options.ProfileAssignments = new(StringComparer.OrdinalIgnoreCase);
        await base.InitializeAsync();
    }

    private GraphOptions GraphOptions => new() { BaseUrl = Emulator.GraphBaseUrl };

    private async Task<(SetupOutcome Outcome, string Output, long Writes)> RunAsync(TenantPlan plan, bool dryRun = false)
    {
        var before = State.Counters.Writes;
        using var output = new StringWriter();
        var outcome = await new TenantSetupRunner(Graph, GraphOptions, output).RunAsync(plan, dryRun, default);
        return (outcome, output.ToString(), State.Counters.Writes - before);
    }

    [Fact]
    public async Task Per_school_groups_and_the_profile_are_created_once_and_a_second_run_changes_nothing()
    {
        var plan = TenantPlan.For(GroupLayout.PerSchool, ["0721483W", "0720001K"], "072", "Autopilot", Profile);

        var first = await RunAsync(plan);
        var second = await RunAsync(plan);

        Assert.Equal(new SetupOutcome(5, 0, 0), first.Outcome); // 2 groups, 1 profile, 2 assignments
        Assert.Equal(5, first.Writes);
        Assert.Equal(new SetupOutcome(0, 0, 5), second.Outcome);
        Assert.Equal(0, second.Writes);
        Assert.Equal(["Autopilot 0720001K", "Autopilot 0721483W"], State.Tenant.Groups.Select(g => g.DisplayName!).Order(StringComparer.Ordinal));
        var group = State.Tenant.Groups.Single(g => g.DisplayName == "Autopilot 0721483W");
        Assert.Equal(GroupTagRule.ForTag("0721483W"), group.MembershipRule);
        Assert.Equal(["DynamicMembership"], group.GroupTypes);
        Assert.Equal("On", group.MembershipRuleProcessingState);
        var profile = Assert.Single(State.Tenant.Profiles);
        Assert.Equal(("#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "fr-FR", "CLG-%SERIAL%"), (profile.ODataType, profile.Language, profile.DeviceNameTemplate));
        Assert.Equal(("standard", true, true), (profile.OutOfBoxExperienceSettings!.UserType, profile.OutOfBoxExperienceSettings.HidePrivacySettings, profile.OutOfBoxExperienceSettings.HideEULA));
        Assert.Equal(2, State.Tenant.AssignmentsOf(profile.Id!)!.Count);
        Assert.Contains("ok      group \"Autopilot 0720001K\" is right", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dry_run_writes_nothing_and_says_what_it_would_create()
    {
        var plan = TenantPlan.For(GroupLayout.Programme, [], "072", "Sarthe colleges Autopilot", Profile);

        var dry = await RunAsync(plan, dryRun: true);

        Assert.Equal(0, dry.Writes);
        Assert.Empty(State.Tenant.Groups);
        Assert.Empty(State.Tenant.Profiles);
        Assert.Equal(new SetupOutcome(3, 0, 0), dry.Outcome);
        Assert.Contains($"would   create group \"Sarthe colleges Autopilot\" with the rule {GroupTagRule.ForTagPrefix("072")}", dry.Output, StringComparison.Ordinal);
        Assert.Contains("would   assign profile \"Sarthe colleges\" to group \"Sarthe colleges Autopilot\"", dry.Output, StringComparison.Ordinal);
        Assert.Contains("Nothing was written.", dry.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_drifted_rule_and_a_drifted_setting_are_put_back_and_a_dry_run_names_them_first()
    {
        var plan = TenantPlan.For(GroupLayout.Programme, [], "072", "Sarthe colleges Autopilot", Profile);
        await RunAsync(plan);
        var group = State.Tenant.Groups[0];
        State.Tenant.UpdateGroup(group.Id!, new Sarthe.GraphEmulator.GroupResource { MembershipRule = GroupTagRule.ForTag("0720001K"), MembershipRuleProcessingState = "Paused" });
        State.Tenant.UpdateProfile(State.Tenant.Profiles[0].Id!, new Sarthe.GraphEmulator.DeploymentProfileResource { Language = "en-US" });

        var dry = await RunAsync(plan, dryRun: true);
        var fix = await RunAsync(plan);

        Assert.Equal(0, dry.Writes);
        Assert.Contains("membershipRuleProcessingState Paused -> On", dry.Output, StringComparison.Ordinal);
        Assert.Contains("language en-US -> fr-FR", dry.Output, StringComparison.Ordinal);
        Assert.Equal(new SetupOutcome(0, 2, 1), fix.Outcome);
        Assert.Equal(GroupTagRule.ForTagPrefix("072"), State.Tenant.Groups[0].MembershipRule);
        Assert.Equal("On", State.Tenant.Groups[0].MembershipRuleProcessingState);
        Assert.Equal("fr-FR", State.Tenant.Profiles[0].Language);
    }

    [Fact]
    public async Task After_setup_the_readiness_check_finds_the_programme_group_covering_every_school()
    {
        await RunAsync(TenantPlan.For(GroupLayout.Programme, [], "072", "Sarthe colleges Autopilot", Profile));
        var client = new TenantReadinessClient(Graph, Microsoft.Extensions.Options.Options.Create(GraphOptions));

        var profile = Assert.Single((await client.ReadProfilesAsync(default)).Value!);
        var group = (await client.ReadGroupAsync(Assert.Single(profile.GroupIds), default)).Value!;

        Assert.True(GroupTagRule.Covers(group.MembershipRule, "0720001K"));
        Assert.True(GroupTagRule.Covers(group.MembershipRule, "0721483W"));
    }

    [Fact]
    public async Task The_tool_runs_against_the_emulator_as_an_operator_would_and_exits_0()
    {
        var (exitCode, output, error) = await ToolProcess.RunWithoutNodeAsync("TenantSetup",
            "--credential", "emulator", "--graph-url", Emulator.GraphBaseUrl, "--groups", "per-school", "--schools", "0720001K", "--dry-run");

        Assert.True(exitCode == 0, error);
        Assert.Contains("would   create group \"Sarthe colleges Autopilot 0720001K\"", output, StringComparison.Ordinal);
        Assert.Empty(State.Tenant.Groups);
    }

    [Fact]
    public async Task Without_the_rights_the_tool_says_what_the_operator_needs_and_exits_1()
    {
        Options.GroupReadGranted = false;

        var (exitCode, _, error) = await ToolProcess.RunWithoutNodeAsync("TenantSetup", "--credential", "emulator", "--graph-url", Emulator.GraphBaseUrl);

        Assert.Equal(1, exitCode);
        Assert.Contains("Authorization_RequestDenied", error, StringComparison.Ordinal);
        Assert.Contains("Groups Administrator", error, StringComparison.Ordinal);
    }
}
