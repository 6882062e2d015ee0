using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Core;
using Sarthe.Bootstrap;

namespace Sarthe.Enrolment.Tests.Tools;

/// <summary>
/// The azd hooks' program against a stand-in for Resource Manager, Key Vault and the app (the requests Microsoft
/// documents for role assignments, secrets and site restarts; no Azure here): a first run after provisioning makes
/// the app start, a second changes nothing.
/// </summary>
public sealed class BootstrapTests
{
    private const string VaultId = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-test/providers/Microsoft.KeyVault/vaults/kv-enrol-test";
    private const string AppId = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-test/providers/Microsoft.Web/sites/func-enrol-test";
    private const string DeployerId = "11111111-2222-3333-4444-555555555555";

    private static readonly BootstrapTarget Target = new(VaultId, new Uri("https://kv-enrol-test.vault.azure.net/"), AppId, new Uri("https://func-enrol-test.azurewebsites.net/api/health"))
    {
        HealthWaitMinutes = 1,
        PollInterval = TimeSpan.FromMilliseconds(10),
        PropagationTimeout = TimeSpan.FromSeconds(5),
    };

    [Fact]
    public async Task After_the_first_provision_it_grants_the_role_creates_the_secret_restarts_the_app_and_sees_it_healthy()
    {
        var azure = new FakeAzure();

        var (exitCode, output) = await RunAsync(azure);

        Assert.Equal(0, exitCode);
        Assert.Equal([Bootstrapper.SecretsOfficerRole], azure.GrantedRoles);
        var secret = Convert.FromBase64String(Assert.Single(azure.Secrets).Value);
        Assert.Equal(32, secret.Length);
        Assert.Equal(1, azure.Restarts);
        Assert.True(azure.Healthy);
        Assert.DoesNotContain(azure.Secrets.Single().Value, output, StringComparison.Ordinal); // never printed
    }

    [Fact]
    public async Task Run_again_over_a_deployment_in_place_it_changes_nothing()
    {
        var azure = new FakeAzure();
        await RunAsync(azure);
        var secret = azure.Secrets.Single().Value;
        azure.Writes.Clear();

        var (exitCode, output) = await RunAsync(azure);

        Assert.Equal(0, exitCode);
        Assert.Empty(azure.Writes); // no PUT, no POST: no role, no secret, no restart
        Assert.Equal(secret, azure.Secrets.Single().Value);
        Assert.Contains("unchanged", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task It_waits_for_a_new_role_to_reach_key_vault_before_writing_the_secret()
    {
        var azure = new FakeAzure { ForbiddenAnswersAfterGrant = 3 };

        var (exitCode, _) = await RunAsync(azure);

        Assert.Equal(0, exitCode);
        Assert.Single(azure.Secrets);
    }

    [Fact]
    public async Task A_soft_deleted_secret_is_never_replaced_the_operator_is_told_to_recover_it()
    {
        var azure = new FakeAzure { SecretSoftDeleted = true };

        var error = await Assert.ThrowsAsync<SecretDeletedException>(() => RunAsync(azure));

        Assert.Empty(azure.Secrets);
        Assert.Equal(0, azure.Restarts);
        Assert.Contains(Bootstrapper.SecretName, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_app_that_started_before_the_secret_existed_is_restarted_once()
    {
        var azure = new FakeAzure();
        azure.Secrets[Bootstrapper.SecretName] = Convert.ToBase64String(new byte[32]);
        azure.GrantedRoles.Add(Bootstrapper.SecretsOfficerRole);
        azure.Healthy = false; // its Key Vault reference was resolved while the secret was missing

        var (exitCode, _) = await RunAsync(azure);

        Assert.Equal(0, exitCode);
        Assert.Equal(1, azure.Restarts);
    }

    [Fact]
    public async Task The_postprovision_run_does_not_wait_for_code_that_is_not_deployed_yet()
    {
        var azure = new FakeAzure { Deployed = false };

        var (exitCode, output) = await RunAsync(azure, Target with { HealthWaitMinutes = 0 });

        Assert.Equal(0, exitCode);
        Assert.Single(azure.Secrets);
        Assert.Contains("not waited for", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_vault_firewall_refusing_this_machine_stops_at_once_and_names_the_address_to_allow()
    {
        var azure = new FakeAzure { FirewallRefuses = "203.0.113.7" };
        azure.GrantedRoles.Add(Bootstrapper.SecretsOfficerRole);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync(azure, Target with { PropagationTimeout = TimeSpan.FromMinutes(10) }));

        Assert.Contains("azd env set OPERATOR_IP_RANGES 203.0.113.7/32", error.Message, StringComparison.Ordinal);
        Assert.Empty(azure.Secrets);
        Assert.Equal(1, azure.VaultRequests); // no waiting for a role: a firewall does not open by itself
    }

    [Fact]
    public void Role_assignment_names_are_the_same_on_every_run()
    {
        Assert.Equal(Bootstrapper.NameBasedGuid("a|b|c"), Bootstrapper.NameBasedGuid("A|B|C"));
        Assert.NotEqual(Bootstrapper.NameBasedGuid("a|b|c"), Bootstrapper.NameBasedGuid("a|b|d"));
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(FakeAzure azure, BootstrapTarget? target = null)
    {
        using var http = new HttpClient(azure);
        var output = new StringWriter();
        var exitCode = await new Bootstrapper(http, new DeployerCredential(), output, TimeProvider.System).RunAsync(target ?? Target, CancellationToken.None);
        return (exitCode, output.ToString());
    }

    /// <summary>A user's token: what azd's credential gives (only its oid claim is read).</summary>
    private sealed class DeployerCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            static string Part(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            return new AccessToken($"{Part("{\"alg\":\"none\"}")}.{Part($"{{\"oid\":\"{DeployerId}\",\"idtyp\":\"user\"}}")}.sig", DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    /// <summary>Resource Manager, the vault and the app, as far as the program uses them.</summary>
    private sealed class FakeAzure : HttpMessageHandler
    {
        public List<string> GrantedRoles { get; } = [];

        public Dictionary<string, string> Secrets { get; } = [];

        public List<string> Writes { get; } = [];

        public int Restarts { get; private set; }

        public bool Healthy { get; set; }

        public bool Deployed { get; init; } = true;

        public bool SecretSoftDeleted { get; init; }

        public int ForbiddenAnswersAfterGrant { get; init; }

        /// <summary>The vault's firewall refuses this client address (network isolation without the operator's range).</summary>
        public string? FirewallRefuses { get; init; }

        public int VaultRequests { get; private set; }

        private int _forbidden;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var url = request.RequestUri!;
            var path = Uri.UnescapeDataString(url.AbsolutePath);
            if (request.Method != HttpMethod.Get)
            {
                Writes.Add($"{request.Method} {path}");
            }

            if (url.Host == "func-enrol-test.azurewebsites.net")
            {
                return new HttpResponseMessage(!Deployed ? HttpStatusCode.NotFound : Healthy ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable);
            }

            if (url.Host == "kv-enrol-test.vault.azure.net")
            {
                VaultRequests++;
                if (FirewallRefuses is not null)
                {
                    // Key Vault's answer to a caller its firewall does not let in.
                    var message = $"Client address is not authorized and caller is not a trusted service.\r\nClient address: {FirewallRefuses}\r\nCaller: appid=04b07795;oid={DeployerId}\r\nVault: kv-enrol-test;location=francecentral";
                    var error = new JsonObject { ["error"] = new JsonObject { ["code"] = "Forbidden", ["message"] = message, ["innererror"] = new JsonObject { ["code"] = "ForbiddenByFirewall" } } };
                    return new HttpResponseMessage(HttpStatusCode.Forbidden) { Content = new StringContent(error.ToJsonString(), Encoding.UTF8, "application/json") };
                }

                if (!GrantedRoles.Contains(Bootstrapper.SecretsOfficerRole) || _forbidden++ < ForbiddenAnswersAfterGrant)
                {
                    return new HttpResponseMessage(HttpStatusCode.Forbidden);
                }

                if (request.Method == HttpMethod.Get && path == "/secrets")
                {
                    var value = new JsonArray(Secrets.Keys.Select(name => (JsonNode)new JsonObject { ["id"] = $"https://kv-enrol-test.vault.azure.net/secrets/{name}" }).ToArray());
                    return Json(new JsonObject { ["value"] = value, ["nextLink"] = null });
                }

                if (request.Method == HttpMethod.Put && path == $"/secrets/{Bootstrapper.SecretName}")
                {
                    if (SecretSoftDeleted)
                    {
                        return new HttpResponseMessage(HttpStatusCode.Conflict) { Content = new StringContent("{\"error\":{\"code\":\"Conflict\",\"innererror\":{\"code\":\"ObjectIsDeletedButRecoverable\"}}}") };
                    }

                    var body = JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!;
                    Secrets[Bootstrapper.SecretName] = (string)body["value"]!;
                    return Json(new JsonObject { ["id"] = $"https://kv-enrol-test.vault.azure.net/secrets/{Bootstrapper.SecretName}/1" });
                }
            }

            if (url.Host == "management.azure.com")
            {
                if (request.Method == HttpMethod.Get && path == $"{VaultId}/providers/Microsoft.Authorization/roleAssignments")
                {
                    Assert.Contains($"assignedTo('{DeployerId}')", Uri.UnescapeDataString(url.Query), StringComparison.Ordinal);
                    var value = new JsonArray(GrantedRoles.Select(r => (JsonNode)new JsonObject { ["properties"] = new JsonObject { ["roleDefinitionId"] = $"/providers/Microsoft.Authorization/roleDefinitions/{r}" } }).ToArray());
                    return Json(new JsonObject { ["value"] = value });
                }

                if (request.Method == HttpMethod.Put && path.StartsWith($"{VaultId}/providers/Microsoft.Authorization/roleAssignments/", StringComparison.Ordinal))
                {
                    var body = JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!;
                    Assert.Equal(DeployerId, (string)body["properties"]!["principalId"]!);
                    Assert.Equal("User", (string)body["properties"]!["principalType"]!);
                    GrantedRoles.Add(((string)body["properties"]!["roleDefinitionId"]!).Split('/')[^1]);
                    return Json(new JsonObject(), HttpStatusCode.Created);
                }

                if (request.Method == HttpMethod.Post && path == $"{AppId}/restart")
                {
                    Restarts++;
                    Healthy = Secrets.ContainsKey(Bootstrapper.SecretName);
                    return new HttpResponseMessage(HttpStatusCode.OK);
                }
            }

            return new HttpResponseMessage(HttpStatusCode.BadRequest) { Content = new StringContent($"unexpected {request.Method} {url}") };
        }

        private static HttpResponseMessage Json(JsonObject body, HttpStatusCode status = HttpStatusCode.OK) =>
            new(status) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
    }
}
