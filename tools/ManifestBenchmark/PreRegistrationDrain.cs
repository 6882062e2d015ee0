using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Sarthe.DevHost;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Hosting;
using Sarthe.Tools;

/// <summary>
/// The pre-registration drain: a manifest with hashes imported into a fresh dev host whose Autopilot sync runs, the
/// Graph emulator at Intune's model (its default budgets, import job and sync delays), then the wait until every
/// device is registered (or failed). Memory is sampled over the whole run: import and drain. The Graph writes of the
/// registrations are the import actions; the cleanup's deletes of processed imported identities (one write each, in
/// what the imports leave of the budget) are counted apart, as far as they got when the last device registered.
/// </summary>
internal static class PreRegistrationDrain
{
    public static async Task<int> RunAsync(IReadOnlyList<int> sizes, int hashBytes, double timeScale, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var rows = new List<string>();
        foreach (var (size, run) in sizes.Select((size, run) => (size, run)))
        {
            rows.Add(await MeasureAsync(size, hashBytes, timeScale, timeout, $"D{run}", cancellationToken));
        }

        Console.WriteLine();
        Console.WriteLine($"{Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}, time scale {timeScale.ToString(CultureInfo.InvariantCulture)}.");
        Console.WriteLine("| lines | import s | all registered after s | registered | failed | import actions | import writes/device | Graph writes (all) | identity deletes | Graph requests | 429s | heap peak MB | working set peak MB |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        rows.ForEach(Console.WriteLine);
        return 0;
    }

    private static async Task<string> MeasureAsync(int count, int hashBytes, double timeScale, TimeSpan timeout, string prefix, CancellationToken cancellationToken)
    {
        var options = new DevHostOptions { Port = 0, MinimumLogLevel = LogLevel.Critical };
        options.GraphEmulator.TimeScale = timeScale;
        // The pipeline's own waits scaled like the emulator's; everything else at its defaults.
        options.Settings["Registration:FirstCheckDelay"] = Scaled(TimeSpan.FromSeconds(60), timeScale);
        options.Settings["Registration:CheckInterval"] = Scaled(TimeSpan.FromSeconds(30), timeScale);
        options.Settings["Registration:AutopilotCheckInterval"] = Scaled(TimeSpan.FromSeconds(30), timeScale);
        options.Settings["AutopilotSyncSchedule"] = $"*/{Math.Max(1, (int)Math.Round(10 / timeScale))} * * * * *";
        Console.WriteLine($"[drain {count}] starting dev host (Azurite, Graph emulator at Intune's model, time scale {timeScale})...");
        await using var host = await RunningDevHost.StartAsync(options, cancellationToken);
        using var http = new HttpClient { BaseAddress = new Uri(host.BaseUrl, "api/"), Timeout = TimeSpan.FromMinutes(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Tokens.CreateToken([AdminRoles.Admin]));

        var path = Path.Combine(Path.GetTempPath(), $"manifest-drain-{Guid.NewGuid():N}.csv");
        try
        {
            Console.WriteLine($"[drain {count}] writing the manifest ...");
            await ManifestFile.WriteAsync(path, ManifestLayout.Programme, count, long.MaxValue, hashBytes, prefix, cancellationToken);

            await using var memory = new MemoryPeaks(everyMilliseconds: 50);

            var clock = Stopwatch.StartNew();
            var imported = (await ManifestFile.PostAsync(http, path, ManifestLayout.Programme, cancellationToken)).EnsureImported();
            var importSeconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"[drain {count}] imported in {importSeconds:F1} s ({imported.GetProperty("accepted").GetInt32()} accepted); draining ...");

            var (registered, failed) = (0, 0);
            var lastReport = TimeSpan.Zero;
            while (registered + failed < count && clock.Elapsed < timeout)
            {
                await Task.Delay(2000, cancellationToken);
                (registered, failed) = await SettledDevices.CountAsync(host, cancellationToken);
                if (clock.Elapsed - lastReport >= TimeSpan.FromSeconds(30))
                {
                    lastReport = clock.Elapsed;
                    var c = host.Graph!.State.Counters;
                    Console.WriteLine($"[drain {count}]   {clock.Elapsed.TotalSeconds,6:F0} s  registered {registered}, failed {failed}, import actions {c.ImportActions}, Graph writes {c.Writes}, 429s {c.ThrottledByApp + c.ThrottledByTenant}");
                }
            }

            var drainSeconds = clock.Elapsed.TotalSeconds;
            var counters = host.Graph!.State.Counters;
            Console.WriteLine($"[drain {count}] {registered} registered, {failed} failed after {drainSeconds:F1} s");
            string F(double v, string format = "F2") => v.ToString(format, CultureInfo.InvariantCulture);
            return $"| {count:N0} | {F(importSeconds)} | {(registered + failed < count ? "not within " + F(timeout.TotalMinutes, "F0") + " min" : F(drainSeconds))} | {registered} | {failed} | " +
                   $"{counters.ImportActions} | {F((double)counters.ImportActions / count, "F4")} | {counters.Writes} | {counters.IdentityDeletes} | {counters.Requests} | {counters.ThrottledByApp + counters.ThrottledByTenant} | " +
                   $"{F(memory.HeapMb)} | {F(memory.WorkingSetMb)} |";
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string Scaled(TimeSpan value, double scale) => TimeSpan.FromTicks((long)(value.Ticks / scale)).ToString();
}
