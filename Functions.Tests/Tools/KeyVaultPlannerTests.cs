using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Core;
using Sarthe.Bootstrap;

namespace Sarthe.Enrolment.Tests.Tools;

/// <summary>
/// The preprovision hook's choice of vault against a stand-in for Resource Manager (the Key Vault requests Microsoft
/// documents: get a vault, get a deleted vault, check a name; no Azure here): the same environment keeps its vault,
/// and after <c>azd down</c> the purge-protected vault is recovered instead of colliding with its own name.
/// </summary>
public sealed class KeyVaultPlannerTests
{
    private const string Subscription = "00000000-0000-0000-0000-000000000001";
    private static readonly ProvisionTarget Target = new(Subscription, "rg-sarthe-prod", "francecentral");

    [Fact]
    public async Task A_new_environment_gets_a_fresh_free_name_created_normally()
    {
        var arm = new FakeResourceManager();

        var (plan, output) = await PlanAsync(arm, knownName: null);

        Assert.Matches("^kv-enrol-[a-z0-9]{12}$", plan.Name);
        Assert.Equal("default", plan.CreateMode);
        Assert.Contains(plan.Name, arm.NamesChecked);
        Assert.Contains("a new name for this environment", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_vault_in_place_is_kept_as_it_is()
    {
        var arm = new FakeResourceManager { Live = { "kv-enrol-abc123def456" } };

        var (plan, output) = await PlanAsync(arm, "kv-enrol-abc123def456");

        Assert.Equal(new VaultPlan("kv-enrol-abc123def456", "default"), plan);
        Assert.Contains("unchanged", output, StringComparison.Ordinal);
        Assert.Empty(arm.NamesChecked);
    }

    [Fact]
    public async Task After_azd_down_the_soft_deleted_vault_is_recovered_with_its_master_secret_not_collided_with()
    {
        var arm = new FakeResourceManager { Deleted = { "kv-enrol-abc123def456" } };

        var (plan, output) = await PlanAsync(arm, "kv-enrol-abc123def456");

        Assert.Equal(new VaultPlan("kv-enrol-abc123def456", "recover"), plan);
        Assert.Contains("recovered with its master secret", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_known_name_held_outside_this_deployment_is_replaced_by_a_fresh_one_and_the_operator_is_told()
    {
        var arm = new FakeResourceManager { TakenElsewhere = { "kv-enrol-abc123def456" } };

        var (plan, output) = await PlanAsync(arm, "kv-enrol-abc123def456");

        Assert.NotEqual("kv-enrol-abc123def456", plan.Name);
        Assert.Equal("default", plan.CreateMode);
        Assert.Contains("issue new school keys", output, StringComparison.Ordinal);
    }

    private static async Task<(VaultPlan Plan, string Output)> PlanAsync(FakeResourceManager arm, string? knownName)
    {
        using var http = new HttpClient(arm);
        var output = new StringWriter();
        var plan = await new KeyVaultPlanner(http, new StaticCredential(), output).PlanAsync(Target, knownName, CancellationToken.None);
        return (plan, output.ToString());
    }

    private sealed class StaticCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new("token", DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    /// <summary>
    /// Key Vault's Resource Manager API as far as the planner uses it: a vault in the resource group, a deleted vault in the
    /// region, and checkNameAvailability, which answers false for a name held anywhere, a soft-deleted vault's included.
    /// </summary>
    private sealed class FakeResourceManager : HttpMessageHandler
    {
        public HashSet<string> Live { get; } = [];

        public HashSet<string> Deleted { get; } = [];

        public HashSet<string> TakenElsewhere { get; } = [];

        public List<string> NamesChecked { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Assert.Equal("Bearer token", request.Headers.Authorization?.ToString());
            var path = request.RequestUri!.AbsolutePath;
            var name = path.Split('/')[^1];
            if (request.Method == HttpMethod.Get && path == $"/subscriptions/{Subscription}/resourceGroups/rg-sarthe-prod/providers/Microsoft.KeyVault/vaults/{name}")
            {
                return Live.Contains(name) ? Json(new JsonObject { ["name"] = name }) : NotFound("ResourceNotFound");
            }

            if (request.Method == HttpMethod.Get && path == $"/subscriptions/{Subscription}/providers/Microsoft.KeyVault/locations/francecentral/deletedVaults/{name}")
            {
                return Deleted.Contains(name) ? Json(new JsonObject { ["name"] = name, ["properties"] = new JsonObject { ["purgeProtectionEnabled"] = true } }) : NotFound("DeletedVaultNotFound");
            }

            if (request.Method == HttpMethod.Post && path == $"/subscriptions/{Subscription}/providers/Microsoft.KeyVault/checkNameAvailability")
            {
                var body = JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!;
                Assert.Equal("Microsoft.KeyVault/vaults", (string)body["type"]!);
                var checkedName = (string)body["name"]!;
                NamesChecked.Add(checkedName);
                var taken = Live.Contains(checkedName) || Deleted.Contains(checkedName) || TakenElsewhere.Contains(checkedName);
                return Json(new JsonObject { ["nameAvailable"] = !taken, ["reason"] = taken ? "AlreadyExists" : null });
            }

            return new HttpResponseMessage(HttpStatusCode.BadRequest) { Content = new StringContent($"unexpected {request.Method} {request.RequestUri}") };
        }

        private static HttpResponseMessage NotFound(string code) =>
            new(HttpStatusCode.NotFound) { Content = new StringContent($"{{\"error\":{{\"code\":\"{code}\"}}}}", Encoding.UTF8, "application/json") };

        private static HttpResponseMessage Json(JsonObject body) =>
            new(HttpStatusCode.OK) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
    }
}
