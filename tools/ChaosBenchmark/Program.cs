using Sarthe.ChaosBenchmark;
using Sarthe.Tools;

if (!ChaosSettings.TryParse(args, out var plan, out var exitCode))
{
    return exitCode;
}

using var stop = new StopSignal("the chaos run, its dev host, Graph emulator and Azurite");
return await stop.RunAsync(async cancellationToken =>
{
    Console.WriteLine($"Machine: {Environment.ProcessorCount} cores; load {Load()}");
    var result = await ChaosRun.RunAsync(plan, cancellationToken);
    Console.WriteLine();
    Console.Write(ChaosReport.Markdown(result));
    Console.WriteLine();
    Console.WriteLine($"Run took {result.TotalSeconds:F0} s; load at the end {Load()}; logs in {result.Folder}");
    Console.WriteLine(result.Failed ? "FAILED: lost, duplicate imports or audit anomalies are not 0." : "OK: lost 0, duplicate imports 0, audit anomalies 0.");
    return result.Failed ? 1 : 0;
});

// The machine's load average (1, 5, 15 min), as uptime prints it: others may be running benchmarks on it.
static string Load() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
