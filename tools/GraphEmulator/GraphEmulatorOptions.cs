using System.Globalization;
using System.Reflection;

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

    /// <summary>
    /// The standalone emulator's settings on the command line: <c>GraphEmulator:Name</c> for a property of this
    /// class, <c>GraphEmulator:SerialsOwnedElsewhere:0</c> for an item of the list; what configuration binding reads.
    /// </summary>
    public static bool IsSettingName(string key)
    {
        var parts = key.Split(':');
        var property = parts.Length is 2 or 3 && parts[0].Equals(Section, StringComparison.OrdinalIgnoreCase)
            ? Settings.FirstOrDefault(p => p.Name.Equals(parts[1], StringComparison.OrdinalIgnoreCase))
            : null;
        return property is not null
               && (parts.Length == 2 || (property.PropertyType == typeof(List<string>) && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out _)));
    }

    /// <summary>One line per setting with its default, for --help.</summary>
    public static string DescribeDefaults()
    {
        var defaults = new GraphEmulatorOptions();
        return string.Join("\n", Settings.Select(p => $"{p.Name}: {p.GetValue(defaults) switch
        {
            List<string> list => list.Count == 0 ? "none (list: --GraphEmulator:" + p.Name + ":0 <value>, :1 ...)" : string.Join(", ", list),
            bool b => b ? "true" : "false",
            IFormattable value => value.ToString(null, CultureInfo.InvariantCulture),
            var value => value?.ToString(),
        }}"));
    }

    // The settable properties are the settings: a new one is accepted and listed without another edit here.
    private static readonly PropertyInfo[] Settings = typeof(GraphEmulatorOptions).GetProperties().Where(p => p.CanWrite).ToArray();
}
