using System.Text.RegularExpressions;
using Sarthe.DevHost;

namespace Sarthe.Enrolment.Tests.Unit;

/// <summary>The least-privilege claims of docs/security.md, as the Bicep template states them.</summary>
public sealed partial class InfrastructureTests
{
    private static readonly string Bicep = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "infra", "main.bicep"));

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
    public void The_template_keeps_the_account_and_the_app_locked_down(string setting) =>
        Assert.Contains(setting, Bicep);

    [Fact]
    public void The_apps_identity_gets_data_roles_only_never_owner_or_contributor_of_a_resource()
    {
        // Built-in role ids: learn.microsoft.com/azure/role-based-access-control/built-in-roles.
        var granted = RoleId().Matches(Bicep).Select(m => m.Groups["id"].Value).ToHashSet();

        Assert.Equal(
            new HashSet<string>
            {
                "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", // Storage Blob Data Owner (the host's leases and deployment package)
                "974c5e8b-45b9-4653-ba55-5f855dd0fb88", // Storage Queue Data Contributor
                "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", // Storage Table Data Contributor
                "4633458b-17de-408a-b874-0445c86b69e6", // Key Vault Secrets User
                "3913510d-42f4-4e42-8a64-420c390055eb", // Monitoring Metrics Publisher
            },
            granted);
        Assert.DoesNotContain("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", Bicep); // Owner
        Assert.DoesNotContain("b24988ac-6180-42a0-ab88-20f7382dd24c", Bicep); // Contributor
    }

    [GeneratedRegex(@"'(?<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'")]
    private static partial Regex RoleId();
}
