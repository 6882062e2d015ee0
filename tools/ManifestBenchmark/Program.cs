using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Sarthe.DevHost;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Inventory;
using Sarthe.Tools;

var command = new CommandLine("dotnet run -c Release --project tools/ManifestBenchmark --",
    "Manifest import at scale: manifests with hardware hashes, generated to a temporary file and posted over HTTP\n" +
    "to one fresh dev host (Azurite in memory), smallest first as the baseline; for each, the answer, the import time,\n" +
    "the managed heap and working set peaks during it, then the same file again (every line unchanged). --at-limit adds\n" +
    "files of the largest body the import takes. With --drain, the pre-registration of such a file instead: from the\n" +
    "import to every device registered in the Graph emulator.",
    "--rows 2000,20000   or   --rows 2000 --at-limit junk,valid   or   --drain 2000,20000");
var sizes = command.IntList("--rows", [2000, 20_000], "lines per file, one import each, in this order (the first is the baseline)");
var format = command.Text("--format", ManifestLayout.ProgrammeName,
    $"how the files are written and posted, --rows and --at-limit alike:\n" +
    $"{ManifestLayout.ProgrammeName}: a reseller's programme manifest as French Excel exports it (UTF-8 with BOM, ';', CRLF), text/csv; charset=utf-8;\n" +
    $"{ManifestLayout.AutopilotUtf16Name}: Get-WindowsAutopilotInfo's CSV under Windows PowerShell 5.1 (UTF-16 LE with BOM, ',', CRLF,\n" +
    "no Group Tag: posted with schoolUai= in the query), text/csv without a charset", "<name>");
var atLimit = command.Text("--at-limit", "",
    $"after the --rows files, in the same dev host: files as large as the import takes ({ManifestUpload.MaxBytes:N0} bytes,\n" +
    $"{ManifestUpload.MaxUtf16Bytes:N0} in UTF-16), one import each:\n" +
    "junk: the header, then lines \"a\" (every one rejected); valid: as many valid lines as fit; e.g. junk,valid", "<junk,valid>");
var hashBytes = command.Int("--hash-bytes", 3000, "bytes of each random hardware hash (3,000 bytes are 4,000 characters of base64, as Get-WindowsAutopilotInfo writes)");
var drain = command.IntList("--drain", [], "instead of --rows: lines per file whose pre-registration is drained, one fresh dev host each, with the\n" +
    "Autopilot sync on and the Graph emulator at Intune's model (budgets, import job and sync delays): time from the import to\n" +
    "every device registered, Graph writes per device, heap and working set peaks (programme manifests)");
var timeScale = command.Number("--time-scale", 1, "with --drain: the emulator's durations and the pipeline's delays shortened this many times (1 = Intune's pace)");
var timeout = command.Int("--timeout-minutes", 60, "with --drain: longest wait for every device to settle");
if (!command.TryParse(args, out var exitCode))
{
    return exitCode;
}

if (ManifestLayout.All.FirstOrDefault(l => l.Name == format.Value) is not { } layout)
{
    return command.Reject($"--format must be one of {string.Join(", ", ManifestLayout.All.Select(l => l.Name))}");
}

var limitKinds = atLimit.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
if (limitKinds.FirstOrDefault(k => k is not ("junk" or "valid")) is { } unknownKind)
{
    return command.Reject($"--at-limit takes junk and valid, not '{unknownKind}'");
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

    var files = sizes.Value.Select((size, run) => new ImportRun($"{size:N0} lines", ImportAgain: true,
            async (path, ct) => await ManifestFile.WriteAsync(path, layout, size, long.MaxValue, hashBytes.Value, $"R{run}", ct)))
        .Concat(limitKinds.Select(kind => new ImportRun($"{kind} at limit", ImportAgain: false, kind == "junk"
            ? (path, ct) => ManifestFile.WriteJunkAsync(path, layout, layout.MaxBytes, ct)
            : async (path, ct) => await ManifestFile.WriteAsync(path, layout, int.MaxValue, layout.MaxBytes, hashBytes.Value, "L0", ct))));
    var rows = new List<string>();
    foreach (var file in files)
    {
        rows.Add(await MeasureAsync(http, layout, file, cancellationToken));
    }

    Console.WriteLine();
    Console.WriteLine($"{Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}, format {layout.Name}, body limit {layout.MaxBytes:N0} bytes.");
    Console.WriteLine("| file | lines | file MB | status | import s | lines/s | managed heap peak during import MB | working set peak during import MB | process working set peak MB | answer bytes | accepted | rejected | same file again s (unchanged) |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    rows.ForEach(Console.WriteLine);
    return 0;
});

static async Task<string> MeasureAsync(HttpClient http, ManifestLayout layout, ImportRun run, CancellationToken cancellationToken)
{
    var path = Path.Combine(Path.GetTempPath(), $"manifest-benchmark-{Guid.NewGuid():N}.csv");
    try
    {
        var clock = Stopwatch.StartNew();
        long lines;
        Console.WriteLine($"[{run.Label}] writing the {layout.Name} manifest ...");
        await using (new Heartbeat(() => $"[{run.Label}]   writing ({clock.Elapsed.TotalSeconds:F0} s, {FileMb(path):F0} MB)"))
        {
            lines = await run.WriteAsync(path, cancellationToken);
        }

        var fileMb = FileMb(path);
        Console.WriteLine($"[{run.Label}] {lines:N0} lines, {fileMb:F2} MB; importing ...");

        // The dev host runs in this process: its working set is the backend's (Azurite is a separate Node.js process).
        var memory = new MemoryPeaks(everyMilliseconds: 20);
        clock.Restart();
        ManifestAnswer first;
        await using (new Heartbeat(() => $"[{run.Label}]   importing ({clock.Elapsed.TotalSeconds:F0} s, working set peak {memory.WorkingSetTotalMb:F0} MB)"))
        {
            first = await ManifestFile.PostAsync(http, path, layout, cancellationToken);
        }

        var importSeconds = clock.Elapsed.TotalSeconds;
        await memory.DisposeAsync();

        var again = "–";
        if (run.ImportAgain && first.Imported)
        {
            clock.Restart();
            var second = (await ManifestFile.PostAsync(http, path, layout, cancellationToken)).EnsureImported();
            again = $"{F(clock.Elapsed.TotalSeconds)} ({second.GetProperty("unchanged").GetInt32()})";
        }

        var (accepted, rejected) = (first.Count("accepted"), first.Count("rejectedCount"));
        Console.WriteLine($"[{run.Label}] {first.StatusText} in {importSeconds:F1} s: {accepted} accepted, {rejected} rejected, answer {first.Bytes:N0} bytes; again: {again}");
        if (!first.Imported)
        {
            Console.WriteLine($"[{run.Label}]   answer: {first.Text[..Math.Min(first.Text.Length, 500)]}");
        }

        return $"| {run.Label} | {lines:N0} | {F(fileMb)} | {first.StatusText} | {F(importSeconds)} | {(first.Imported ? F(lines / importSeconds) : "–")} | {F(memory.HeapMb)} | " +
               $"{F(memory.WorkingSetMb)} | {F(memory.WorkingSetTotalMb)} | {first.Bytes:N0} | {accepted} | {rejected} | {again} |";
    }
    finally
    {
        File.Delete(path);
    }

    static double FileMb(string path) => File.Exists(path) ? new FileInfo(path).Length / 1_000_000.0 : 0;
    static string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
}

/// <summary>One file to import: how it is named in the output, written, and whether it is imported a second time.</summary>
internal sealed record ImportRun(string Label, bool ImportAgain, Func<string, CancellationToken, Task<long>> WriteAsync);
