using Azure.Identity;
using Sarthe.Bootstrap;
using Sarthe.Tools;

// Run by azd's hooks (azure.yaml) with the environment's outputs as variables; by hand, pass them as options.
var command = new CommandLine("dotnet run --project tools/Bootstrap --",
    "After `azd provision`: creates the enrolment master secret in the vault if it is missing (grants you Key Vault\n" +
    "Secrets Officer on the vault first if you lack it), restarts the app when it must re-read the secret and waits\n" +
    "for /api/health. Changes nothing when all is in place. Signs in as `azd auth login` (or `az login`) did.",
    "--health-wait 5");
var vaultId = command.Text("--vault-id", "", "resource id of the vault (default: $AZURE_KEY_VAULT_ID, an azd output)", "<id>");
var vaultUri = command.Text("--vault-uri", "", "https://<vault>.vault.azure.net/ (default: $AZURE_KEY_VAULT_URI)", "<url>");
var appId = command.Text("--app-id", "", "resource id of the Function App (default: $AZURE_FUNCTION_APP_ID)", "<id>");
var apiUrl = command.Text("--api-url", "", "https://<app>/api, whose /health is probed (default: $AZURE_FUNCTION_URI)", "<url>");
var healthWait = command.Int("--health-wait", 5, "minutes to wait for /api/health to answer 200; 0: do not wait (postprovision: the code is deployed after)");
if (!command.TryParse(args, out var exitCode))
{
    return exitCode;
}

// An option given wins over the azd output of the same meaning.
var values = new (Option<string> Option, string Variable)[]
    {
        (vaultId, "AZURE_KEY_VAULT_ID"), (vaultUri, "AZURE_KEY_VAULT_URI"), (appId, "AZURE_FUNCTION_APP_ID"), (apiUrl, "AZURE_FUNCTION_URI"),
    }
    .Select(o => (o.Option.Name, o.Variable, Value: o.Option.IsSet ? o.Option.Value : Environment.GetEnvironmentVariable(o.Variable) ?? ""))
    .ToList();
if (values.Find(v => string.IsNullOrWhiteSpace(v.Value)) is { Name: not null } missing)
{
    return command.Reject($"{missing.Name} is required (or {missing.Variable} in the environment, as azd's hooks have it)");
}

if (!Uri.TryCreate(values[1].Value, UriKind.Absolute, out var vault) || !Uri.TryCreate(values[3].Value.TrimEnd('/') + "/health", UriKind.Absolute, out var health))
{
    return command.Reject("--vault-uri and --api-url must be absolute URLs");
}

using var stop = new StopSignal("bootstrap (nothing it started keeps running)");
using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(100) };
var credential = new ChainedTokenCredential(new AzureDeveloperCliCredential(), new AzureCliCredential());
var target = new BootstrapTarget(values[0].Value, vault, values[2].Value, health) { HealthWaitMinutes = healthWait.Value };
return await stop.RunAsync(async token =>
{
    try
    {
        return await new Bootstrapper(http, credential, Console.Out, TimeProvider.System).RunAsync(target, token);
    }
    catch (Exception ex) when (ex is InvalidOperationException or AuthenticationFailedException && !stop.IsRequested)
    {
        Console.Error.WriteLine($"Bootstrap stopped: {ex.Message.Split('\n')[0].Trim()}");
        return 1;
    }
});
