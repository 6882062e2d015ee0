using Sarthe.GraphEmulator;

namespace Sarthe.DevHost;

public sealed class DevHostOptions
{
    /// <summary>HTTP port of the Functions routes; 0 picks a free one (tests).</summary>
    public int Port { get; set; } = 7071;

    /// <summary>Used when no Graph:BaseUrl is configured; imports resolve after a few seconds so a developer sees them.</summary>
    public GraphEmulatorOptions GraphEmulator { get; set; } = new();

    /// <summary>Settings that win over everything else (tests, benchmarks).</summary>
    public Dictionary<string, string?> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Command-line arguments, as for any ASP.NET Core app.</summary>
    public string[] Args { get; set; } = [];

    /// <summary>Console logging of the whole host; tests turn it down.</summary>
    public LogLevel MinimumLogLevel { get; set; } = LogLevel.Information;
}
