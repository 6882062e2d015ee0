using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sarthe.DevHost;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Inventory;
using Sarthe.Enrolment.Reporting;
using Sarthe.Enrolment.Schools;
using Sarthe.Tools;

var command = new CommandLine("dotnet run -c Release --project tools/ReportBenchmark --",
    "ERDF funding report at scale: for each size, a fresh dev host with a seeded Devices table, a raw projected scan,\n" +
    "the report build and five dashboard refreshes; prints the table of docs/benchmarks.md.",
    "--devices 8000,100000");
var sizes = command.IntList("--devices", [8000, 1_000_000], "fleet sizes to measure, one fresh dev host each");
var exportSize = command.Int("--export-devices", 5000, "devices with a 4,000-character hardware hash added to one school of the last host, then exported as the Autopilot CSV over HTTP (0: no export)");
if (!command.TryParse(args, out var exitCode))
{
    return exitCode;
}

using var stop = new StopSignal("report benchmark, its dev host and Azurite");
return await stop.RunAsync(async cancellationToken =>
{
    var rows = new List<string>();
    string? export = null;
    foreach (var (size, index) in sizes.Value.Select((size, index) => (size, index)))
    {
        (var row, export) = await RunAsync(size, index == sizes.Value.Count - 1 ? exportSize.Value : 0, cancellationToken);
        rows.Add(row);
    }

    Console.WriteLine();
    Console.WriteLine("| devices | seed s | raw projected scan s | report build s | build / scan | storage requests (scan / build) | managed heap peak during build MB | dashboard refresh s (median of 5) | refresh / scan | HTTP requests per refresh |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
    rows.ForEach(Console.WriteLine);
    if (export is not null)
    {
        Console.WriteLine();
        Console.WriteLine("| school's devices exported | CSV MB | export s | managed heap peak during export MB (garbage included) | live heap peak MB (full collection before each sample) |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine(export);
    }

    return 0;
});

static async Task<(string Row, string? Export)> RunAsync(int count, int exportCount, CancellationToken cancellationToken)
{
    var options = new DevHostOptions { Port = 0, MinimumLogLevel = LogLevel.Critical };
    options.Settings["AutopilotSyncSchedule"] = "0 0 0 1 1 *";
    Console.WriteLine($"[{count}] starting dev host (Azurite) ...");
    await using var host = await RunningDevHost.StartAsync(options, cancellationToken);

    var counter = new CountingPolicy();
    var tableOptions = new TableClientOptions();
    tableOptions.AddPolicy(counter, HttpPipelinePosition.PerCall);
    var tables = new TableServiceClient(host.StorageConnectionString, tableOptions);
    var devices = tables.GetTableClient(TableNames.Devices);

    var seedClock = Stopwatch.StartNew();
    await SeedAsync(devices, count, cancellationToken);
    var seedSeconds = seedClock.Elapsed.TotalSeconds;

    // The limit: every row read once, with the same projection.
    string[] projection = ["PartitionKey", "DeviceType", "StatusHistory", "Status", "EnrolledAt", "RegisteringAt", "RegisteredAt", "FailedAt"];
    counter.Reset();
    var scanClock = Stopwatch.StartNew();
    var scanned = 0;
    await using (new Heartbeat(() => $"[{count}]   scanned {Volatile.Read(ref scanned):N0} rows ({scanClock.Elapsed.TotalSeconds:F0} s)"))
    {
        await foreach (var _ in devices.QueryAsync<TableEntity>(maxPerPage: 1000, select: projection, cancellationToken: cancellationToken))
        {
            scanned++;
        }
    }

    var scanSeconds = scanClock.Elapsed.TotalSeconds;
    var scanRequests = counter.Count;

    var sp = host.Services;
    var queries = new DeviceQueries(tables, new SerialClaims(tables));
    var service = new FundingReportService(queries, new InventoryStore(tables, queries), new SchoolStore(tables), new FundingReportStore(tables),
        sp.GetRequiredService<AuditPublisher>(), sp.GetRequiredService<IOptions<FundingOptions>>(), TimeProvider.System, NullLogger<FundingReportService>.Instance);
    GC.Collect();
    var baseline = GC.GetTotalMemory(forceFullCollection: true);
    long peak = 0;
    using var sampler = new Timer(_ => Interlocked.Exchange(ref peak, Math.Max(Interlocked.Read(ref peak), GC.GetTotalMemory(false))), null, 0, 20);
    counter.Reset();
    var buildClock = Stopwatch.StartNew();
    FundingReport report;
    await using (new Heartbeat(() => $"[{count}]   building the report ({buildClock.Elapsed.TotalSeconds:F0} s, {counter.Count} storage requests)"))
    {
        report = await service.BuildAsync(new DateOnly(2026, 11, 28), new AuditActor(AuditActor.SystemKind, "benchmark"), cancellationToken);
    }

    var buildSeconds = buildClock.Elapsed.TotalSeconds;
    var buildRequests = counter.Count;
    await sampler.DisposeAsync();

    // What one open dashboard costs every Dashboard:RefreshSeconds: the page's own requests, over HTTP.
    using var http = new HttpClient { BaseAddress = new Uri(host.BaseUrl, "api/"), Timeout = TimeSpan.FromMinutes(10) };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Tokens.CreateToken([AdminRoles.Read]));
    var refreshes = new List<double>();
    var refreshRequests = 0;
    for (var i = 0; i < 5; i++)
    {
        var clock = Stopwatch.StartNew();
        await using (new Heartbeat(() => $"[{count}]   dashboard refresh {refreshes.Count + 1} of 5 ({clock.Elapsed.TotalSeconds:F0} s)"))
        {
            refreshRequests = await DashboardRefreshAsync(http, cancellationToken);
        }

        refreshes.Add(clock.Elapsed.TotalSeconds);
    }

    var refreshSeconds = refreshes.Order().ElementAt(refreshes.Count / 2);
    Console.WriteLine($"[{count}] dashboard refreshes: {string.Join(", ", refreshes.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))} s");
    Console.WriteLine($"[{count}] scanned {scanned} rows; report counts {report.Totals.DevicesRegistered + report.Totals.DevicesPending + report.Totals.DevicesFailed} devices");
    string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
    var export = exportCount > 0 ? await ExportAsync(devices, http, exportCount, cancellationToken) : null;
    return ($"| {count:N0} | {F(seedSeconds)} | {F(scanSeconds)} | {F(buildSeconds)} | {F(buildSeconds / scanSeconds)} | {scanRequests} / {buildRequests} | {F(Math.Max(0, peak - baseline) / 1048576.0)} | {F(refreshSeconds)} | {F(refreshSeconds / scanSeconds)} | {refreshRequests} |", export);
}

// GET /api/schools/{uai}/devices?format=autopilot-csv of a school given exportCount more devices with realistic hashes:
// the answer is streamed, so the heap should not grow with the school.
static async Task<string> ExportAsync(TableClient devices, HttpClient http, int exportCount, CancellationToken cancellationToken)
{
    const string School = "0720001K";
    var hash = "T0" + new string('A', 3998);
    for (var start = 0; start < exportCount; start += 100)
    {
        var batch = Enumerable.Range(start, Math.Min(100, exportCount - start)).Select(i => new TableTransactionAction(TableTransactionActionType.Add, new DeviceEntity
        {
            PartitionKey = School, RowKey = $"EXP{i:D8}", DeviceType = "laptop", Manufacturer = "HP", Model = "ProBook", HardwareHash = hash,
            Status = "registered", EnrolledAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
        }));
        await devices.SubmitTransactionAsync(batch, cancellationToken);
    }

    // Once with the heap sampled as it is (garbage included) for the time, once with a full collection before each
    // sample for what the export really holds (slower: its time is not reported).
    var (bytes, seconds, peak) = await ExportOnceAsync(http, School, forceCollection: false, cancellationToken);
    var (_, _, live) = await ExportOnceAsync(http, School, forceCollection: true, cancellationToken);
    string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
    return $"| {exportCount:N0} (+ the fleet's own in that school) | {F(bytes / 1_000_000.0)} | {F(seconds)} | {F(peak / 1048576.0)} | {F(live / 1048576.0)} |";
}

static async Task<(long Bytes, double Seconds, long HeapPeak)> ExportOnceAsync(HttpClient http, string school, bool forceCollection, CancellationToken cancellationToken)
{
    GC.Collect();
    var baseline = GC.GetTotalMemory(forceFullCollection: true);
    long peak = 0;
    await using var sampler = new Timer(_ => Interlocked.Exchange(ref peak, Math.Max(Interlocked.Read(ref peak), GC.GetTotalMemory(forceCollection))), null, 0, forceCollection ? 100 : 20);
    var clock = Stopwatch.StartNew();
    using var response = await http.GetAsync($"schools/{school}/devices?format=autopilot-csv", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    response.EnsureSuccessStatusCode();
    await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
    var buffer = new byte[81920];
    long bytes = 0;
    int read;
    while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
    {
        bytes += read;
    }

    return (bytes, clock.Elapsed.TotalSeconds, Math.Max(0, Interlocked.Read(ref peak) - baseline));
}

// The dashboard's refresh (Functions/Dashboard/wwwroot/dashboard.js): schools with live counts, the failed
// devices of each school that has some (at most 6 at a time, as a browser does over HTTP/1.1), the latest report.
static async Task<int> DashboardRefreshAsync(HttpClient http, CancellationToken cancellationToken)
{
    using var schools = JsonDocument.Parse(await http.GetStringAsync("schools", cancellationToken));
    var failing = schools.RootElement.EnumerateArray()
        .Where(s => s.GetProperty("devices").GetProperty("failed").GetInt32() > 0)
        .Select(s => s.GetProperty("uai").GetString()!)
        .ToList();
    using var browserLimit = new SemaphoreSlim(6);
    await Task.WhenAll(failing.Select(async uai =>
    {
        await browserLimit.WaitAsync(cancellationToken);
        try
        {
            await http.GetStringAsync($"schools/{uai}/devices?status=failed&pageSize=100", cancellationToken);
        }
        finally
        {
            browserLimit.Release();
        }
    }));
    using var report = await http.GetAsync("reports/funding/latest", cancellationToken);
    report.EnsureSuccessStatusCode();
    return 1 + failing.Count + 1;
}

static async Task SeedAsync(TableClient devices, int count, CancellationToken cancellationToken)
{
    var schools = BundledSchoolRegistry.Load();
    string[] types = ["laptop", "desktop", "tablet"];
    var cutOff = new DateTimeOffset(2026, 11, 28, 23, 0, 0, TimeSpan.Zero);
    var random = new Random(5);
    var perSchool = schools.Select((s, i) => (s.Uai, Count: (count / schools.Count) + (i < count % schools.Count ? 1 : 0))).ToList();
    var done = 0;
    var clock = Stopwatch.StartNew();
    // Every 5 s rather than every 50,000 rows: at 1M devices those were 17 s apart.
    await using var progress = new Heartbeat(() => $"  seeded {Volatile.Read(ref done):N0} / {count:N0} ({clock.Elapsed.TotalSeconds:F0} s)");
    await Parallel.ForEachAsync(perSchool, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (school, ct) =>
    {
        var rng = new Random(school.Uai.GetHashCode(StringComparison.Ordinal));
        for (var start = 0; start < school.Count; start += 100)
        {
            var actions = new List<TableTransactionAction>(100);
            for (var i = start; i < Math.Min(start + 100, school.Count); i++)
            {
                var device = new DeviceEntity { PartitionKey = school.Uai, RowKey = $"SN{i:D8}", DeviceType = types[rng.Next(3)], Manufacturer = "HP", Model = "ProBook", HardwareHash = "AAAA" };
                var enrolled = cutOff.AddMinutes(-rng.Next(1, 60 * 24 * 90));
                device.EnrolledAt = enrolled;
                var history = StatusHistory.Empty.Append(DeviceStatus.Received, enrolled).Append(DeviceStatus.Registering, enrolled.AddMinutes(1));
                var outcome = rng.Next(100);
                if (outcome < 90)
                {
                    history = history.Append(DeviceStatus.Registered, enrolled.AddMinutes(rng.Next(2, 600)));
                }
                else if (outcome < 95)
                {
                    history = history.Append(DeviceStatus.Failed, enrolled.AddMinutes(5));
                }

                device.Status = history.Changes[^1].Status.ToName();
                device.StatusHistory = history.ToString();

                actions.Add(new TableTransactionAction(TableTransactionActionType.Add, device));
            }

            await devices.SubmitTransactionAsync(actions, ct);
            Interlocked.Add(ref done, actions.Count);
        }
    });
}

/// <summary>Counts storage requests (each is a billed transaction in Azure Table Storage).</summary>
internal sealed class CountingPolicy : HttpPipelineSynchronousPolicy
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public void Reset() => Interlocked.Exchange(ref _count, 0);

    public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref _count);
}
