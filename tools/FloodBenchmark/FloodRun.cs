using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sarthe.DevHost;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Schools;
using Sarthe.Tools;

namespace Sarthe.FloodBenchmark;

public sealed record FloodSettings(int Devices, int Clients, int Forged, int FloodClients, int Seed);

/// <summary>What one round measured: the real devices' answers, and the forged ones when the round was flooded.</summary>
public sealed record RoundResult(
    string Name, int FloodAddresses, int Devices, int Accepted, double Seconds, double P50Ms, double P95Ms, double P99Ms,
    int ForgedSent, int Forged401, int Forged429, int ForgedOther, double ForgedSeconds, double ForgedP99Ms)
{
    public bool Flooded => FloodAddresses > 0;

    public double AcceptedPerSecond => Accepted / Seconds;

    public double ForgedPerSecond => ForgedSent == 0 ? 0 : ForgedSent / ForgedSeconds;
}

/// <summary>
/// One dev host (Azurite, the Graph emulator, the pipeline running as in production), keys for the 56 collèges, then
/// rounds alone / flooded / flooded / alone. Real devices enrol from their school's address (a school's network is
/// one address behind its router); each flood client has its own address, as a botnet would.
/// </summary>
public static class FloodRun
{
    /// <summary>
    /// The front door is measured, not Intune: the registration work the accepted devices cause would grow round after
    /// round and weigh on the later ones (2 cores), so the sync and the sweep do not run (nor the hourly retention and
    /// the nightly report, which would land in whichever round their hour came).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> TimersOff = new[]
    {
        TriggerOptions.AutopilotSyncScheduleSetting, TriggerOptions.SweepScheduleSetting, TriggerOptions.RetentionScheduleSetting, TriggerOptions.FundingReportScheduleSetting,
    }.ToDictionary(name => name, _ => "0 0 0 1 1 *");

    public static async Task<int> RunAsync(FloodSettings settings, CancellationToken cancellationToken)
    {
        var schools = BundledSchoolRegistry.Load();
        Console.WriteLine($"Flood benchmark: {settings.Devices} real enrolments per round from {settings.Clients} clients; " +
                          $"{settings.Forged} forged requests from {settings.FloodClients} clients in flooded rounds; {Environment.ProcessorCount} cores.");
        Console.WriteLine("Starting the dev host (Azurite, Graph emulator, pipeline) with the product's default enrolment limits ...");
        // Clients stand for many addresses as Azure Front Door forwards them (the product never reads X-Forwarded-For).
        var options = SimulatedFrontDoor.Configure(new DevHostOptions { Port = 0, MinimumLogLevel = LogLevel.Critical });
        foreach (var (name, value) in TimersOff)
        {
            options.Settings[name] = value;
        }

        await using var host = await RunningDevHost.StartAsync(options, cancellationToken);
        using var real = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = settings.Clients * 2 }) { BaseAddress = host.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        using var flood = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = settings.FloodClients * 2 }) { BaseAddress = host.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        var keys = await BenchmarkKeys.IssueAsync(real, host.Tokens.CreateToken(["Enrolment.Admin"]), schools.Select(s => s.Uai), cancellationToken);
        var addresses = schools.Select((s, i) => (s.Uai, Address: $"10.72.{i}.1")).ToDictionary(s => s.Uai, s => s.Address);

        var random = new Random(settings.Seed);
        // Not measured: the first requests pay for JIT, connection pools and Azurite's first tables.
        Console.WriteLine("[warm-up] 200 real enrolments, 2,000 forged, not measured ...");
        var warmUp = await RoundAsync("warm-up", 0, settings.FloodClients, Requests(BenchmarkFleet.Numbered(random, schools, 200, "FLD0")), keys, addresses, schools, settings with { Forged = 2000 }, real, flood, random.Next(), cancellationToken);

        var results = new List<RoundResult>();
        // Alone and flooded alternate (ABBA) so that drift cancels out; each flood comes from addresses of its own, under
        // their limit. A last flood comes from 4 addresses only: past their burst it is answered 429.
        (string Name, int FloodAddresses)[] order =
            [("alone", 0), ("flooded", settings.FloodClients), ("flooded", settings.FloodClients), ("alone", 0), ("flooded, 4 addresses", 4)];
        for (var round = 0; round < order.Length; round++)
        {
            var (name, floodAddresses) = order[round];
            var fleet = Requests(BenchmarkFleet.Numbered(random, schools, settings.Devices, $"FLD{round + 1}"));
            Console.WriteLine($"[round {round + 1}, {name}] {fleet.Count} real enrolments{(floodAddresses > 0 ? $" under {settings.Forged} forged requests" : "")} ...");
            results.Add(await RoundAsync($"{round + 1} {name}", round + 1, floodAddresses, fleet, keys, addresses, schools, settings, real, flood, random.Next(), cancellationToken));
        }

        Console.WriteLine("Counting what the floods left in the audit trail (the last minute's counts are flushed now) ...");
        await host.Services.GetRequiredService<RejectionTally>().FlushAsync(everything: true, cancellationToken);
        var refused = warmUp.Forged401 + results.Sum(r => r.Forged401);
        var (entries, attempts) = await RejectionEntriesAsync(host, refused, cancellationToken);

        Print(results, settings.FloodClients, entries, attempts, refused);
        return results.All(r => r.Accepted == r.Devices) ? 0 : 1;
    }

    private static async Task<RoundResult> RoundAsync(
        string name, int round, int floodAddresses, IReadOnlyList<(FleetDevice Device, byte[] Body)> fleet, IReadOnlyDictionary<string, byte[]> keys,
        IReadOnlyDictionary<string, string> addresses, IReadOnlyList<School> schools, FloodSettings settings, HttpClient real, HttpClient flood,
        int seed, CancellationToken cancellationToken)
    {
        var flooded = floodAddresses > 0;
        var latencies = new ConcurrentBag<double>();
        var accepted = 0;
        var forgedStatuses = new ConcurrentDictionary<int, int>();
        var forgedLatencies = new ConcurrentBag<double>();
        var clock = Stopwatch.StartNew();

        await using (new Heartbeat(() => $"  {clock.Elapsed.TotalSeconds,5:F0} s  real accepted {Volatile.Read(ref accepted)}/{fleet.Count}" +
                                         (flooded ? $", forged answered {forgedStatuses.Values.Sum()}/{settings.Forged}" : "")))
        {
            var storm = ConcurrentClients.RunAsync(settings.Clients, fleet.Count, _ => async i =>
            {
                var device = fleet[i];
                var started = Stopwatch.GetTimestamp();
                using var response = await real.SendAsync(SignedEnrolment.Create(device.Body, keys[device.Device.SchoolUai], addresses[device.Device.SchoolUai]), cancellationToken);
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    Interlocked.Increment(ref accepted);
                }
                else
                {
                    Console.WriteLine($"  unexpected {(int)response.StatusCode} for real device {device.Device.Serial}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }
            });

            var forgeries = !flooded ? Task.FromResult(0.0) : FloodAsync();
            async Task<double> FloodAsync()
            {
                await ConcurrentClients.RunAsync(settings.FloodClients, settings.Forged, client =>
                {
                    var random = new Random(seed + client);
                    var address = $"198.18.{round}.{(client % floodAddresses) + 1}";
                    return async _ =>
                    {
                        var started = Stopwatch.GetTimestamp();
                        using var response = await flood.SendAsync(ForgedEnrolment.Create(random, schools, address), cancellationToken);
                        forgedLatencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        forgedStatuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                    };
                });
                return clock.Elapsed.TotalSeconds;
            }

            await storm;
            var seconds = clock.Elapsed.TotalSeconds;
            var forgedSeconds = await forgeries;

            var sorted = latencies.Order().ToArray();
            var forgedSorted = forgedLatencies.Order().ToArray();
            return new RoundResult(
                name, floodAddresses, fleet.Count, accepted, seconds, Percentile(sorted, 0.50), Percentile(sorted, 0.95), Percentile(sorted, 0.99),
                forgedStatuses.Values.Sum(), forgedStatuses.GetValueOrDefault(401), forgedStatuses.GetValueOrDefault(429),
                forgedStatuses.Where(s => s.Key is not (401 or 429)).Sum(s => s.Value), forgedSeconds, Percentile(forgedSorted, 0.99));
        }
    }

    /// <summary>Each device with its request body, made before the round so that its accept latency is the request's alone.</summary>
    private static List<(FleetDevice Device, byte[] Body)> Requests(IReadOnlyList<FleetDevice> fleet) =>
        fleet.Select(d => (d, SignedEnrolment.Body(d))).ToList();

    /// <summary>The rejection entries of the trail, once the audit queue has delivered every count (or after two minutes).</summary>
    private static async Task<(int Entries, int Attempts)> RejectionEntriesAsync(RunningDevHost host, int expectedAttempts, CancellationToken cancellationToken)
    {
        var table = new TableServiceClient(host.StorageConnectionString).GetTableClient(TableNames.AuditEvents);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var rows = await table.QueryAsync<TableEntity>(e => e.PartitionKey.CompareTo("school|") >= 0 && e.PartitionKey.CompareTo("school}") < 0)
                .Where(e => e.GetString("Type") == AuditEventTypes.DeviceEnrolmentRejected)
                .ToListAsync(cancellationToken);
            var attempts = rows.Sum(e => JsonNode.Parse(e.GetString("Data") ?? "{}")?["attempts"]?.GetValue<int>() ?? 1);
            if (attempts >= expectedAttempts || deadline.Elapsed > TimeSpan.FromMinutes(2))
            {
                return (rows.Count, attempts);
            }

            await Task.Delay(1000, cancellationToken);
        }
    }

    private static void Print(IReadOnlyList<RoundResult> results, int floodClients, int entries, int attempts, int refused)
    {
        Console.WriteLine();
        Console.WriteLine("| round | real devices | accepted | accepted/s | accept p50 ms | p95 ms | p99 ms | forged sent | forged 401 | forged 429 | other | forged/s | forged p99 ms |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            Console.WriteLine($"| {r.Name} | {r.Devices} | {r.Accepted} | {F(r.AcceptedPerSecond)} | {F(r.P50Ms)} | {F(r.P95Ms)} | {F(r.P99Ms)} | " +
                              $"{r.ForgedSent} | {r.Forged401} | {r.Forged429} | {r.ForgedOther} | {(r.Flooded ? F(r.ForgedPerSecond) : "-")} | {(r.Flooded ? F(r.ForgedP99Ms) : "-")} |");
        }

        var alone = results.Where(r => !r.Flooded).ToList();
        var flooded = results.Where(r => r.FloodAddresses == floodClients).ToList();
        Console.WriteLine();
        Console.WriteLine($"Real devices, mean of the ABBA rounds: accepted/s {F(alone.Average(r => r.AcceptedPerSecond))} alone, {F(flooded.Average(r => r.AcceptedPerSecond))} flooded; " +
                          $"accept p99 {F(alone.Average(r => r.P99Ms))} ms alone, {F(flooded.Average(r => r.P99Ms))} ms flooded.");
        Console.WriteLine($"Audit trail: {entries} device.enrolment_rejected entries carrying {attempts} refused attempts " +
                          $"({refused} forged requests answered 401, the warm-up's included; one entry per attempt would have been {refused} entries).");
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static string F(double value) => value.ToString("F1", CultureInfo.InvariantCulture);
}
