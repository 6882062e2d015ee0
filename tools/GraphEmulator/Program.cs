using Sarthe.GraphEmulator;
using Sarthe.Tools;

var command = new CommandLine("dotnet run --project tools/GraphEmulator --",
    "The Graph emulator on its own: the Autopilot subset of Microsoft Graph the backend calls, with Intune's throttling.",
    "--urls http://localhost:5081 --GraphEmulator:TimeScale 10");
var urls = command.Text("--urls", "http://localhost:5081", "listen address", "<url>");
command.AcceptSettings(GraphEmulatorOptions.IsSettingName, $"--{GraphEmulatorOptions.Section}:<Name> <value>",
    "the emulator's behaviour (GraphEmulatorOptions); names and defaults:\n  " + GraphEmulatorOptions.DescribeDefaults().Replace("\n", "\n  ", StringComparison.Ordinal));
if (!command.TryParse(args, out var exitCode))
{
    return exitCode;
}

// Environment variables (GraphEmulator__TimeScale, urls) and the command line, as for any ASP.NET Core app.
var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args).Build();
GraphEmulatorOptions options;
try
{
    options = configuration.GetSection(GraphEmulatorOptions.Section).Get<GraphEmulatorOptions>() ?? new GraphEmulatorOptions();
}
catch (InvalidOperationException ex)
{
    // A value binding cannot convert: "Failed to convert configuration value at 'GraphEmulator:TimeScale' ...".
    return command.Reject(ex.Message);
}

using var stop = new StopSignal("Graph emulator");
await using var emulator = await RunningGraphEmulator.StartAsync(options, configuration["urls"] ?? urls.Value);
Console.WriteLine($"Graph emulator listening: {emulator.GraphBaseUrl} (counters: {emulator.Root}_emulator/counters). Ctrl+C to stop.");
await stop.WaitAsync();
return 0;
