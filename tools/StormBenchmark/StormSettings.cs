using System.Diagnostics.CodeAnalysis;
using Sarthe.DevHost;
using Sarthe.Tools;

namespace Sarthe.StormBenchmark;

public sealed record StormSettings(
    int Devices,
    int Concurrency,
    double TimeScale,
    int BatchSize,
    int BackgroundWrites,
    int BackgroundRequests,
    bool Baseline,
    int BaselineDevices,
    int BaselineConcurrency,
    double OutageMinutes,
    int OutageAfterImports,
    TimeSpan Timeout,
    int Seed,
    double ResellerRegisteredPercent,
    int Unreadable,
    int GatewayTimeouts,
    bool OneAddress,
    bool Probe,
    bool ProbeOnly,
    bool QueueProbe,
    IReadOnlyDictionary<string, string> ProductSettings)
{
    /// <summary>Reads the command line; false, with the exit code, after --help or a mistake.</summary>
    public static bool TryParse(string[] args, [NotNullWhen(true)] out StormSettings? settings, out int exitCode)
    {
        var command = new CommandLine("dotnet run -c Release --project tools/StormBenchmark --",
            "First-boot storm under Intune's model: a fleet of devices enrols at once against a fresh dev host whose Graph\n" +
            "emulator runs with Intune's defaults (4 import workers, 60 s + 0.1 s per device per import, 60 s sync lag, 5 min\n" +
            "profile assignment, 100/1,000 per app and 200/2,000 per tenant per 20 s), everything divided by --time-scale,\n" +
            "with other apps' load on the tenant; the product's own delays are divided by the same scale. Beside it, a\n" +
            "per-device client that behaves like Get-WindowsAutopilotInfo -Online -Assign. Prints the tables of\n" +
            "docs/benchmarks.md; exit code 1 when a device is lost, an imported identity record is left behind or a surprise of the tenant\n" +
            "(--reseller-registered, --unreadable, --gateway-timeouts) is not handled.",
            "--devices 8000 --time-scale 10 --outage-minutes 30 --outage-after-imports 8");
        var devices = command.Int("--devices", 8000, "devices in the fleet, spread over the 56 collèges");
        var concurrency = command.Int("--concurrency", 64, "concurrent enrolment clients");
        var timeScale = command.Number("--time-scale", 10,
            "Intune's durations and the product's delays divided by this (10: a 60 s import job takes 6 s)");
        var batchSize = command.Int("--batch-size", 500, "devices per import: the product's Registration:ImportBatchSize, at the product's default");
        var backgroundWrites = command.Int("--background-writes", 50,
            "writes other apps of the tenant make in every 20 s window (the portal, other scripts): a quarter of the\n" +
            "tenant's 200, so the tenant budget is visibly shared while it still leaves this app its own 100");
        var backgroundRequests = command.Int("--background-requests", 500,
            "requests of any kind other apps make in every window: a quarter of the tenant's 2,000, for the same reason");
        var noBaseline = command.Flag("--no-baseline", "skip the per-device baseline (Get-WindowsAutopilotInfo -Online -Assign, one device per import)");
        var baselineDevices = command.Int("--baseline-devices", 200,
            "devices of the baseline: one-device imports queue on 4 workers, so N of them take N/4 minutes of Intune's time;\n" +
            "the times for --devices are projected from this run");
        var baselineConcurrency = command.Int("--baseline-concurrency", 0,
            "baseline devices running their script at once; 0: all of them, as each device runs its own");
        var outageMinutes = command.Number("--outage-minutes", 0,
            "a Graph outage of this many minutes (Intune's time, divided by --time-scale), started when half the fleet is accepted");
        var outageAfterImports = command.Int("--outage-after-imports", 0,
            "start the outage once Graph has taken this many import actions, so that it hits imports in flight\n" +
            "(0: once half the fleet is accepted; 8 of the 16 imports of an 8,000-device storm: the middle of Graph's work)");
        var timeoutMinutes = command.Int("--timeout-minutes", 60, "stop waiting for devices to settle after this long (real time)");
        var seed = command.Int("--seed", 72, "seed of the generated fleet");
        var resellerRegistered = command.Number("--reseller-registered", 0,
            "percent of the fleet a reseller already registered in the tenant under its own group tag (RESELLER-LOT-42),\n" +
            "as Partner Center registrations are: their imports end in 806 and the product sets the school's tag");
        var unreadable = command.Int("--unreadable", 0,
            "devices whose record Graph cannot read: an import POST holding one is refused whole (400), as Graph does,\n" +
            "and the product splits the batch until that record fails alone");
        var gatewayTimeouts = command.Int("--gateway-timeouts", 0,
            "import POSTs Graph takes and then answers 504 (a gateway that gave up after the service accepted the batch)");
        var oneAddress = command.Flag("--one-address",
            "every device from one public address (a département's network with one exit for every collège), instead of\n" +
            "one address per school: only refused attempts spend an address's limit, so the outcome should not change");
        var noProbe = command.Flag("--no-probe", "skip the raw Azurite throughput probe before the storm");
        var probeOnly = command.Flag("--probe-only", "run the Azurite probe, then stop");
        var queueProbe = command.Flag("--queue-probe", "diagnostics only: --devices messages through an Azurite queue, then one send every 3 s for 90 s");
        command.AcceptSettings(IsProductSetting, "--Section:Name <value>",
            "a product setting for the dev host, as is (real time, not scaled), over the benchmark's scaled one:\n" +
            "e.g. --Registration:CheckInterval 00:00:01 (the emulator's options are the benchmark's: --GraphEmulator:* is refused)");
        if (!command.TryParse(args, out exitCode))
        {
            settings = null;
            return false;
        }

        if (timeScale.Value <= 0)
        {
            exitCode = command.Reject("--time-scale must be above 0");
            settings = null;
            return false;
        }

        settings = new StormSettings(
            devices.Value, Math.Max(1, concurrency.Value), timeScale.Value, batchSize.Value, backgroundWrites.Value, backgroundRequests.Value,
            !noBaseline.Value, baselineDevices.Value, baselineConcurrency.Value == 0 ? Math.Max(1, baselineDevices.Value) : baselineConcurrency.Value, outageMinutes.Value, outageAfterImports.Value,
            TimeSpan.FromMinutes(timeoutMinutes.Value), seed.Value, Math.Clamp(resellerRegistered.Value, 0, 100), Math.Max(0, unreadable.Value), Math.Max(0, gatewayTimeouts.Value), oneAddress.Value,
            Probe: probeOnly.Value || !noProbe.Value, probeOnly.Value, queueProbe.Value, ReadProductSettings(args));
        return true;
    }

    private static bool IsProductSetting(string name) =>
        DevHostOptions.IsSettingName(name) && !name.StartsWith("GraphEmulator:", StringComparison.OrdinalIgnoreCase);

    /// <summary>The <c>--Section:Name value</c> pairs (CommandLine has checked them and leaves their values to the app).</summary>
    private static Dictionary<string, string> ReadProductSettings(string[] args)
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                continue;
            }

            var equals = args[i].IndexOf('=', StringComparison.Ordinal);
            var name = (equals > 0 ? args[i][..equals] : args[i])[2..];
            if (!IsProductSetting(name))
            {
                continue;
            }

            settings[name] = equals > 0 ? args[i][(equals + 1)..] : args[++i];
        }

        return settings;
    }
}
