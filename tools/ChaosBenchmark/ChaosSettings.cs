using System.Diagnostics.CodeAnalysis;
using Sarthe.Tools;

namespace Sarthe.ChaosBenchmark;

/// <summary>The command line of the chaos benchmark, read into a <see cref="ChaosPlan"/>.</summary>
public static class ChaosSettings
{
    /// <summary>Reads the command line; false, with the exit code, after --help or a mistake.</summary>
    public static bool TryParse(string[] args, [NotNullWhen(true)] out ChaosPlan? plan, out int exitCode)
    {
        var defaults = new ChaosPlan();
        var command = new CommandLine("dotnet run -c Release --project tools/ChaosBenchmark --",
            "Crash consistency under chaos: Azurite on disk, the Graph emulator and the dev host as processes of their own; devices\n" +
            "enrol in waves through retrying clients while the host is killed (kill -9) at chosen points and restarted, storage\n" +
            "is paused and Graph fails; then checks that nothing was lost, imported twice or missing from the audit trail, and\n" +
            "prints the tables of docs/benchmarks.md. Exit code 1 when lost, duplicate imports or audit anomalies are not 0.",
            "--devices 3000");
        var devices = command.Int("--devices", defaults.Devices, "devices in the fleet, spread over the 56 collèges, in one wave per fault");
        var clients = command.Int("--clients", defaults.Clients, "concurrent device clients (each retries until 202 or 200)");
        var timeScale = command.Number("--time-scale", defaults.TimeScale, "Intune's durations shortened this many times (emulator and matching product settings)");
        var faults = command.Text("--faults", string.Join(",", defaults.Faults.Select(f => f.Name())),
            "the faults, in order, one per wave, among:\n" + string.Join(",\n", FaultNames.All.Select(f => $"{f.Name()}: {f.Title()}")), "<name,...>");
        var storagePause = command.Int("--storage-pause-seconds", (int)defaults.StoragePause.TotalSeconds, "how long Azurite stays paused (SIGSTOP)");
        var graphOutage = command.Int("--graph-outage-seconds", (int)defaults.GraphOutage.TotalSeconds, "how long every Graph request answers 503 (real seconds)");
        var hold = command.Int("--hold-seconds", (int)defaults.Hold.TotalSeconds, "how long the emulator holds an import answer or a status read for a kill");
        var stuckAfter = command.Int("--stuck-after-seconds", (int)defaults.StuckAfter.TotalSeconds, "the host's Registration:StuckAfter");
        var sweep = command.Text("--sweep-schedule", defaults.SweepSchedule, "the host's RegistrationSweepSchedule (CRON, 6 fields)", "<cron>");
        var listenerLock = command.Int("--listener-lock-seconds", 0,
            "the timers' singleton lease and its recovery polling (host.json \"singleton\"), 15-60;\n0 keeps the SDK's defaults, which are Azure's (60 s lease, 1 min polling)");
        var timeout = command.Int("--timeout-minutes", (int)defaults.Timeout.TotalMinutes, "stop waiting for devices to settle and the audit pipeline to drain after this long");
        var seed = command.Int("--seed", defaults.Seed, "seed of the generated fleet");
        var keep = command.Flag("--keep-data", "keep Azurite's files after the run (the processes' logs are always kept)");
        plan = null;
        if (!command.TryParse(args, out exitCode))
        {
            return false;
        }

        var chosen = new List<FaultKind>();
        foreach (var name in faults.Value.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (FaultNames.Parse(name) is not { } fault)
            {
                exitCode = command.Reject($"--faults: unknown fault '{name.Trim()}' (one of {string.Join(", ", FaultNames.All.Select(f => f.Name()))})");
                return false;
            }

            chosen.Add(fault);
        }

        if (devices.Value < Math.Max(1, chosen.Count) || clients.Value < 1 || timeScale.Value <= 0)
        {
            exitCode = command.Reject("--devices must be at least one per fault, --clients at least 1 and --time-scale above 0");
            return false;
        }

        if (listenerLock.Value is not 0 and (< 15 or > 60))
        {
            exitCode = command.Reject("--listener-lock-seconds must be 0 or 15-60 (the WebJobs SDK's limits)");
            return false;
        }

        plan = new ChaosPlan
        {
            Devices = devices.Value,
            Clients = clients.Value,
            TimeScale = timeScale.Value,
            Faults = chosen,
            StoragePause = TimeSpan.FromSeconds(storagePause.Value),
            GraphOutage = TimeSpan.FromSeconds(graphOutage.Value),
            Hold = TimeSpan.FromSeconds(hold.Value),
            StuckAfter = TimeSpan.FromSeconds(stuckAfter.Value),
            SweepSchedule = sweep.Value,
            ListenerLock = listenerLock.Value == 0 ? null : TimeSpan.FromSeconds(listenerLock.Value),
            Timeout = TimeSpan.FromMinutes(timeout.Value),
            Seed = seed.Value,
            KeepData = keep.Value,
        };
        return true;
    }
}
