using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Identity;
using Microsoft.Graph;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Authentication.Azure;
using Sarthe.Enrolment.Graph;
using Sarthe.Enrolment.Schools;
using Sarthe.Tools;
using Sarthe.TenantSetup;

var command = new CommandLine("dotnet run --project tools/TenantSetup --",
    "Creates or brings in line the programme's tenant objects, with YOUR delegated rights (Intune Administrator and\n" +
    "Groups Administrator, or more): the dynamic device groups on the Autopilot group tag ([OrderID]), one for the\n" +
    "programme or one per school, and one Windows Autopilot deployment profile (Microsoft Entra join) assigned to them.\n" +
    "Finds everything by display name; changes only what differs; deletes nothing. Running it twice changes nothing.\n" +
    "Exit codes: 0 done (or dry run), 1 Graph refused or failed, 2 command-line mistake, 130 stopped (Ctrl+C).",
    "--dry-run --groups per-school");
var graphUrl = command.Text("--graph-url", "https://graph.microsoft.com/v1.0", "Graph v1.0 base URL (the Graph emulator's in tests)", "<url>");
var credentialKind = command.Text("--credential", "device-code", "device-code (sign in on another device), azure-cli (`az login`'s account; its token may lack Intune scopes) or emulator", "<kind>");
var tenantId = command.Text("--tenant-id", "", "your tenant (directory) id, for device-code (default: your account's home tenant)", "<id>");
var clientId = command.Text("--client-id", "14d82eec-204b-4c2f-b7e8-296a70dab67e", "public client for device-code (default: Microsoft Graph Command Line Tools)", "<id>");
var layout = command.Text("--groups", "programme", "programme: one group for every tag starting with --tag-prefix; per-school: one group per school's tag", "<layout>");
var schoolList = command.Text("--schools", "", "UAIs for per-school groups, comma-separated (default: the 56 bundled collèges)", "<uai,...>");
var tagPrefix = command.Text("--tag-prefix", "072", "tag prefix of the programme group's rule (Sarthe's UAIs start with 072)", "<prefix>");
var groupName = command.Text("--group-name", "Sarthe colleges Autopilot", "the group's display name (per school: followed by the UAI)", "<name>");
var profileName = command.Text("--profile-name", "Sarthe colleges", "the deployment profile's display name", "<name>");
var language = command.Text("--language", "fr-FR", "OOBE language (a locale such as fr-FR, or os-default)", "<locale>");
var nameTemplate = command.Text("--device-name-template", "CLG-%SERIAL%", "device name template: letters, digits, '-', %SERIAL% or %RAND:n%; 15 characters at most once expanded", "<template>");
var userType = command.Text("--user-type", "standard", "account type of the user at OOBE: standard or administrator", "<type>");
var deviceUsage = command.Text("--device-usage", "singleUser", "singleUser or shared", "<usage>");
var showPrivacy = command.Flag("--show-privacy-settings", "show the privacy settings page (hidden by default)");
var showEula = command.Flag("--show-eula", "show the licence terms page (hidden by default)");
var showKeyboard = command.Flag("--show-keyboard-selection", "show the keyboard selection page (skipped by default)");
var dryRun = command.Flag("--dry-run", "print what would be created or changed; write nothing");
if (!command.TryParse(args, out var exitCode))
{
    return exitCode;
}

if (layout.Value is not ("programme" or "per-school"))
{
    return command.Reject($"--groups must be programme or per-school, got '{layout.Value}'");
}

if (userType.Value is not ("standard" or "administrator") || deviceUsage.Value is not ("singleUser" or "shared"))
{
    return command.Reject("--user-type must be standard or administrator, and --device-usage singleUser or shared");
}

// memdocs autopilot/profiles.md ("Apply device name template"): 15 characters or less, letters, numbers and hyphens, with %SERIAL% or %RAND:x%.
if (!Regex.IsMatch(nameTemplate.Value, "^([A-Za-z0-9-]|%SERIAL%|%RAND:[0-9]+%)+$") || Regex.Replace(nameTemplate.Value, "%SERIAL%|%RAND:[0-9]+%", "").Length > 14)
{
    return command.Reject($"--device-name-template must hold letters, digits, '-', %SERIAL% or %RAND:n%, with room left in Windows' 15 characters; got '{nameTemplate.Value}'");
}

var uais = schoolList.Value.Length > 0
    ? schoolList.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(u => u.ToUpperInvariant()).ToList()
    : BundledSchoolRegistry.Load().Where(s => s.Active).Select(s => s.Uai).ToList();
if (uais.Find(u => !SchoolUai.IsValid(u)) is { } badUai)
{
    return command.Reject($"--schools holds '{badUai}', which is not a valid UAI");
}

TokenCredential? credential = credentialKind.Value switch
{
    "device-code" => new DeviceCodeCredential(new DeviceCodeCredentialOptions
    {
        TenantId = tenantId.Value.Length > 0 ? tenantId.Value : null,
        ClientId = clientId.Value,
        DeviceCodeCallback = (code, _) =>
        {
            Console.Error.WriteLine(code.Message);
            return Task.CompletedTask;
        },
    }),
    "azure-cli" => new AzureCliCredential(),
    "emulator" => new EmulatorTokenCredential("tenant-setup-operator"),
    _ => null,
};
if (credential is null)
{
    return command.Reject($"--credential must be device-code, azure-cli or emulator, got '{credentialKind.Value}'");
}

if (!Uri.TryCreate(graphUrl.Value, UriKind.Absolute, out var graphUri))
{
    return command.Reject($"--graph-url must be an absolute URL, got '{graphUrl.Value}'");
}

var profile = new ProfileSettings(
    profileName.Value,
    "Windows Autopilot profile of the département's collège devices (tools/TenantSetup).",
    language.Value,
    nameTemplate.Value,
    userType.Value,
    deviceUsage.Value,
    HidePrivacySettings: !showPrivacy.Value,
    HideEula: !showEula.Value,
    SkipKeyboardSelectionPage: !showKeyboard.Value,
    HideEscapeLink: true);
var plan = TenantPlan.For(layout.Value == "programme" ? GroupLayout.Programme : GroupLayout.PerSchool, uais, tagPrefix.Value, groupName.Value, profile);

// The operator's delegated scopes: the profile (Intune) and the groups (Entra). The app's own identity never holds these.
string[] scopes = credentialKind.Value == "azure-cli"
    ? ["https://graph.microsoft.com/.default"]
    : ["https://graph.microsoft.com/DeviceManagementServiceConfig.ReadWrite.All", "https://graph.microsoft.com/Group.ReadWrite.All"];
var graph = new GraphServiceClient(new AzureIdentityAuthenticationProvider(credential, [graphUri.Host], scopes: scopes), graphUri.ToString().TrimEnd('/'));
using var stop = new StopSignal("tenant setup (what was written stays; run again to finish)");
return await stop.RunAsync(async token =>
{
    try
    {
        Console.WriteLine($"{(dryRun.Value ? "Dry run against" : "Setting up")} {graphUri.Host}: {plan.Groups.Count} group(s), profile \"{profile.DisplayName}\".");
        await new TenantSetupRunner(graph, new GraphOptions { BaseUrl = graphUri.ToString() }, Console.Out).RunAsync(plan, dryRun.Value, token);
        return 0;
    }
    catch (ODataError ex) when (!stop.IsRequested)
    {
        Console.Error.WriteLine($"Graph refused ({ex.ResponseStatusCode} {ex.Error?.Code}): {ex.Error?.Message?.Split('\n')[0].Trim() ?? ex.Message}");
        if (ex.ResponseStatusCode == 403)
        {
            Console.Error.WriteLine("Your account needs Intune Administrator and Groups Administrator (or Global Administrator), and consent to DeviceManagementServiceConfig.ReadWrite.All and Group.ReadWrite.All.");
        }

        return 1;
    }
    catch (Exception ex) when (ex is AuthenticationFailedException or CredentialUnavailableException or InvalidOperationException or HttpRequestException && !stop.IsRequested)
    {
        Console.Error.WriteLine($"Tenant setup stopped: {ex.Message.Split('\n')[0].Trim()}");
        return 1;
    }
});
