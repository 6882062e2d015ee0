using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using System.Text.Json.Nodes;
using Sarthe.DevHost;

namespace Sarthe.Enrolment.Tests.Client;

/// <summary>
/// What the device looks like to the script: what its CIM classes and its Autopilot registry key hold, and how far
/// its clock is off. Defaults: an HP laptop with a hash of its own and no Autopilot profile.
/// </summary>
public sealed record FakeDevice(string Serial)
{
    public string? HardwareHash { get; init; } = Convert.ToBase64String(Infrastructure.Enroller.HashOf(Serial));

    public int[] ChassisTypes { get; init; } = [10];

    public int PcSystemType { get; init; } = 2;

    public int? PcSystemTypeEx { get; init; }

    public string Manufacturer { get; init; } = "HP";

    public string Model { get; init; } = "ProBook 450 G9";

    public string? AssetTag { get; init; } = "No Asset Tag";

    /// <summary>CloudAssignedTenantId under HKLM\SOFTWARE\Microsoft\Provisioning\Diagnostics\AutoPilot, when it has a profile.</summary>
    public string? AutopilotTenantId { get; init; }

    public TimeSpan ClockOffset { get; init; }
}

/// <summary>One run of the script: its exit code, its log, what it wrote to the pipeline, and what it asked of the machine.</summary>
public sealed record ScriptRun(int ExitCode, string Log, IReadOnlyList<PSObject> Output, int Restarts, IReadOnlyList<int> Sleeps, IReadOnlyList<string> CimReads, string Errors)
{
    public override string ToString() => $"exit {ExitCode}, {Restarts} restart(s), sleeps [{string.Join(", ", Sleeps)}]\n{Log}\n{Errors}";
}

/// <summary>
/// Runs client/Enrol-Device.ps1 as written, in PowerShell 7 hosted in the test process (Microsoft.PowerShell.SDK), with
/// the commands that touch the machine shadowed by test functions of the same name (a function wins over a cmdlet in
/// PowerShell's command lookup): Get-CimInstance and Get-ItemProperty answer from a <see cref="FakeDevice"/>,
/// Restart-Computer only counts, Get-Date is the device's clock (offset as the device says), Start-Sleep records each
/// wait and then really waits. HTTP is real: the script talks to the backend through the URL in its configuration.
/// </summary>
public static class EnrolmentScript
{
    public static string ScriptPath => Path.Combine(RepositoryPaths.Root, "client", "Enrol-Device.ps1");

    private const string Shadows = """
        function global:Get-CimInstance {
            [CmdletBinding()]
            param([string]$ClassName, [string]$Namespace = 'root/cimv2', [string]$Filter)
            $d = $global:TestDevice
            [void]$global:CimReads.Add($ClassName)
            switch ($ClassName) {
                'Win32_BIOS' { [pscustomobject]@{ SerialNumber = $d.Serial } }
                'Win32_ComputerSystem' { [pscustomobject]@{ Manufacturer = $d.Manufacturer; Model = $d.Model; PCSystemType = [uint16]$d.PCSystemType; PCSystemTypeEx = $d.PCSystemTypeEx } }
                'Win32_SystemEnclosure' { [pscustomobject]@{ ChassisTypes = [uint16[]]$d.ChassisTypes; SMBIOSAssetTag = $d.AssetTag } }
                'MDM_DevDetail_Ext01' {
                    if ($Namespace -ne 'root/cimv2/mdm/dmmap' -or $Filter -ne "InstanceID='Ext' AND ParentID='./DevDetail'") { throw "Unexpected MDM query: $Namespace $Filter" }
                    if ($d.HardwareHash) { [pscustomobject]@{ DeviceHardwareData = $d.HardwareHash } } else { Write-Error 'Access denied' }
                }
                default { throw "Unexpected CIM class $ClassName" }
            }
        }
        function global:Get-ItemProperty {
            [CmdletBinding()]
            param([string]$Path, [string]$Name)
            if ($Path -eq 'HKLM:\SOFTWARE\Microsoft\Provisioning\Diagnostics\AutoPilot' -and $global:TestDevice.AutopilotTenantId) {
                [pscustomobject]@{ CloudAssignedTenantId = $global:TestDevice.AutopilotTenantId }
            } else {
                Write-Error "Cannot find path '$Path' because it does not exist."
            }
        }
        function global:Restart-Computer { [CmdletBinding()] param([switch]$Force) $global:Restarts++ }
        function global:Get-Date { (Microsoft.PowerShell.Utility\Get-Date).AddSeconds($global:ClockOffsetSeconds) }
        function global:Start-Sleep { [CmdletBinding()] param([int]$Seconds) [void]$global:Sleeps.Add($Seconds); Microsoft.PowerShell.Utility\Start-Sleep -Seconds $Seconds }
        """;

    /// <summary>
    /// Calls one function of the script on its own, with one argument: its definition is taken from the script's syntax
    /// tree, so the test calls the code the device runs, without running the script.
    /// </summary>
    public static string CallFunction(string name, string argument)
    {
        var ast = Parser.ParseFile(ScriptPath, out _, out var errors);
        Assert.Empty(errors);
        var definition = (FunctionDefinitionAst)ast.Find(a => a is FunctionDefinitionAst f && f.Name == name, searchNestedScriptBlocks: false)!;
        using var shell = PowerShell.Create();
        shell.AddScript("Set-StrictMode -Version 2.0\n" + definition.Extent.Text + "\n" + name + " $args[0]").AddArgument(argument);
        var output = shell.Invoke();
        Assert.False(shell.HadErrors, string.Join("\n", shell.Streams.Error));
        return (string)output.Single().BaseObject;
    }

    /// <summary>A configuration as the provisioning bundle writes it, with short waits for tests.</summary>
    public static JsonObject Config(Uri endpoint, string schoolUai, byte[] key, double timeoutMinutes = 1, int maxAttempts = 4) => new()
    {
        ["endpoint"] = endpoint.ToString().TrimEnd('/'),
        ["schoolUai"] = schoolUai,
        ["key"] = Convert.ToBase64String(key),
        ["keyId"] = "test",
        ["timeoutMinutes"] = timeoutMinutes,
        ["maxAttempts"] = maxAttempts,
        ["retryBaseSeconds"] = 1,
    };

    /// <summary>
    /// Runs the script (the repository's, or <paramref name="scriptPath"/>) for <paramref name="device"/> with this
    /// configuration written in <paramref name="folder"/>, its log there too; without a configuration, the script reads
    /// the one beside it.
    /// </summary>
    public static Task<ScriptRun> RunAsync(FakeDevice device, JsonObject? config, string folder, IDictionary? arguments = null, string? scriptPath = null) => Task.Run(() =>
    {
        Directory.CreateDirectory(folder);
        var logs = Path.Combine(folder, "logs");
        var parameters = new Hashtable { ["LogDirectory"] = logs };
        if (config is not null)
        {
            var configPath = Path.Combine(folder, "enrolment.config.json");
            File.WriteAllText(configPath, config.ToJsonString());
            parameters["ConfigPath"] = configPath;
        }

        foreach (DictionaryEntry argument in arguments ?? new Hashtable())
        {
            parameters[argument.Key] = argument.Value;
        }

        using var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        runspace.Open();
        runspace.SessionStateProxy.SetVariable("TestDevice", new Hashtable
        {
            ["Serial"] = device.Serial, ["HardwareHash"] = device.HardwareHash, ["ChassisTypes"] = device.ChassisTypes, ["PCSystemType"] = device.PcSystemType,
            ["PCSystemTypeEx"] = device.PcSystemTypeEx, ["Manufacturer"] = device.Manufacturer, ["Model"] = device.Model, ["AssetTag"] = device.AssetTag,
            ["AutopilotTenantId"] = device.AutopilotTenantId,
        });
        runspace.SessionStateProxy.SetVariable("ClockOffsetSeconds", device.ClockOffset.TotalSeconds);
        runspace.SessionStateProxy.SetVariable("Restarts", 0);
        runspace.SessionStateProxy.SetVariable("Sleeps", new List<int>());
        runspace.SessionStateProxy.SetVariable("CimReads", new List<string>());
        runspace.SessionStateProxy.SetVariable("ScriptArguments", parameters);

        using var shell = PowerShell.Create(runspace);
        shell.AddScript(Shadows).Invoke();
        shell.Commands.Clear();
        shell.AddScript($"$a = $global:ScriptArguments; & '{(scriptPath ?? ScriptPath).Replace("'", "''", StringComparison.Ordinal)}' @a; $LASTEXITCODE");
        var output = shell.Invoke().ToList();

        var exitCode = output.LastOrDefault()?.BaseObject is int code ? code : -1;
        var logFile = Path.Combine(logs, "enrol-device.log");
        return new ScriptRun(
            exitCode,
            File.Exists(logFile) ? File.ReadAllText(logFile) : "",
            output.Take(Math.Max(0, output.Count - 1)).ToList(),
            (int)runspace.SessionStateProxy.GetVariable("Restarts"),
            (List<int>)runspace.SessionStateProxy.GetVariable("Sleeps"),
            (List<string>)runspace.SessionStateProxy.GetVariable("CimReads"),
            string.Join("\n", shell.Streams.Error.Select(e => e.ToString())));
    });
}
