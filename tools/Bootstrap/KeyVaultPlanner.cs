using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Azure.Core;

namespace Sarthe.Bootstrap;

/// <summary>Where the next <c>azd provision</c> puts the vault: the subscription, resource group and region azd uses.</summary>
public sealed record ProvisionTarget(string SubscriptionId, string ResourceGroup, string Location)
{
    public Uri ResourceManager { get; init; } = new("https://management.azure.com");
}

/// <summary>The vault's name and create mode for the next provision (infra/main.bicep's keyVaultName and keyVaultCreateMode).</summary>
public sealed record VaultPlan(string Name, string CreateMode);

/// <summary>
/// Before <c>azd provision</c> (the preprovision hook): which Key Vault the template makes or keeps. The vault is
/// purge-protected, so after <c>azd down</c> its name stays taken by the soft-deleted vault for 90 days, and a new
/// vault of that name fails to deploy. Recovering it instead (create mode <c>recover</c>,
/// learn.microsoft.com/azure/key-vault/general/key-vault-recovery) brings it back with the master secret, so the
/// schools' keys keep working. The name lives in the azd environment, so one environment always means one vault.
/// Reads only: the caller writes the plan to the environment.
/// </summary>
public sealed class KeyVaultPlanner(HttpClient http, TokenCredential credential, TextWriter output)
{
    private readonly AzureRequests _azure = new(http, credential);

    public const string NameVariable = "KEY_VAULT_NAME";
    public const string CreateModeVariable = "KEY_VAULT_CREATE_MODE";

    private const string ArmScope = "https://management.azure.com/.default";
    private const string Api = "api-version=2023-07-01";
    private const string NameAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>
    /// The plan for <paramref name="knownName"/> (the environment's vault, when it has one): kept when it is live, recovered
    /// when soft-deleted, created when free; a fresh name when there is none or another subscription holds it.
    /// </summary>
    public async Task<VaultPlan> PlanAsync(ProvisionTarget target, string? knownName, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(knownName))
        {
            var fresh = await FreshNameAsync(target, cancellationToken);
            Say($"Vault: {fresh}, a new name for this environment (kept in {NameVariable}).");
            return new VaultPlan(fresh, "default");
        }

        var subscription = $"/subscriptions/{target.SubscriptionId}";
        if (await ExistsAsync(target, $"{subscription}/resourceGroups/{target.ResourceGroup}/providers/Microsoft.KeyVault/vaults/{knownName}", cancellationToken))
        {
            Say($"Vault: {knownName} is in place: unchanged.");
            return new VaultPlan(knownName, "default");
        }

        if (await ExistsAsync(target, $"{subscription}/providers/Microsoft.KeyVault/locations/{target.Location}/deletedVaults/{knownName}", cancellationToken))
        {
            Say($"Vault: {knownName} was deleted (azd down) and is purge-protected: it is recovered with its master secret, so school keys keep working.");
            return new VaultPlan(knownName, "recover");
        }

        if (await IsAvailableAsync(target, knownName, cancellationToken))
        {
            Say($"Vault: {knownName} is created.");
            return new VaultPlan(knownName, "default");
        }

        var other = await FreshNameAsync(target, cancellationToken);
        Say($"Vault: {knownName} is taken outside this deployment (another subscription or region): {other} instead. " +
            "Its master secret is new, so issue new school keys once it is made (docs/operations.md).");
        return new VaultPlan(other, "default");
    }

    /// <summary>kv-enrol- and 12 random letters or digits (Key Vault names: 3-24 characters, globally unique), checked free.</summary>
    private async Task<string> FreshNameAsync(ProvisionTarget target, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var name = "kv-enrol-" + new string(RandomNumberGenerator.GetItems<char>(NameAlphabet, 12));
            if (await IsAvailableAsync(target, name, cancellationToken))
            {
                return name;
            }
        }

        throw new InvalidOperationException("Could not find a free Key Vault name in 5 tries: set KEY_VAULT_NAME yourself (azd env set).");
    }

    private async Task<bool> ExistsAsync(ProvisionTarget target, string path, CancellationToken cancellationToken)
    {
        using var response = await _azure.SendAsync(HttpMethod.Get, new Uri(target.ResourceManager, $"{path}?{Api}"), ArmScope, null, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false; // the vault, or its resource group, is not there
        }

        await AzureRequests.EnsureSuccessAsync(response, $"read {path}", cancellationToken);
        return true;
    }

    private async Task<bool> IsAvailableAsync(ProvisionTarget target, string name, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["name"] = name, ["type"] = "Microsoft.KeyVault/vaults" };
        var url = new Uri(target.ResourceManager, $"/subscriptions/{target.SubscriptionId}/providers/Microsoft.KeyVault/checkNameAvailability?{Api}");
        using var response = await _azure.SendAsync(HttpMethod.Post, url, ArmScope, body, cancellationToken);
        await AzureRequests.EnsureSuccessAsync(response, "check a Key Vault name", cancellationToken);
        var answer = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
        return (bool?)answer?["nameAvailable"] == true;
    }

    private void Say(string line) => output.WriteLine(line);
}
