using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Graph;
using Sarthe.Enrolment.Tenant;

namespace Sarthe.Enrolment.Tests.Unit;

/// <summary>The group-tag rules and the readiness judgement, apart from Graph and storage.</summary>
public sealed class TenantReadinessTests
{
    private static readonly DateTimeOffset Now = new(2026, 9, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly TenantRead<bool> Reachable = TenantRead<bool>.Read(true);

    [Theory]
    [InlineData("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:0720001K\"))", "0720001K", true)]
    [InlineData("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:0720001k\"))", "0720001K", true)]
    [InlineData("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:0720001K\"))", "0721483W", false)]
    [InlineData("(device.devicePhysicalIds -any _ -eq \"[OrderID]:0720001K\")", "0720001K", true)]
    [InlineData("(device.devicePhysicalIds -any (_ -startsWith \"[OrderID]:072\"))", "0721483W", true)]
    [InlineData("(device.devicePhysicalIds -any (_ -startsWith \"[OrderID]:073\"))", "0721483W", false)]
    [InlineData("(device.devicePhysicalIDs -any (_ -startsWith \"[ZTDid]\"))", "0721483W", true)]
    [InlineData("(device.devicePhysicalIDs -any (_ -contains \"[ZTDId]\"))", "0721483W", true)]
    [InlineData("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:0720001K\")) -or (device.devicePhysicalIds -any (_ -eq \"[OrderID]:0721483W\"))", "0721483W", true)]
    [InlineData("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:0720001K\")) or (device.devicePhysicalIds -any (_ -eq \"[OrderID]:0721483W\"))", "0720002L", false)]
    public void A_rule_on_devicePhysicalIds_says_whether_it_covers_a_tag(string rule, string tag, bool covers) =>
        Assert.Equal(covers, GroupTagRule.Covers(rule, tag));

    [Theory]
    [InlineData("(device.deviceOSType -eq \"Windows\")")]
    [InlineData("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:0720001K\")) -and (device.accountEnabled -eq true)")]
    [InlineData("(device.devicePhysicalIds -any (_ -match \"^\\[OrderID\\]:072\"))")]
    [InlineData("")]
    public void A_rule_the_check_cannot_read_is_left_to_a_person(string rule) =>
        Assert.Null(GroupTagRule.Covers(rule, "0720001K"));

    [Fact]
    public void The_rules_written_for_a_school_and_for_the_programme_cover_what_they_say()
    {
        Assert.True(GroupTagRule.Covers(GroupTagRule.ForTag("0720001K"), "0720001K"));
        Assert.False(GroupTagRule.Covers(GroupTagRule.ForTag("0720001K"), "0721483W"));
        Assert.True(GroupTagRule.Covers(GroupTagRule.ForTagPrefix("072"), "0721483W"));
    }

    [Fact]
    public void A_profile_assigned_to_a_group_whose_rule_covers_the_tag_makes_the_school_ready()
    {
        var report = Evaluate(Profiles(("p1", "Sarthe colleges", ["g1"])), Groups(("g1", GroupTagRule.ForTagPrefix("072"), "On")));

        var school = Assert.Single(report.Schools);
        Assert.True(report.IsReady);
        Assert.Equal((true, "Sarthe colleges", true), (school.ProfileAssigned, school.ProfileName, school.GroupRuleCovers));
        Assert.Empty(school.Findings);
        Assert.Empty(report.Findings);
    }

    [Fact]
    public void A_group_whose_rule_names_another_tag_flags_the_school_with_the_rule()
    {
        var report = Evaluate(Profiles(("p1", "Collège B", ["g1"])), Groups(("g1", GroupTagRule.ForTag("0721483W"), "On")));

        var school = Assert.Single(report.Schools);
        Assert.False(report.IsReady);
        Assert.Equal((false, false), (school.ProfileAssigned, school.GroupRuleCovers));
        Assert.Contains("does not cover [OrderID]:0720001K", Assert.Single(school.Findings), StringComparison.Ordinal);
    }

    [Fact]
    public void A_paused_group_does_not_count_as_covering()
    {
        var report = Evaluate(Profiles(("p1", "Sarthe colleges", ["g1"])), Groups(("g1", GroupTagRule.ForTag("0720001K"), "Paused")));

        Assert.Equal(false, report.Schools[0].ProfileAssigned);
        Assert.Contains("Paused", report.Schools[0].Findings[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Without_Group_Read_All_the_school_is_unknown_and_the_finding_says_what_to_check_by_hand()
    {
        var denied = new Dictionary<string, TenantRead<GroupFacts?>> { ["g1"] = new(TenantAccess.PermissionMissing, null, "Insufficient privileges to complete the operation.") };

        var report = Evaluate(Profiles(("p1", "Sarthe colleges", ["g1"])), denied);

        var school = Assert.Single(report.Schools);
        Assert.Null(school.ProfileAssigned);
        Assert.Null(school.GroupRuleCovers);
        Assert.Contains(GroupTagRule.ForTag("0720001K"), school.Findings[0], StringComparison.Ordinal);
        Assert.Contains(report.Findings, f => f.Contains("Group.Read.All", StringComparison.Ordinal));
    }

    [Fact]
    public void No_profile_at_all_is_said_once_for_the_tenant_and_per_school()
    {
        var report = Evaluate(Profiles(), Groups());

        Assert.Contains(report.Findings, f => f.StartsWith("No Autopilot deployment profile exists", StringComparison.Ordinal));
        Assert.Equal(false, report.Schools[0].ProfileAssigned);
    }

    [Fact]
    public void An_unlicensed_tenant_is_reported_as_such_and_nothing_per_school_is_claimed()
    {
        var report = TenantReadinessEvaluator.Evaluate(
            new TenantFacts(new TenantRead<bool>(TenantAccess.NotLicensed, false, "An error has occurred"), new(TenantAccess.NotLicensed, null), Groups(), true),
            ["0720001K"], new Dictionary<string, IReadOnlyList<string>>(), TimeSpan.FromHours(1), Now);

        Assert.Equal(new GraphReadiness(true, null, false), report.Graph);
        Assert.Contains("Intune licence", Assert.Single(report.Findings), StringComparison.Ordinal);
        Assert.Null(report.Schools[0].ProfileAssigned);
    }

    [Fact]
    public void Devices_without_a_profile_past_the_grace_period_are_counted_with_the_likely_cause()
    {
        var stale = new Dictionary<string, IReadOnlyList<string>> { ["0720001K"] = [DeploymentProfileStatus.NotAssigned, DeploymentProfileStatus.NotAssigned] };

        var uncovered = Evaluate(Profiles(("p1", "B", ["g1"])), Groups(("g1", GroupTagRule.ForTag("0721483W"), "On")), stale);
        var covered = Evaluate(Profiles(("p1", "A", ["g1"])), Groups(("g1", GroupTagRule.ForTag("0720001K"), "On")), stale);

        Assert.Equal(2, uncovered.Schools[0].DevicesWithoutProfile);
        Assert.Contains("no profile is assigned to a group whose rule covers", uncovered.Schools[0].Findings[^1], StringComparison.Ordinal);
        Assert.False(covered.IsReady);
        Assert.Contains("Intune has not assigned it", Assert.Single(covered.Schools[0].Findings), StringComparison.Ordinal);
    }

    private static TenantReadinessReport Evaluate(
        TenantRead<IReadOnlyList<DeploymentProfileFacts>> profiles,
        IReadOnlyDictionary<string, TenantRead<GroupFacts?>> groups,
        IReadOnlyDictionary<string, IReadOnlyList<string>>? stale = null) =>
        TenantReadinessEvaluator.Evaluate(new TenantFacts(Reachable, profiles, groups, true), ["0720001K"],
            stale ?? new Dictionary<string, IReadOnlyList<string>>(), TimeSpan.FromHours(1), Now);

    private static TenantRead<IReadOnlyList<DeploymentProfileFacts>> Profiles(params (string Id, string Name, string[] Groups)[] profiles) =>
        TenantRead<IReadOnlyList<DeploymentProfileFacts>>.Read(profiles.Select(p => new DeploymentProfileFacts(p.Id, p.Name, p.Groups)).ToList());

    private static Dictionary<string, TenantRead<GroupFacts?>> Groups(params (string Id, string Rule, string State)[] groups) =>
        groups.ToDictionary(g => g.Id, g => TenantRead<GroupFacts?>.Read(new GroupFacts(g.Id, "Group " + g.Id, true, g.Rule, g.State)));
}
