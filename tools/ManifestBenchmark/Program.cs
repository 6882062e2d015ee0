using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sarthe.DevHost;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Schools;
using Sarthe.Tools;

var command = new CommandLine("dotnet run -c Release --project tools/ManifestBenchmark --",
    "Manifest import at scale: programme manifests with hardware hashes, generated to a temporary file and posted\n" +
    "over HTTP to one fresh dev host (Azurite in memory), smallest first as the baseline; for each, the import time,\n" +
    "the managed heap and working set peaks during it, then the same file again (every line unchanged).",
    "--rows 2000,20000");
var sizes = command.IntList("--rows", [2000, 20_000], "lines per file, one import each, in this order (the first is the baseline)");
var hashBytes = command.Int("--hash-bytes", 3000, "bytes of each random hardware hash (3,000 bytes are 4,000 characters of base64, as Get-WindowsAutopilotInfo writes)");
if (!command.TryParse(args, out var exitCode))
{
    return exitCode;
}

using var stop = new StopSignal("manifest benchmark, its dev host and Azurite");
return await stop.RunAsync(async cancellationToken =>
{
    var options = new DevHostOptions { Port = 0, MinimumLogLevel = LogLevel.Critical };
    options.Settings["AutopilotSyncSchedule"] = "0 0 0 1 1 *";
    Console.WriteLine("starting dev host (Azurite) ...");
    await using var host = await RunningDevHost.StartAsync(options, cancellationToken);
    using var http = new HttpClient { BaseAddress = new Uri(host.BaseUrl, "api/"), Timeout = TimeSpan.FromMinutes(10) };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Tokens.CreateToken([AdminRoles.Admin]));

    var rows = new List<string>();
    foreach (var (size, run) in sizes.Value.Select((size, run) => (size, run)))
    {
        rows.Add(await MeasureAsync(http, size, hashBytes.Value, $"R{run}", cancellationToken));
    }

    Console.WriteLine();
    Console.WriteLine($"{Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}.");
    Console.WriteLine("| lines | file MB | import s | lines/s | managed heap peak during import MB | working set peak during import MB | same file again s | accepted / unchanged |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|");
    rows.ForEach(Console.WriteLine);
    return 0;
});

static async Task<string> MeasureAsync(HttpClient http, int count, int hashBytes, string prefix, CancellationToken cancellationToken)
{
    var path = Path.Combine(Path.GetTempPath(), $"manifest-benchmark-{Guid.NewGuid():N}.csv");
    try
    {
        Console.WriteLine($"[{count}] writing the manifest ...");
        await WriteManifestAsync(path, count, hashBytes, prefix, cancellationToken);
        var fileMb = new FileInfo(path).Length / 1_000_000.0;

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var heapBaseline = GC.GetTotalMemory(forceFullCollection: true);
        using var self = Process.GetCurrentProcess();
        var workingSetBaseline = self.WorkingSet64;
        long heapPeak = 0, workingSetPeak = 0;
        using var sampler = new Timer(_ =>
        {
            Interlocked.Exchange(ref heapPeak, Math.Max(Interlocked.Read(ref heapPeak), GC.GetTotalMemory(false)));
            self.Refresh();
            Interlocked.Exchange(ref workingSetPeak, Math.Max(Interlocked.Read(ref workingSetPeak), self.WorkingSet64));
        }, null, 0, 20);

        var clock = Stopwatch.StartNew();
        JsonElement first;
        await using (new Heartbeat(() => $"[{count}]   importing ({clock.Elapsed.TotalSeconds:F0} s)"))
        {
            first = await PostAsync(http, path, cancellationToken);
        }

        var importSeconds = clock.Elapsed.TotalSeconds;
        await sampler.DisposeAsync();

        clock.Restart();
        var again = await PostAsync(http, path, cancellationToken);
        var againSeconds = clock.Elapsed.TotalSeconds;

        Console.WriteLine($"[{count}] {first.GetProperty("accepted").GetInt32()} accepted, {first.GetProperty("rejected").GetArrayLength()} rejected in {importSeconds:F1} s; again: {again.GetProperty("unchanged").GetInt32()} unchanged in {againSeconds:F1} s");
        string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
        return $"| {count:N0} | {F(fileMb)} | {F(importSeconds)} | {F(count / importSeconds)} | {F(Math.Max(0, heapPeak - heapBaseline) / 1048576.0)} | " +
               $"{F(Math.Max(0, workingSetPeak - workingSetBaseline) / 1048576.0)} | {F(againSeconds)} | {first.GetProperty("accepted").GetInt32()} / {again.GetProperty("unchanged").GetInt32()} |";
    }
    finally
    {
        File.Delete(path);
    }
}

static async Task<JsonElement> PostAsync(HttpClient http, string path, CancellationToken cancellationToken)
{
    await using var file = File.OpenRead(path);
    using var content = new StreamContent(file, 64 * 1024);
    content.Headers.ContentType = new MediaTypeHeaderValue("text/csv") { CharSet = "utf-8" };
    using var response = await http.PostAsync($"inventory/manifests?name={Path.GetFileName(path)}", content, cancellationToken);
    var body = await response.Content.ReadAsStringAsync(cancellationToken);
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"Import answered {(int)response.StatusCode}: {body[..Math.Min(body.Length, 500)]}");
    }

    return JsonDocument.Parse(body).RootElement.Clone();
}

// As a French reseller's spreadsheet exports it: BOM, ';', CRLF, decimal comma; lines spread over the 56 collèges.
static async Task WriteManifestAsync(string path, int count, int hashBytes, string prefix, CancellationToken cancellationToken)
{
    var schools = BundledSchoolRegistry.Load();
    var random = new Random(count);
    var hash = new byte[hashBytes];
    await using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), 64 * 1024);
    await writer.WriteAsync("serialNumber;schoolUai;deviceType;manufacturer;model;purchaseOrder;invoiceNumber;unitCostEur;hardwareHash\r\n");
    for (var i = 0; i < count; i++)
    {
        cancellationToken.ThrowIfCancellationRequested();
        random.NextBytes(hash);
        var school = schools[i % schools.Count].Uai;
        await writer.WriteAsync($"5CG{prefix}{i:D7};{school};laptop;HP;ProBook 440 G8;BC-2026-{i / 500:D4};F-{i / 1000:D5};612,50;{Convert.ToBase64String(hash)}\r\n");
    }
}
