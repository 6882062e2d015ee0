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
    "the managed heap and working set peaks during it, then the same file again (every line unchanged). With --drain,\n" +
    "the pre-registration of such a file instead: from the import to every device registered in the Graph emulator.",
    "--rows 2000,20000   or   --drain 2000,20000");
var sizes = command.IntList("--rows", [2000, 20_000], "lines per file, one import each, in this order (the first is the baseline)");
var hashBytes = command.Int("--hash-bytes", 3000, "bytes of each random hardware hash (3,000 bytes are 4,000 characters of base64, as Get-WindowsAutopilotInfo writes)");
var drain = command.IntList("--drain", [], "instead of --rows: lines per file whose pre-registration is drained, one fresh dev host each, with the\n" +
    "Autopilot sync on and the Graph emulator at Intune's model (budgets, import job and sync delays): time from the import to\n" +
    "every device registered, Graph writes per device, heap and working set peaks");
var timeScale = command.Number("--time-scale", 1, "with --drain: the emulator's durations and the pipeline's delays shortened this many times (1 = Intune's pace)");
var timeout = command.Int("--timeout-minutes", 60, "with --drain: longest wait for every device to settle");
if (!command.TryParse(args, out var exitCode))
{
    return exitCode;
}

using var stop = new StopSignal("manifest benchmark, its dev host and Azurite");
if (drain.Value.Count > 0)
{
    return await stop.RunAsync(cancellationToken => PreRegistrationDrain.RunAsync(drain.Value, hashBytes.Value, timeScale.Value, TimeSpan.FromMinutes(timeout.Value), cancellationToken));
}

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
        await ManifestFile.WriteAsync(path, count, hashBytes, prefix, cancellationToken);
        var fileMb = new FileInfo(path).Length / 1_000_000.0;

        var memory = new MemoryPeaks(everyMilliseconds: 20);

        var clock = Stopwatch.StartNew();
        JsonElement first;
        await using (new Heartbeat(() => $"[{count}]   importing ({clock.Elapsed.TotalSeconds:F0} s)"))
        {
            first = await ManifestFile.PostAsync(http, path, cancellationToken);
        }

        var importSeconds = clock.Elapsed.TotalSeconds;
        await memory.DisposeAsync();

        clock.Restart();
        var again = await ManifestFile.PostAsync(http, path, cancellationToken);
        var againSeconds = clock.Elapsed.TotalSeconds;

        Console.WriteLine($"[{count}] {first.GetProperty("accepted").GetInt32()} accepted, {first.GetProperty("rejected").GetArrayLength()} rejected in {importSeconds:F1} s; again: {again.GetProperty("unchanged").GetInt32()} unchanged in {againSeconds:F1} s");
        string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
        return $"| {count:N0} | {F(fileMb)} | {F(importSeconds)} | {F(count / importSeconds)} | {F(memory.HeapMb)} | " +
               $"{F(memory.WorkingSetMb)} | {F(againSeconds)} | {first.GetProperty("accepted").GetInt32()} / {again.GetProperty("unchanged").GetInt32()} |";
    }
    finally
    {
        File.Delete(path);
    }
}
