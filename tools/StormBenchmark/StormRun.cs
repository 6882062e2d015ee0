using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Sarthe.DevHost;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Keys;
using Sarthe.Tools;

namespace Sarthe.StormBenchmark;

public sealed record StormResult(
    string Mode,
    int Devices,
    int Accepted,
    double AcceptSeconds,
    double AcceptedPerSecond,
    double P50Ms,
    double P95Ms,
    double P99Ms,
    double DrainSeconds,
    double TailAfterLastAcceptSeconds,
    int Registered,
    int Failed,
    int Lost,
    long GraphWrites,
    long GraphRequests,
    long Throttled,
    long ImportActions)
{
    public double WritesPerDevice => (double)GraphWrites / Devices;
}

/// <summary>One storm: a fresh dev host (Azurite, Graph emulator at Intune throttling), N signed enrolments from C clients, then the drain.</summary>
public static class StormRun
{
    public static async Task<StormResult> RunAsync(string mode, StormSettings settings, int batchSize, IReadOnlyList<FleetDevice> fleet, CancellationToken cancellationToken)
    {
        // Errors logged while the host stops (cancelled invocations) are noise here; failures show up as lost devices.
        var options = new DevHostOptions { Port = 0, MinimumLogLevel = LogLevel.Critical };
        options.GraphEmulator.TimeScale = settings.TimeScale;
        options.GraphEmulator.ImportProcessingDelay = TimeSpan.FromSeconds(3);
        options.GraphEmulator.MaxPageSize = 500;
        options.Settings["Registration:ImportBatchSize"] = batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        options.Settings["Registration:FirstPollDelay"] = Scaled(TimeSpan.FromSeconds(4), settings.TimeScale);
        options.Settings["Registration:PollInterval"] = Scaled(TimeSpan.FromSeconds(3), settings.TimeScale);
        options.Settings["Registration:MaxPolls"] = "1000";
        options.Settings["Registration:StuckAfter"] = "01:00:00";
        options.Settings["Graph:RetryDelaySeconds"] = "1";

        Console.WriteLine($"[{mode}] starting dev host (Azurite, Graph emulator at Intune throttling, time scale {settings.TimeScale})...");
        await using var host = await RunningDevHost.StartAsync(options, cancellationToken);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = settings.Concurrency * 2 }) { BaseAddress = host.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        var keys = await IssueKeysAsync(http, host, fleet.Select(d => d.SchoolUai).Distinct(), cancellationToken);

        Console.WriteLine($"[{mode}] storm: {fleet.Count} devices, {settings.Concurrency} concurrent clients, import batch size {batchSize}");
        var latencies = new double[fleet.Count];
        var accepted = 0;
        var next = -1;
        var clock = Stopwatch.StartNew();
        await using var progress = new Heartbeat(() => $"[{mode}]   {clock.Elapsed.TotalSeconds,6:F0} s  accepted {Volatile.Read(ref accepted)}/{fleet.Count}");
        await Task.WhenAll(Enumerable.Range(0, settings.Concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < fleet.Count)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await SendAsync(http, fleet[i], keys[fleet[i].SchoolUai], cancellationToken);
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    Interlocked.Increment(ref accepted);
                }
                else
                {
                    Console.WriteLine($"[{mode}]   unexpected {(int)response.StatusCode} for {fleet[i].Serial}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }
            }
        }));
        var acceptSeconds = clock.Elapsed.TotalSeconds;
        await progress.DisposeAsync();

        var (registered, failed) = (0, 0);
        var deadline = clock.Elapsed + settings.Timeout;
        var lastReport = TimeSpan.Zero;
        while (clock.Elapsed < deadline)
        {
            var graph = host.Graph!.State.Counters;
            if (graph.IdentitiesImported >= fleet.Count || clock.Elapsed - lastReport > TimeSpan.FromSeconds(10))
            {
                (registered, failed) = await SettledDevices.CountAsync(host, cancellationToken);
                if (clock.Elapsed - lastReport > TimeSpan.FromSeconds(10))
                {
                    lastReport = clock.Elapsed;
                    Console.WriteLine($"[{mode}]   {clock.Elapsed.TotalSeconds,6:F0} s  registered {registered}, failed {failed}, Graph writes {graph.Writes}, 429s {graph.Throttled}");
                }

                if (registered + failed >= accepted)
                {
                    break;
                }
            }

            await Task.Delay(500, cancellationToken);
        }

        var drainSeconds = clock.Elapsed.TotalSeconds;
        var counters = host.Graph!.State.Counters;
        Array.Sort(latencies);
        return new StormResult(
            mode, fleet.Count, accepted, acceptSeconds, accepted / acceptSeconds,
            Percentile(latencies, 0.50), Percentile(latencies, 0.95), Percentile(latencies, 0.99),
            drainSeconds, drainSeconds - acceptSeconds, registered, failed, fleet.Count - registered - failed,
            counters.Writes, counters.Requests, counters.Throttled, counters.ImportActions);
    }

    private static string Scaled(TimeSpan value, double scale) => TimeSpan.FromTicks((long)(value.Ticks / scale)).ToString();

    private static async Task<Dictionary<string, byte[]>> IssueKeysAsync(HttpClient http, RunningDevHost host, IEnumerable<string> schools, CancellationToken cancellationToken)
    {
        var keys = new Dictionary<string, byte[]>();
        var token = host.Tokens.CreateToken(["Enrolment.Admin"]);
        foreach (var uai in schools)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/schools/{uai}/enrolment-keys");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request, cancellationToken);
            response.EnsureSuccessStatusCode();
            keys[uai] = Convert.FromBase64String((await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("key").GetString()!);
        }

        return keys;
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient http, FleetDevice device, byte[] key, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["serialNumber"] = device.Serial,
            ["schoolUai"] = device.SchoolUai,
            ["deviceType"] = device.DeviceType,
            ["manufacturer"] = device.Manufacturer,
            ["model"] = device.Model,
            ["hardwareHash"] = device.HardwareHash,
        }.ToJsonString());
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, "api/enrolments") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add(EnrolmentSignature.TimestampHeader, timestamp);
        request.Headers.Add(EnrolmentSignature.SignatureHeader, EnrolmentSignature.Sign(key, timestamp, body));
        return http.SendAsync(request, cancellationToken);
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
