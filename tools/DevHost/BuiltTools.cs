using System.Reflection;
using System.Runtime.InteropServices;

namespace Sarthe.DevHost;

/// <summary>Where the programs this run starts are: node for Azurite, dotnet and the built dev host and emulator.</summary>
public static class BuiltTools
{
    /// <summary>tools/X/bin/&lt;this build's configuration&gt;/&lt;framework&gt;/Sarthe.X.dll (the project references build them first).</summary>
    public static string Dll(string tool)
    {
        var configuration = typeof(BuiltTools).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var framework = $"net{Environment.Version.Major}.{Environment.Version.Minor}";
        var dll = Path.Combine(RepositoryPaths.Root, "tools", tool, "bin", configuration, framework, $"Sarthe.{tool}.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} is missing: build the solution (dotnet build -c {configuration}) first.");
    }

    /// <summary>The dotnet host this program runs under (not an app host), so children use the same runtime.</summary>
    public static string Dotnet()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            return Environment.ProcessPath!;
        }

        // .../dotnet/shared/Microsoft.NETCore.App/10.0.x/ → .../dotnet/dotnet
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var candidate = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(candidate) ? candidate : "dotnet";
    }

    public static string Node() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(directory => Path.Combine(directory, "node"))
        .FirstOrDefault(File.Exists) ?? throw new InvalidOperationException("Node.js ('node') is needed to run Azurite and was not found on PATH.");

    public static string AzuriteScript()
    {
        var script = Path.Combine(RepositoryPaths.Root, "node_modules", "azurite", "dist", "src", "azurite.js");
        return File.Exists(script) ? script : throw new InvalidOperationException($"Azurite is not installed ({script} is missing): run 'npm ci' in {RepositoryPaths.Root}.");
    }
}
