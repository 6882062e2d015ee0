using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure.Core;

namespace Sarthe.Bootstrap;

/// <summary>Where the deployment is (azd's outputs) and how long to wait.</summary>
public sealed record BootstrapTarget(string VaultId, Uri VaultUri, string AppId, Uri HealthUrl)
{
    /// <summary>Minutes to wait for <c>/api/health</c>; 0 waits not at all (the postprovision hook: the code comes after).</summary>
    public int HealthWaitMinutes { get; init; } = 5;

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a new role assignment may take to reach Key Vault (Azure RBAC: usually seconds, up to 10 minutes).</summary>
    public TimeSpan PropagationTimeout { get; init; } = TimeSpan.FromMinutes(10);

    public Uri ResourceManager { get; init; } = new("https://management.azure.com");
}

/// <summary>
/// What has to exist after <c>azd provision</c> and no template may create: the enrolment master secret (32 random
/// bytes made here, written to the vault, never printed). Every step looks before it acts, so a run over a
/// deployment in place changes nothing: the deployer's role is granted only when missing, the secret created only
/// when missing (a soft-deleted one is never replaced: it must be recovered, or every school key would end), and
/// the app restarted only when the secret is new or <c>/api/health</c> does not answer 200 in time.
/// </summary>
public sealed class Bootstrapper(HttpClient http, TokenCredential credential, TextWriter output, TimeProvider time)
{
    private readonly AzureRequests _azure = new(http, credential);

    public const string SecretName = "enrolment-master-secret";

    /// <summary>Key Vault Secrets Officer: create and read secret metadata, the least role that may write the secret.</summary>
    public const string SecretsOfficerRole = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";

    /// <summary>Key Vault Administrator: covers the secrets officer's rights.</summary>
    private const string VaultAdministratorRole = "00482a5a-887f-4fb3-b363-3b7fe8e74483";

    private const string ArmScope = "https://management.azure.com/.default";
    private const string VaultScope = "https://vault.azure.net/.default";
    private const string RoleApi = "api-version=2022-04-01";
    private const string VaultApi = "api-version=7.4";
    private const string SitesApi = "api-version=2024-04-01";

    /// <summary>Runs every step; 0 when the app is ready (or needs only its code), 1 with the reason otherwise.</summary>
    public async Task<int> RunAsync(BootstrapTarget target, CancellationToken cancellationToken)
    {
        var deployer = await DeployerAsync(target, cancellationToken);
        await EnsureSecretsOfficerAsync(target, deployer, cancellationToken);
        var created = await EnsureMasterSecretAsync(target, cancellationToken);
        if (target.HealthWaitMinutes == 0)
        {
            if (created)
            {
                // Key Vault references are resolved when the app starts: a running app reads the new secret after a restart.
                await RestartAsync(target, cancellationToken);
            }

            Say("Health: not waited for (the deployment that follows starts the app).");
            return 0;
        }

        var half = TimeSpan.FromMinutes(target.HealthWaitMinutes / 2.0);
        if (created)
        {
            await RestartAsync(target, cancellationToken);
        }
        else if (await WaitHealthyAsync(target, half, cancellationToken))
        {
            return 0;
        }

        if (!created)
        {
            // Unhealthy: most likely a Key Vault reference resolved before the secret existed, which only a restart re-reads.
            await RestartAsync(target, cancellationToken);
        }

        if (await WaitHealthyAsync(target, created ? 2 * half : half, cancellationToken))
        {
            return 0;
        }

        Say($"Health: {target.HealthUrl} did not answer 200 within {target.HealthWaitMinutes} min. Look at the function logs " +
            "(docs/operations.md, \"When the app does not start\").");
        return 1;
    }

    private sealed record Deployer(string ObjectId, string PrincipalType);

    /// <summary>Who runs this: the object id and kind in the Resource Manager token azd (or the Azure CLI) gives.</summary>
    private async Task<Deployer> DeployerAsync(BootstrapTarget target, CancellationToken cancellationToken)
    {
        var token = await credential.GetTokenAsync(new TokenRequestContext([ArmScope]), cancellationToken);
        var payload = token.Token.Split('.') is { Length: 3 } parts ? parts[1] : throw new InvalidOperationException("The Resource Manager token is not a JWT.");
        using var claims = JsonDocument.Parse(Base64Url(payload));
        var oid = claims.RootElement.GetProperty("oid").GetString()!;
        var isApp = claims.RootElement.TryGetProperty("idtyp", out var idtyp) && idtyp.GetString() == "app";
        Say($"Deployer: {(isApp ? "service principal" : "user")} {oid}; vault {target.VaultUri.Host}; app {target.AppId.Split('/')[^1]}.");
        return new Deployer(oid, isApp ? "ServicePrincipal" : "User");
    }

    private async Task EnsureSecretsOfficerAsync(BootstrapTarget target, Deployer deployer, CancellationToken cancellationToken)
    {
        var list = new Uri(target.ResourceManager,
            $"{target.VaultId}/providers/Microsoft.Authorization/roleAssignments?{RoleApi}&$filter=assignedTo('{deployer.ObjectId}')");
        using (var response = await _azure.SendAsync(HttpMethod.Get, list, ArmScope, null, cancellationToken))
        {
            await AzureRequests.EnsureSuccessAsync(response, "list your role assignments on the vault", cancellationToken);
            var assignments = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
            var roles = assignments?["value"]?.AsArray().Select(a => (string?)a?["properties"]?["roleDefinitionId"] ?? "") ?? [];
            if (roles.Any(r => r.EndsWith(SecretsOfficerRole, StringComparison.OrdinalIgnoreCase) || r.EndsWith(VaultAdministratorRole, StringComparison.OrdinalIgnoreCase)))
            {
                Say("Role: you may already write the vault's secrets (Key Vault Secrets Officer or Administrator): unchanged.");
                return;
            }
        }

        var subscription = target.VaultId.Split('/', StringSplitOptions.RemoveEmptyEntries)[1];
        var name = NameBasedGuid($"{target.VaultId}|{deployer.ObjectId}|{SecretsOfficerRole}");
        var body = new JsonObject
        {
            ["properties"] = new JsonObject
            {
                ["roleDefinitionId"] = $"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{SecretsOfficerRole}",
                ["principalId"] = deployer.ObjectId,
                ["principalType"] = deployer.PrincipalType,
            },
        };
        using var put = await _azure.SendAsync(HttpMethod.Put, new Uri(target.ResourceManager, $"{target.VaultId}/providers/Microsoft.Authorization/roleAssignments/{name}?{RoleApi}"),
            ArmScope, body, cancellationToken);
        if (put.StatusCode != HttpStatusCode.Conflict) // 409 RoleAssignmentExists: granted meanwhile, under another name
        {
            await AzureRequests.EnsureSuccessAsync(put, "grant you Key Vault Secrets Officer on the vault (needs Owner, User Access Administrator or RBAC Administrator)", cancellationToken);
        }

        Say("Role: Key Vault Secrets Officer granted to you on the vault (it may take a few minutes to apply).");
    }

    /// <summary>True when created now, false when it was there; a soft-deleted one stops the run (<see cref="SecretDeletedException"/>).</summary>
    private async Task<bool> EnsureMasterSecretAsync(BootstrapTarget target, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + target.PropagationTimeout;
        while (true)
        {
            // Listing gives names and dates only: the secret's value is never read here.
            var exists = await SecretExistsAsync(target, cancellationToken);
            if (exists == true)
            {
                Say($"Master secret: {SecretName} is in the vault: unchanged.");
                return false;
            }

            if (exists == false)
            {
                if (await CreateSecretAsync(target, cancellationToken))
                {
                    return true;
                }
            }

            if (time.GetUtcNow() > deadline)
            {
                throw new InvalidOperationException(
                    $"Key Vault still refuses you after {target.PropagationTimeout.TotalMinutes:F0} min: check your role on {target.VaultUri.Host} (Key Vault Secrets Officer).");
            }

            Say("Master secret: Key Vault does not let you in yet (a new role takes a moment to apply); trying again.");
            await Task.Delay(target.PollInterval, time, cancellationToken);
        }
    }

    /// <summary>True or false; null while Key Vault answers 403 (the role is not applied yet).</summary>
    private async Task<bool?> SecretExistsAsync(BootstrapTarget target, CancellationToken cancellationToken)
    {
        Uri? page = new(target.VaultUri, $"secrets?{VaultApi}&maxresults=25");
        while (page is not null)
        {
            using var response = await _azure.SendAsync(HttpMethod.Get, page, VaultScope, null, cancellationToken);
            if (response.StatusCode == HttpStatusCode.Forbidden)
            {
                await StopAtFirewallAsync(response, cancellationToken);
                return null;
            }

            await AzureRequests.EnsureSuccessAsync(response, "list the vault's secrets", cancellationToken);
            var body = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
            if (body?["value"]?.AsArray().Any(s => ((string?)s?["id"] ?? "").TrimEnd('/').EndsWith($"/secrets/{SecretName}", StringComparison.OrdinalIgnoreCase)) == true)
            {
                return true;
            }

            page = body?["nextLink"]?.GetValue<string>() is { Length: > 0 } next ? new Uri(next) : null;
        }

        return false;
    }

    /// <summary>True when created; false while Key Vault answers 403 (the role is not applied yet).</summary>
    private async Task<bool> CreateSecretAsync(BootstrapTarget target, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["value"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["contentType"] = "base64: 32 random bytes; every school enrolment key derives from it (docs/operations.md)",
        };
        using var response = await _azure.SendAsync(HttpMethod.Put, new Uri(target.VaultUri, $"secrets/{SecretName}?{VaultApi}"), VaultScope, body, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Forbidden)
        {
            await StopAtFirewallAsync(response, cancellationToken);
            return false;
        }

        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            Say($"Master secret: {SecretName} was deleted and can be recovered (soft delete). Recover it rather than make a new one: " +
                $"a new secret ends every school key issued. `az keyvault secret recover --vault-name {target.VaultUri.Host.Split('.')[0]} --name {SecretName}`, then run this again.");
            throw new SecretDeletedException();
        }

        await AzureRequests.EnsureSuccessAsync(response, "create the master secret", cancellationToken);
        Say($"Master secret: {SecretName} created (32 random bytes, generated here, never shown).");
        return true;
    }

    /// <summary>
    /// A 403 from the vault's firewall (network isolation, infra/resources.bicep), not from a role still on its way:
    /// waiting will not help, this machine's address must be allowed. Key Vault says so with the inner error code
    /// ForbiddenByFirewall and the client address in its message (learn.microsoft.com/azure/key-vault/general/troubleshooting-access-issues).
    /// </summary>
    private static async Task StopAtFirewallAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!body.Contains("ForbiddenByFirewall", StringComparison.Ordinal))
        {
            return;
        }

        var address = Regex.Match(body, @"Client address: (?<ip>[0-9A-Fa-f.:]+)") is { Success: true } m ? m.Groups["ip"].Value : "<your public address>";
        throw new InvalidOperationException(
            $"Key Vault's firewall refuses this machine ({address}): `azd env set OPERATOR_IP_RANGES {address}/32` (comma-separated for several), " +
            "`azd provision`, then run this again (docs/operations.md, \"Network isolation\").");
    }

    private async Task RestartAsync(BootstrapTarget target, CancellationToken cancellationToken)
    {
        using var response = await _azure.SendAsync(HttpMethod.Post, new Uri(target.ResourceManager, $"{target.AppId}/restart?{SitesApi}"), ArmScope, null, cancellationToken);
        await AzureRequests.EnsureSuccessAsync(response, "restart the app", cancellationToken);
        Say("App: restarted, so that it reads the master secret.");
    }

    private async Task<bool> WaitHealthyAsync(BootstrapTarget target, TimeSpan within, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + within;
        while (true)
        {
            var status = await ProbeAsync(target.HealthUrl, cancellationToken);
            if (status == HttpStatusCode.OK)
            {
                Say($"Health: {target.HealthUrl} answers 200.");
                return true;
            }

            if (time.GetUtcNow() >= deadline)
            {
                Say($"Health: {target.HealthUrl} answers {(status is null ? "nothing" : ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture))}.");
                return false;
            }

            await Task.Delay(target.PollInterval, time, cancellationToken);
        }
    }

    private async Task<HttpStatusCode?> ProbeAsync(Uri url, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            using var response = await http.GetAsync(url, timeout.Token);
            return response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null; // not answering yet (starting, or no code deployed)
        }
    }

    private void Say(string line) => output.WriteLine(line);

    private static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '='));
    }

    /// <summary>The same name for the same vault, principal and role on every run, as Bicep's guid() does.</summary>
    internal static Guid NameBasedGuid(string text)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToLowerInvariant()))[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}

/// <summary>The master secret is soft-deleted: recovering it is an operator's decision, never this tool's.</summary>
public sealed class SecretDeletedException() : InvalidOperationException($"{Bootstrapper.SecretName} is deleted but recoverable.");
