using OpenTelemetry;
using Sarthe.Enrolment.Hosting;
using Sarthe.GraphEmulator;

namespace Sarthe.DevHost;

public sealed class DevHostOptions
{
    /// <summary>HTTP port of the Functions routes; 0 picks a free one (tests).</summary>
    public int Port { get; set; } = 7071;

    /// <summary>
    /// Used when no Graph:BaseUrl is configured. Intune's behaviour with its delays shortened to seconds, so a developer
    /// sees a device registered and its profile assigned while watching (the emulator's own defaults are Intune's).
    /// </summary>
    public GraphEmulatorOptions GraphEmulator { get; set; } = new()
    {
        ImportJobDuration = TimeSpan.FromSeconds(3),
        ImportPerIdentity = TimeSpan.FromMilliseconds(10),
        SyncLag = TimeSpan.FromSeconds(2),
        ProfileAssignmentDelay = TimeSpan.FromSeconds(3),
        DeletionLag = TimeSpan.FromSeconds(5),
    };

    /// <summary>
    /// The issuer the dev token issuer names (default: its own address). Tests set an Entra ID one,
    /// https://login.microsoftonline.com/{tenant}/v2.0, to check Entra's v1 and v2 token shapes.
    /// </summary>
    public string? TokenIssuer { get; set; }

    /// <summary>Print every span, metric and log record on the console (OpenTelemetry's console exporter).</summary>
    public bool ConsoleTelemetry { get; set; }

    /// <summary>
    /// More exporters for the same telemetry the Functions worker emits (tests add an in-memory one). Telemetry is
    /// registered when this is set, <see cref="ConsoleTelemetry"/> is, or a setting names an exporter
    /// (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c>).
    /// </summary>
    public Action<OpenTelemetryBuilder>? Telemetry { get; set; }

    /// <summary>Settings that win over everything else (tests, benchmarks).</summary>
    public Dictionary<string, string?> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Command-line arguments, as for any ASP.NET Core app.</summary>
    public string[] Args { get; set; } = [];

    /// <summary>Console logging of the whole host; tests turn it down.</summary>
    public LogLevel MinimumLogLevel { get; set; } = LogLevel.Information;

    /// <summary>Settings without a section that the backend or ASP.NET Core reads: accepted as <c>--Name value</c>.</summary>
    public static IReadOnlyList<string> TopLevelSettings { get; } = [StorageConnection.SettingName, .. new TriggerOptions().AsSettings().Keys, TelemetryRegistration.OtlpEndpointSetting, "urls"];

    /// <summary>
    /// Whether <c>--<paramref name="name"/> value</c> on the command line is a configuration setting: any
    /// <c>Section:Key</c>, or one of <see cref="TopLevelSettings"/>. Anything else is a typo to refuse.
    /// </summary>
    public static bool IsSettingName(string name) =>
        name.Contains(':', StringComparison.Ordinal) || TopLevelSettings.Contains(name, StringComparer.OrdinalIgnoreCase);
}
