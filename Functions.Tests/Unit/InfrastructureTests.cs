using System.Text.Json;
using System.Text.RegularExpressions;
using Sarthe.DevHost;

namespace Sarthe.Enrolment.Tests.Unit;

/// <summary>
/// The least-privilege claims of docs/security.md and the baseline of docs/operations.md, as the Bicep templates
/// state them (<c>.ci/run</c> compiles and lints them; nothing here deploys).
/// </summary>
public sealed partial class InfrastructureTests
{
    private static readonly string Infra = Path.Combine(RepositoryPaths.Root, "infra");
    private static readonly string Main = File.ReadAllText(Path.Combine(Infra, "main.bicep"));
    private static readonly string Bicep = string.Join("\n", Directory.GetFiles(Infra, "*.bicep").Order().Select(File.ReadAllText));

    [Theory]
    [InlineData("allowSharedKeyAccess: false")] // storage only through the managed identity: no account key works
    [InlineData("allowBlobPublicAccess: false")]
    [InlineData("supportsHttpsTrafficOnly: true")]
    [InlineData("minimumTlsVersion: 'TLS1_2'")]
    [InlineData("httpsOnly: true")]
    [InlineData("minTlsVersion: '1.2'")]
    [InlineData("ftpsState: 'Disabled'")]
    [InlineData("enableRbacAuthorization: true")] // Key Vault: the identity may read secrets, nothing else
    [InlineData("enablePurgeProtection: true")]
    [InlineData("level: 'CanNotDelete'")] // the account of the 10-year audit trail and the funding data
    [InlineData("categoryGroup: 'audit'")] // Key Vault's audit log to the workspace
    [InlineData("category: 'FunctionAppLogs'")]
    public void The_template_keeps_the_account_and_the_app_locked_down(string setting) =>
        Assert.Contains(setting, Bicep);

    [Fact]
    public void Basic_publishing_credentials_are_off_for_ftp_and_scm()
    {
        var policies = PublishingPolicy().Matches(Bicep).Select(m => (m.Groups["name"].Value, m.Groups["allow"].Value)).Order().ToList();

        Assert.Equal([("ftp", "false"), ("scm", "false")], policies);
    }

    [Fact]
    public void The_template_creates_its_resource_group_in_an_eu_region_france_central_by_default()
    {
        Assert.Contains("targetScope = 'subscription'", Main, StringComparison.Ordinal);
        Assert.Contains("'Microsoft.Resources/resourceGroups@", Main, StringComparison.Ordinal);
        var allowed = AllowedLocations().Match(Main);
        Assert.True(allowed.Success, "location has no @allowed list");
        var regions = Regex.Matches(allowed.Groups["list"].Value, "'(?<r>[a-z]+)'").Select(m => m.Groups["r"].Value).ToList();
        string[] eu = ["francecentral", "francesouth", "germanywestcentral", "germanynorth", "northeurope", "westeurope", "swedencentral", "italynorth", "polandcentral", "spaincentral"];
        Assert.All(regions, r => Assert.Contains(r, eu));
        Assert.Equal("francecentral", allowed.Groups["default"].Value);
    }

    [Fact]
    public void The_http_group_has_one_always_ready_instance_by_default()
    {
        Assert.Contains("param alwaysReadyHttpInstances string = '1'", Main, StringComparison.Ordinal);
        Assert.Contains("alwaysReady: alwaysReadyHttpInstances > 0 ? [{ name: 'http', instanceCount: alwaysReadyHttpInstances }] : []", Bicep, StringComparison.Ordinal);
    }

    [Fact]
    public void The_season_sets_the_sync_cadence_and_the_always_ready_instances_the_busy_weeks_by_default()
    {
        Assert.Contains("param rolloutSeason string = 'busy'", Main, StringComparison.Ordinal);
        Assert.Contains("param autopilotSyncSchedule string = '*/10 * * * * *'", Main, StringComparison.Ordinal);
        Assert.Contains("param quietAutopilotSyncSchedule string = '0 */5 * * * *'", Main, StringComparison.Ordinal);
        Assert.Contains("{ name: 'AutopilotSyncSchedule', value: busy ? autopilotSyncSchedule : quietAutopilotSyncSchedule }", Main, StringComparison.Ordinal);
        Assert.Contains("alwaysReadyHttpInstances: busy ? int(alwaysReadyHttpInstances) : 0", Main, StringComparison.Ordinal);
    }

    [Fact]
    public void Storage_and_the_vault_deny_public_traffic_by_default_and_the_app_reaches_them_through_private_endpoints()
    {
        Assert.Contains("param networkIsolation string = 'true'", Main, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Matches(Bicep, @"networkAcls: networkIsolation \? \{\s*defaultAction: 'Deny'").Count); // storage and vault
        Assert.Contains("virtualNetworkSubnetId: networkIsolation ? '${network.id}/subnets/app' : null", Bicep, StringComparison.Ordinal);
        Assert.Contains("serviceName: 'Microsoft.App/environments'", Bicep, StringComparison.Ordinal); // Flex Consumption's integration subnet
        var groups = Regex.Matches(Bicep, @"\{ name: '\w+', target: (?<target>\w+)\.id, group: '(?<group>\w+)'").Select(m => (m.Groups["target"].Value, m.Groups["group"].Value)).ToList();
        Assert.Equal([("storage", "blob"), ("storage", "queue"), ("storage", "table"), ("vault", "vault")], groups);
    }

    [Fact]
    public void Alerts_cannot_go_nowhere_silently_an_address_or_an_explicit_none_is_required()
    {
        Assert.Matches(@"@minLength\(1\)\s*@description\([^\n]*\)\s*param alertEmail string\s*\n", Main);
        Assert.Contains("emailReceivers: alertEmail == 'none' ? [] :", Bicep, StringComparison.Ordinal);
    }

    [Fact]
    public void The_vault_takes_its_name_and_create_mode_from_the_preprovision_hook_so_azd_down_then_up_recovers_it()
    {
        Assert.Contains("name: empty(keyVaultName) ? 'kv-enrol-${token}' : keyVaultName", Bicep, StringComparison.Ordinal);
        Assert.Contains("createMode: keyVaultCreateMode", Bicep, StringComparison.Ordinal);
        Assert.Contains("@allowed(['default', 'recover'])", Main, StringComparison.Ordinal);
        var hooks = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "azure.yaml"));
        Assert.Equal(2, Regex.Matches(hooks, @"run: dotnet run --project tools/Bootstrap -- --before-provision").Count); // posix and windows
    }

    [Fact]
    public void The_apps_identity_gets_data_roles_only_never_owner_or_contributor_of_a_resource()
    {
        var assignments = RoleAssignments();

        Assert.Equal(
            new HashSet<string>
            {
                "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", // Storage Blob Data Owner (the host's leases and deployment package)
                "974c5e8b-45b9-4653-ba55-5f855dd0fb88", // Storage Queue Data Contributor
                "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", // Storage Table Data Contributor
                "4633458b-17de-408a-b874-0445c86b69e6", // Key Vault Secrets User
                "3913510d-42f4-4e42-8a64-420c390055eb", // Monitoring Metrics Publisher
            },
            assignments.Where(a => a.Principal == "identity.properties.principalId").Select(a => a.Role).ToHashSet());
        Assert.DoesNotContain("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", Bicep); // Owner
        Assert.DoesNotContain("b24988ac-6180-42a0-ab88-20f7382dd24c", Bicep); // Contributor
    }

    [Fact]
    public void Operators_get_read_only_data_roles_on_storage_through_their_group()
    {
        var operators = RoleAssignments().Where(a => a.Principal == "operatorGroupId").ToList();

        Assert.Equal(
            new HashSet<string>
            {
                "19e7f393-937e-4f77-808e-94535e297925", // Storage Queue Data Reader (audit-events-poison included)
                "76199698-9eea-4c19-bc75-cec21354c6b6", // Storage Table Data Reader
            },
            operators.Select(a => a.Role).ToHashSet());
        Assert.All(operators, a => Assert.Equal("Group", a.PrincipalType));
        // Every assignment is to the app's identity or to the operators' group: nobody else gets a role from the template.
        Assert.All(RoleAssignments(), a => Assert.Contains(a.Principal, new[] { "identity.properties.principalId", "operatorGroupId" }));
    }

    [Fact]
    public void Every_parameter_of_the_template_can_be_set_from_the_azd_environment()
    {
        using var parameters = JsonDocument.Parse(File.ReadAllText(Path.Combine(Infra, "main.parameters.json")));
        var mapped = parameters.RootElement.GetProperty("parameters").EnumerateObject().Select(p => p.Name).ToHashSet();
        var declared = Regex.Matches(Main, @"^param\s+(?<name>\w+)\s", RegexOptions.Multiline).Select(m => m.Groups["name"].Value).ToHashSet();

        Assert.Equal(declared.Order(), mapped.Order());
    }

    [Theory]
    [InlineData("Enrolment__RotationGracePeriod")]
    [InlineData("Enrolment__TimestampTolerance")]
    [InlineData("Enrolment__UnknownDevices")]
    [InlineData("EnrolmentLimits__PerSourceBurst")]
    [InlineData("EnrolmentLimits__PerSchoolBurst")]
    [InlineData("FundingReportSchedule")]
    [InlineData("Registration__MaxAutomaticAttempts")]
    [InlineData("Graph__WritesPerWindow")]
    [InlineData("Funding__CofinancingRate")]
    [InlineData("Funding__BuildHour")]
    [InlineData("Funding__ProgrammeStart")]
    [InlineData("Dashboard__DeviceTarget")]
    [InlineData("Audit__RetentionYears")]
    public void A_setting_operators_tune_is_a_parameter_so_a_deployment_never_resets_it(string setting)
    {
        var value = Regex.Match(Main, $@"\{{\s*name:\s*'{setting}',\s*value:\s*(?<value>\w+)\s*\}}");

        Assert.True(value.Success, $"{setting} is not set from a parameter in infra/main.bicep");
        Assert.Matches($@"(?m)^param\s+{value.Groups["value"].Value}\s", Main);
    }

    private static List<(string Principal, string? PrincipalType, string Role)> RoleAssignments()
    {
        var ids = RoleVariable().Matches(Bicep).ToDictionary(m => m.Groups["key"].Value, m => m.Groups["id"].Value);
        return RoleAssignment().Matches(Bicep)
            .Select(m => (m.Groups["principal"].Value.Trim(), (string?)m.Groups["type"].Value, ids[m.Groups["role"].Value]))
            .ToList();
    }

    [GeneratedRegex(@"^\s+(?<key>\w+):\s*'(?<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'", RegexOptions.Multiline)]
    private static partial Regex RoleVariable();

    [GeneratedRegex(@"principalId:\s*(?<principal>[\w.]+),\s*principalType:\s*'(?<type>\w+)',\s*roleDefinitionId:\s*subscriptionResourceId\('Microsoft.Authorization/roleDefinitions',\s*\w+\.(?<role>\w+)\)")]
    private static partial Regex RoleAssignment();

    [GeneratedRegex(@"basicPublishingCredentialsPolicies@[^']+' = \{\s*parent: app\s*name: '(?<name>\w+)'\s*properties: \{ allow: (?<allow>\w+) \}")]
    private static partial Regex PublishingPolicy();

    [GeneratedRegex(@"@allowed\(\[(?<list>[^\]]*)\]\)\s*(?:@\w+\([^\n]*\)\s*)*param location string = '(?<default>\w+)'")]
    private static partial Regex AllowedLocations();
}
