using System.Diagnostics.CodeAnalysis;
using Sarthe.Tools;

namespace Sarthe.StormBenchmark;

public sealed record StormSettings(
    int Devices, int Concurrency, double TimeScale, int BatchSize, bool Baseline, TimeSpan Timeout, int Seed, bool Probe, bool ProbeOnly, bool QueueProbe)
{
    /// <summary>Reads the command line; false, with the exit code, after --help or a mistake.</summary>
    public static bool TryParse(string[] args, [NotNullWhen(true)] out StormSettings? settings, out int exitCode)
    {
        var command = new CommandLine("dotnet run -c Release --project tools/StormBenchmark --",
            "First-boot storm: a fleet of devices enrols at once against a fresh dev host (Azurite, Graph emulator at Intune's\n" +
            "throttling of 100 writes / 1,000 requests per 20 s); prints the table of docs/benchmarks.md.",
            "--devices 2000 --concurrency 32 --no-baseline --no-probe");
        var devices = command.Int("--devices", 8000, "devices in the fleet, spread over the 56 collèges");
        var concurrency = command.Int("--concurrency", 64, "concurrent enrolment clients");
        var timeScale = command.Number("--time-scale", 1, "Intune windows and the pipeline's delays shortened this many times");
        var batchSize = command.Int("--batch-size", 100, "import batch size of the batched run");
        var noBaseline = command.Flag("--no-baseline", "skip the per-device run (batch size 1) that the batched one is compared with");
        var timeoutMinutes = command.Int("--timeout-minutes", 60, "stop waiting for devices to settle after this long");
        var seed = command.Int("--seed", 72, "seed of the generated fleet");
        var noProbe = command.Flag("--no-probe", "skip the raw Azurite throughput probe before the storm");
        var probeOnly = command.Flag("--probe-only", "run the Azurite probe, then stop");
        var queueProbe = command.Flag("--queue-probe", "diagnostics only: --devices messages through an Azurite queue, then one send every 3 s for 90 s");
        if (!command.TryParse(args, out exitCode))
        {
            settings = null;
            return false;
        }

        settings = new StormSettings(
            devices.Value, concurrency.Value, timeScale.Value, batchSize.Value, !noBaseline.Value, TimeSpan.FromMinutes(timeoutMinutes.Value), seed.Value,
            Probe: probeOnly.Value || !noProbe.Value, probeOnly.Value, queueProbe.Value);
        return true;
    }
}
