namespace Sarthe.GraphEmulator;

/// <summary>Behaviour of the emulator; mutable at run time so tests and benchmarks can switch modes.</summary>
public sealed class GraphEmulatorOptions
{
    public const string Section = "GraphEmulator";

    /// <summary>Writes (POST, PATCH, DELETE) allowed per app per window, as Intune: 100 per 20 s.</summary>
    public int WriteBudget { get; set; } = 100;

    /// <summary>All requests allowed per app per window, as Intune: 1,000 per 20 s.</summary>
    public int RequestBudget { get; set; } = 1000;

    /// <summary>The throttling window at time scale 1.</summary>
    public TimeSpan ThrottleWindow { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Send Retry-After with 429 answers; off reproduces the answers that carry none.</summary>
    public bool SendRetryAfter { get; set; } = true;

    /// <summary>How long an import stays <c>unknown</c> before it resolves, at time scale 1.</summary>
    public TimeSpan ImportProcessingDelay { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Speeds up windows and delays for benchmarks: 10 makes a 20 s window last 2 s.</summary>
    public double TimeScale { get; set; } = 1.0;

    /// <summary>Share of requests answered 503 or 504 before doing anything (0..1).</summary>
    public double FaultRate { get; set; }

    /// <summary>Latency added to every request.</summary>
    public TimeSpan AddedLatency { get; set; } = TimeSpan.Zero;

    /// <summary>Largest page a list returns.</summary>
    public int MaxPageSize { get; set; } = 100;

    /// <summary>Largest number of identities one import action accepts.</summary>
    public int MaxImportBatch { get; set; } = 500;

    /// <summary>Serial numbers registered to another organisation: their imports end in error 806.</summary>
    public List<string> SerialsOwnedElsewhere { get; set; } = [];

    /// <summary>Seed of the fault-injection dice, for repeatable runs.</summary>
    public int RandomSeed { get; set; } = 1;

    public TimeSpan Scaled(TimeSpan value) => TimeSpan.FromTicks((long)(value.Ticks / Math.Max(TimeScale, 0.001)));
}
