using System.Globalization;
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
    var fleet = Fleet.Generate(settings.Devices, settings.Seed);
    Console.WriteLine($"First-boot storm benchmark: {fleet.Count} devices over {fleet.Select(d => d.SchoolUai).Distinct().Count()} schools, " +
                      $"{settings.Concurrency} clients, Intune throttling (100 writes / 1,000 requests per 20 s) at time scale {settings.TimeScale}, {Environment.ProcessorCount} cores.");

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

    var results = new List<StormResult> { await StormRun.RunAsync("batched", settings, settings.BatchSize, fleet, cancellationToken) };
    if (settings.Baseline)
    {
        results.Add(await StormRun.RunAsync("per-device", settings, 1, fleet, cancellationToken));
    }

    Console.WriteLine();
    Console.WriteLine("| mode | devices | accepted/s | accept p50 ms | p95 ms | p99 ms | all settled after s | tail after last accept s | registered | failed | lost | Graph writes | writes/device | Graph requests | 429s | import actions |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    foreach (var r in results)
    {
        Console.WriteLine($"| {r.Mode} | {r.Devices} | {F(r.AcceptedPerSecond)} | {F(r.P50Ms)} | {F(r.P95Ms)} | {F(r.P99Ms)} | {F(r.DrainSeconds)} | {F(r.TailAfterLastAcceptSeconds)} | {r.Registered} | {r.Failed} | {r.Lost} | {r.GraphWrites} | {F(r.WritesPerDevice, "F4")} | {r.GraphRequests} | {r.Throttled} | {r.ImportActions} |");
    }

    if (results.Count == 2)
    {
        Console.WriteLine();
        Console.WriteLine($"Drain ratio (per-device / batched): {F(results[1].DrainSeconds / results[0].DrainSeconds)}x; " +
                          $"Graph writes ratio: {F((double)results[1].GraphWrites / Math.Max(1, results[0].GraphWrites))}x");
    }

    return results.Any(r => r.Lost != 0) ? 1 : 0;
}

static string F(double v, string format = "F1") => v.ToString(format, CultureInfo.InvariantCulture);
