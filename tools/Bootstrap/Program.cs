using Azure.Identity;
using Sarthe.Bootstrap;
using Sarthe.Tools;

// Run by azd's hooks (azure.yaml) with the environment's outputs as variables; by hand, pass them as options.
var command = new CommandLine("dotnet run --project tools/Bootstrap --",
    "After `azd provision`: creates the enrolment master secret in the vault if it is missing (grants you Key Vault\n" +
    "Secrets Officer on the vault first if you lack it), restarts the app when it must re-read the secret and waits\n" +
    "for /api/health. Changes nothing when all is in place. Signs in as `azd auth login` (or `az login`) did.\n" +
    "With --before-provision (the preprovision hook): chooses the vault's name and create mode (recover after azd down)\n" +
    "and writes them to the azd environment (KEY_VAULT_NAME, KEY_VAULT_CREATE_MODE).",
    "--health-wait 5");
var beforeProvision = command.Flag("--before-provision", "choose the vault's name and create mode for the next provision, then stop (preprovision hook)");
var vaultId = command.Text("--vault-id", "", "resource id of the vault (default: $AZURE_KEY_VAULT_ID, an azd output)", "<id>");
var vaultUri = command.Text("--vault-uri", "", "https://<vault>.vault.azure.net/ (default: $AZURE_KEY_VAULT_URI)", "<url>");
var appId = command.Text("--app-id", "", "resource id of the Function App (default: $AZURE_FUNCTION_APP_ID)", "<id>");
var apiUrl = command.Text("--api-url", "", "https://<app>/api, whose /health is probed (default: $AZURE_FUNCTION_URI)", "<url>");
var healthWait = command.Int("--health-wait", 5, "minutes to wait for /api/health to answer 200; 0: do not wait (postprovision: the code is deployed after)");
if (!command.TryParse(args, out var exitCode))
{
    return exitCode;
}

if (beforeProvision.Value)
{
    return await PlanVaultAsync(command);
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

// The preprovision hook: azd's environment gives the subscription, the environment (its resource group is rg-<name>,
// infra/main.bicep) and the region; the vault's name is the environment's, else the last provision's output.
static async Task<int> PlanVaultAsync(CommandLine command)
{
    string Value(string name) => Environment.GetEnvironmentVariable(name) ?? "";
    var required = new[] { "AZURE_SUBSCRIPTION_ID", "AZURE_ENV_NAME", "AZURE_LOCATION" };
    if (required.FirstOrDefault(v => Value(v).Length == 0) is { } missing)
    {
        return command.Reject($"{missing} is required in the environment (azd's hooks have it)");
    }

    var known = Value(KeyVaultPlanner.NameVariable) is { Length: > 0 } set ? set : Value("AZURE_KEY_VAULT_NAME");
    using var stop = new StopSignal("bootstrap (nothing it started keeps running)");
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(100) };
    var credential = new ChainedTokenCredential(new AzureDeveloperCliCredential(), new AzureCliCredential());
    var target = new ProvisionTarget(Value("AZURE_SUBSCRIPTION_ID"), "rg-" + Value("AZURE_ENV_NAME"), Value("AZURE_LOCATION"));
    return await stop.RunAsync(async token =>
    {
        try
        {
            var plan = await new KeyVaultPlanner(http, credential, Console.Out).PlanAsync(target, known, token);
            foreach (var (name, value) in new[] { (KeyVaultPlanner.NameVariable, plan.Name), (KeyVaultPlanner.CreateModeVariable, plan.CreateMode) })
            {
                if (Value(name) != value && !await SetAzdValueAsync(name, value, token))
                {
                    Console.Error.WriteLine($"Bootstrap stopped: could not run `azd env set {name} {value}`; run it yourself, then `azd provision`.");
                    return 1;
                }
            }

            return 0;
        }
        catch (Exception ex) when (ex is InvalidOperationException or AuthenticationFailedException && !stop.IsRequested)
        {
            Console.Error.WriteLine($"Bootstrap stopped: {ex.Message.Split('\n')[0].Trim()}");
            return 1;
        }
    });
}

static async Task<bool> SetAzdValueAsync(string name, string value, CancellationToken cancellationToken)
{
    var start = new System.Diagnostics.ProcessStartInfo("azd") { ArgumentList = { "env", "set", name, value }, UseShellExecute = false };
    try
    {
        using var process = System.Diagnostics.Process.Start(start)!;
        await process.WaitForExitAsync(cancellationToken);
        return process.ExitCode == 0;
    }
    catch (System.ComponentModel.Win32Exception)
    {
        return false; // azd is not on the PATH
    }
}
