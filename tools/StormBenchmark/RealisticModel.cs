using System.Globalization;
using Sarthe.Enrolment.Graph;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Registration;
using Sarthe.GraphEmulator;

namespace Sarthe.StormBenchmark;

/// <summary>
/// Intune's model as the emulator's defaults describe it, and the product's timings at their defaults, both divided by
/// the same time scale, so that the product meets Intune at the pace it was designed for, only faster. Storage and
/// CPU work do not shrink with the scale: at a large scale the machine's own speed weighs more than it would in Azure.
/// </summary>
public sealed class RealisticModel(StormSettings settings)
{
    /// <summary>The emulator's defaults are Intune's (tools/GraphEmulator/README.md); nothing is shortened here but by the scale.</summary>
    private static readonly GraphEmulatorOptions Intune = new();

    private static readonly RegistrationOptions ProductDefaults = new();

    public double TimeScale => settings.TimeScale;

    /// <summary>A fresh emulator's options: Intune's defaults, the scale, the other apps' load.</summary>
    public GraphEmulatorOptions Emulator() => new()
    {
        TimeScale = settings.TimeScale,
        BackgroundWritesPerWindow = settings.BackgroundWrites,
        BackgroundRequestsPerWindow = settings.BackgroundRequests,
    };

    public int Workers => Intune.ImportWorkers;

    public int MaxImportBatch => Intune.MaxImportBatch;

    public TimeSpan JobFixed => Scaled(Intune.ImportJobDuration);

    public TimeSpan JobPerIdentity => Scaled(Intune.ImportPerIdentity);

    /// <summary>D(n): one import job of n identities, once a worker has taken it.</summary>
    public TimeSpan Job(int identities) => Scaled(Intune.ImportJobDuration + Intune.ImportPerIdentity * identities);

    public TimeSpan SyncLag => Scaled(Intune.SyncLag);

    public TimeSpan ProfileDelay => Scaled(Intune.ProfileAssignmentDelay);

    public TimeSpan ThrottleWindow => Scaled(Intune.ThrottleWindow);

    /// <summary>Microsoft's tool sleeps 30 s between looks (Get-WindowsAutoPilotInfo.ps1); scaled.</summary>
    public TimeSpan ScriptPollInterval => Scaled(TimeSpan.FromSeconds(30));

    public TimeSpan MaxGraphBackoff => Scaled(ProductDefaults.MaxGraphBackoff);

    public TimeSpan SyncTick => TimeSpan.FromSeconds(SyncTickSeconds);

    /// <summary>The sync timer every 10 s (its default), scaled; a timer fires on whole seconds, so at least 1 s.</summary>
    private int SyncTickSeconds => Math.Max(1, (int)Math.Round(10 / settings.TimeScale));

    /// <summary>The SDK's retry delay is whole seconds (default 3): scaled and rounded, 0 at scale 10 (retries at once).</summary>
    public int RetryDelaySeconds => (int)Math.Round(new GraphOptions().RetryDelaySeconds / settings.TimeScale);

    /// <summary>
    /// The product's settings for the dev host: every delay of Registration and Graph divided by the scale, the budgets
    /// as they are (they are counts per window, and the window is scaled), then the command line's own settings over them.
    /// MaxSyncRun is not scaled: it bounds a run's real work (storage), which the scale does not shorten.
    /// </summary>
    public Dictionary<string, string?> ProductSettings()
    {
        var registration = RegistrationOptions.Section;
        var product = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            [TriggerOptions.AutopilotSyncScheduleSetting] = Every(SyncTickSeconds),
            [TriggerOptions.SweepScheduleSetting] = Every((int)Math.Round(300 / settings.TimeScale)),
            [$"{registration}:{nameof(RegistrationOptions.ImportBatchSize)}"] = Text(settings.BatchSize),
            [$"{registration}:{nameof(RegistrationOptions.FirstCheckDelay)}"] = Text(Scaled(ProductDefaults.FirstCheckDelay)),
            [$"{registration}:{nameof(RegistrationOptions.CheckInterval)}"] = Text(Scaled(ProductDefaults.CheckInterval)),
            [$"{registration}:{nameof(RegistrationOptions.AutopilotCheckInterval)}"] = Text(Scaled(ProductDefaults.AutopilotCheckInterval)),
            [$"{registration}:{nameof(RegistrationOptions.GraphBackoff)}"] = Text(Scaled(ProductDefaults.GraphBackoff)),
            [$"{registration}:{nameof(RegistrationOptions.MaxGraphBackoff)}"] = Text(Scaled(ProductDefaults.MaxGraphBackoff)),
            [$"{registration}:{nameof(RegistrationOptions.StuckAfter)}"] = Text(Scaled(ProductDefaults.StuckAfter)),
            [$"{registration}:{nameof(RegistrationOptions.AutomaticRetryAfter)}"] = Text(Scaled(ProductDefaults.AutomaticRetryAfter)),
            [$"{GraphOptions.Section}:{nameof(GraphOptions.BudgetWindow)}"] = Text(Scaled(new GraphOptions().BudgetWindow)),
            [$"{GraphOptions.Section}:{nameof(GraphOptions.WritesPerWindow)}"] = Text(new GraphOptions().WritesPerWindow),
            [$"{GraphOptions.Section}:{nameof(GraphOptions.RequestsPerWindow)}"] = Text(new GraphOptions().RequestsPerWindow),
            [$"{GraphOptions.Section}:{nameof(GraphOptions.RetryDelaySeconds)}"] = Text(RetryDelaySeconds),
        };
        foreach (var (name, value) in settings.ProductSettings)
        {
            product[name] = value;
        }

        return product;
    }

    public TimeSpan Scaled(TimeSpan value) => TimeSpan.FromTicks((long)(value.Ticks / settings.TimeScale));

    /// <summary>A 6-field CRON firing every <paramref name="seconds"/> (rounded to what CRON can say: under a minute, every
    /// n seconds of the minute; above, every n minutes).</summary>
    private static string Every(int seconds) => seconds switch
    {
        <= 1 => "* * * * * *",
        < 60 => $"*/{seconds} * * * * *",
        < 3600 => $"0 */{Math.Max(1, (int)Math.Round(seconds / 60.0))} * * * *",
        _ => $"0 0 */{Math.Min(23, Math.Max(1, (int)Math.Round(seconds / 3600.0)))} * * *",
    };

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Text(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}
