using System.Globalization;
using Sarthe.DevHost;
using Sarthe.StormBenchmark;
using Sarthe.Tools;

if (!StormSettings.TryParse(args, out var settings, out var exitCode))
{
    return exitCode;
}

using var stop = new StopSignal("storm benchmark, its dev host and Azurite");
return await stop.RunAsync(cancellationToken => RunAsync(settings, cancellationToken));

static async Task<int> RunAsync(StormSettings settings, CancellationToken cancellationToken)
{
    var model = new RealisticModel(settings);
    var fleet = BenchmarkFleet.InProportionToPupils(settings.Devices, settings.Seed);
    Console.WriteLine($"First-boot storm under Intune's model: {fleet.Count} devices over {fleet.Select(d => d.SchoolUai).Distinct().Count()} schools, " +
                      $"{settings.Concurrency} clients, time scale {F(settings.TimeScale)}, other apps {settings.BackgroundWrites} writes / {settings.BackgroundRequests} requests " +
                      $"per window, {Environment.ProcessorCount} cores, load average {LoadAverage()}.");
    Console.WriteLine($"Product settings: {string.Join(", ", model.ProductSettings().Select(s => $"{s.Key}={s.Value}"))}");

    if (settings.QueueProbe)
    {
        await QueueProbe.RunAsync(settings.Devices, cancellationToken);
        return 0;
    }

    if (settings.Probe)
    {
        Console.WriteLine("Probing raw Azurite throughput (the machine's storage limit) ...");
        var probe = await StorageProbe.RunAsync(4000, settings.Concurrency, cancellationToken);
        Console.WriteLine($"Azurite at {settings.Concurrency} concurrent: {F(probe.SmallInsertsPerSecond, "F0")} small inserts/s, {F(probe.DeviceSizedInsertsPerSecond, "F0")} device-sized (4 KB hash) inserts/s, {F(probe.QueueSendsPerSecond, "F0")} queue sends/s");
        if (settings.ProbeOnly)
        {
            return 0;
        }
    }

    var results = new List<RunResult> { await StormRun.RunAsync(settings, model, fleet, cancellationToken) };
    if (settings.Baseline)
    {
        var devices = fleet.Take(Math.Min(settings.BaselineDevices, fleet.Count)).ToList();
        results.Add(await BaselineRun.RunAsync(settings, model, devices, cancellationToken));
    }

    Report.Print(settings, model, results);
    Console.WriteLine($"Load average at the end: {LoadAverage()}.");
    return results.Any(r => r.Lost != 0 || r.RecordsLeft != 0 || r.RealTenant is { Met: false }) ? 1 : 0;
}

// The machine is shared: the figures are only comparable with its load beside them.
static string LoadAverage() =>
    File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

static string F(double v, string format = "0.##") => v.ToString(format, CultureInfo.InvariantCulture);
