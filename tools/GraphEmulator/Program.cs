using System.Runtime.InteropServices;
using Sarthe.GraphEmulator;

// Standalone: dotnet run --project tools/GraphEmulator -- [--urls http://localhost:5081] [--GraphEmulator:TimeScale 10]
// Every GraphEmulatorOptions property binds from the section "GraphEmulator" (command line, environment GraphEmulator__…).
var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args).Build();
var options = configuration.GetSection(GraphEmulatorOptions.Section).Get<GraphEmulatorOptions>() ?? new GraphEmulatorOptions();
var url = configuration["urls"] ?? "http://localhost:5081";

await using var emulator = await RunningGraphEmulator.StartAsync(options, url);
Console.WriteLine($"Graph emulator listening: {emulator.GraphBaseUrl} (counters: {emulator.Root}_emulator/counters). Ctrl+C to stop.");
var stop = new TaskCompletionSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
await stop.Task;
Console.WriteLine("Graph emulator stopped.");

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.TrySetResult();
}
