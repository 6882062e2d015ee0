using System.Globalization;
using System.Reflection;

namespace Sarthe.GraphEmulator;

/// <summary>When a 429 answer carries a Retry-After header.</summary>
public enum RetryAfterMode
{
    /// <summary>Every 429 carries Retry-After, as Graph's throttling guidance describes (concepts/throttling.md).</summary>
    Always,

    /// <summary>No 429 carries it, as Intune was seen to answer (almenscorner/IntuneCD #217).</summary>
    Never,

    /// <summary>A share of 429s (<see cref="GraphEmulatorOptions.RetryAfterShare"/>) carries it.</summary>
    Share,
}

/// <summary>
/// Behaviour of the emulator, bound from the configuration section <c>GraphEmulator</c> and mutable at run time so
/// tests and benchmarks can switch modes. The defaults are Intune's (documented figures where Microsoft gives one,
/// observed figures otherwise, each named below); the dev host, tests and benchmarks shorten durations themselves.
/// Sources are abbreviated as in tools/GraphEmulator/README.md.
/// </summary>
public sealed class GraphEmulatorOptions
{
    public const string Section = "GraphEmulator";

    // ---- Clock -------------------------------------------------------------------------------------------------

    /// <summary>
    /// Divides every duration of the emulator (import jobs, lags, profile delay, throttle window, outage): 10 makes a
    /// 20 s window last 2 s. Default 1 (Intune's own pace). Not a Graph behaviour: a test and benchmark convenience.
    /// </summary>
    public double TimeScale { get; set; } = 1.0;

    // ---- Import processing -------------------------------------------------------------------------------------

    /// <summary>
    /// Import jobs (one per create call or import action) processed at once; the others wait in FIFO. Default 4.
    /// Undocumented: Intune only says "the actual import process is performed as a background batch process by the
    /// Microsoft Intune service" (WindowsAutopilotIntune module help, andrew-s-taylor/WindowsAutopilotInfo).
    /// </summary>
    public int ImportWorkers { get; set; } = 4;

    /// <summary>
    /// Fixed time one import job takes once started. Default 60 s: observed 62 s and 95 s for one-device imports
    /// (andrew-s-taylor/WindowsAutopilotInfo #29, #22); memdocs autopilot/add-devices.md: "Importing can take several minutes".
    /// </summary>
    public TimeSpan ImportJobDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Time a job takes per identity it carries, on top of <see cref="ImportJobDuration"/>. Default 0.1 s. Undocumented.</summary>
    public TimeSpan ImportPerIdentity { get; set; } = TimeSpan.FromSeconds(0.1);

    /// <summary>
    /// Identities one import action accepts; more is 400. Default 500: no Graph figure exists, the closest documented one is the
    /// portal's CSV limit, "Up to 500 devices can be manually registered via a CSV file" (memdocs autopilot/add-devices.md).
    /// </summary>
    public int MaxImportBatch { get; set; } = 500;

    /// <summary>
    /// Time between a successful job's end and the device showing in windowsAutopilotDeviceIdentities. Default 60 s:
    /// memdocs add-devices.md "The sync might take several minutes"; observed 1 s after an explicit sync call
    /// (andrew-s-taylor/WindowsAutopilotInfo #22, #29), which the product does not make.
    /// </summary>
    public TimeSpan SyncLag { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Time from a device's appearance (or a group tag change) to its profile reading <c>assignedInSync</c>. Default 5 min.
    /// memdocs once said "about 15 minutes" (windows-autopilot-hybrid.md, older revision) and now says the time "varies"
    /// (autopilot/profiles.md): no current figure exists.
    /// </summary>
    public TimeSpan ProfileAssignmentDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Deployment profile assigned per group tag (case-insensitive); "*" matches any device; an empty name means no profile
    /// (configuration can set "*" to "" to switch the default off). A device without a profile reads <c>notAssigned</c>. Default {"*": "Sarthe colleges"}: the département assigns one profile to every college PC.
    /// Stands for the dynamic groups and profile assignments of the tenant (memdocs autopilot/profiles.md).
    /// </summary>
    public Dictionary<string, string> ProfileAssignments { get; set; } = new(StringComparer.OrdinalIgnoreCase) { ["*"] = "Sarthe colleges" };

    /// <summary>
    /// The tenant has an active Intune licence. Off: every deviceManagement request answers 403 with Intune's generic
    /// Forbidden, naming no permission ("The Microsoft Graph API for Intune requires an active Intune license for the
    /// tenant": every Intune resource page; body as observed in AzureAD/microsoft-authentication-library-for-js #1261, #7007).
    /// </summary>
    public bool IntuneLicensed { get; set; } = true;

    /// <summary>
    /// The caller holds DeviceManagementServiceConfig.Read.All or .ReadWrite.All. Off: deviceManagement requests answer 403
    /// "Application must have one of the following scopes: …" (dotraphael/RFL.Microsoft.Intune #1; ugurkocde/IntuneAssignmentChecker #73).
    /// </summary>
    public bool ServiceConfigGranted { get; set; } = true;

    /// <summary>
    /// The caller holds Group.Read.All (or more). Off: /groups answers 403 Authorization_RequestDenied "Insufficient
    /// privileges to complete the operation." (microsoftgraph/microsoft-graph-docs-contrib #6748).
    /// </summary>
    public bool GroupReadGranted { get; set; } = true;

    /// <summary>
    /// Time from updateDeviceProperties to its group tag showing on the device (GET, list). Default 1 min: the action answers
    /// 204 with nothing to read the change from, and the Autopilot record shows edits after the service's sync (memdocs
    /// autopilot/add-devices.md "Edit Autopilot device attributes"); no figure is published, so this is a model, on the
    /// side the product must survive (it reads the tag back until it shows).
    /// </summary>
    public TimeSpan GroupTagUpdateLag { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Time a deleted Autopilot device stays listed and registered. Default 2 min: memdocs add-devices.md "The deletion
    /// process can take a few minutes to complete."
    /// </summary>
    public TimeSpan DeletionLag { get; set; } = TimeSpan.FromMinutes(2);

    // ---- Import outcomes ---------------------------------------------------------------------------------------

    /// <summary>
    /// Serial numbers registered to another tenant: their imports end in 808 ZtdDeviceAssignedToOtherTenant
    /// (SupportArticles-docs import-windows-autopilot-device-csv-files-errors.md).
    /// </summary>
    public List<string> SerialsOwnedElsewhere { get; set; } = [];

    /// <summary>
    /// Serial numbers whose next <see cref="StorageErrorsPerSerial"/> imports end in StorageError, "a generic error …
    /// try again later" (memdocs add-devices.md). A later import succeeds.
    /// </summary>
    public List<string> StorageErrorSerials { get; set; } = [];

    /// <summary>How many imports of each <see cref="StorageErrorSerials"/> entry fail. Default 1.</summary>
    public int StorageErrorsPerSerial { get; set; } = 1;

    /// <summary>Share of otherwise valid identities that end in StorageError (0..1). Default 0.</summary>
    public double StorageErrorRate { get; set; }

    // ---- Lists -------------------------------------------------------------------------------------------------

    /// <summary>
    /// Page size of both lists and the largest accepted $top. Default 1000: one user's observation, "get the initial 1k
    /// devices then page through" (microsoft-graph-docs-contrib #3693); Graph documents no figure (concepts/paging.md:
    /// "Different APIs might have different default and maximum page sizes").
    /// </summary>
    public int MaxPageSize { get; set; } = 1000;

    // ---- Throttling (microsoft-graph-docs-contrib concepts/throttling-limits.md, includes/throttling-intune-enrollment.md) ----

    /// <summary>Writes (POST, PUT, PATCH, DELETE) per app per tenant per window. Default 100 (Intune enrollment limits).</summary>
    public int AppWritesPerWindow { get; set; } = 100;

    /// <summary>Requests of any kind per app per tenant per window. Default 1,000 (Intune enrollment limits).</summary>
    public int AppRequestsPerWindow { get; set; } = 1000;

    /// <summary>Writes per tenant for all apps per window. Default 200 (Intune enrollment limits).</summary>
    public int TenantWritesPerWindow { get; set; } = 200;

    /// <summary>Requests per tenant for all apps per window. Default 2,000 (Intune enrollment limits).</summary>
    public int TenantRequestsPerWindow { get; set; } = 2000;

    /// <summary>The throttling window. Default 20 s (Intune enrollment limits).</summary>
    public TimeSpan ThrottleWindow { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Writes other apps of the tenant (the portal, other scripts) use in every window, out of the tenant's budget. Default 0.
    /// </summary>
    public int BackgroundWritesPerWindow { get; set; }

    /// <summary>
    /// Requests of any kind other apps use in every window, writes included (at least <see cref="BackgroundWritesPerWindow"/>).
    /// Default 0.
    /// </summary>
    public int BackgroundRequestsPerWindow { get; set; }

    /// <summary>
    /// Whether 429 answers carry Retry-After. Default <see cref="RetryAfterMode.Always"/> (concepts/throttling.md: "A suggested
    /// wait time is returned in the response header"); Intune was seen to answer without it (almenscorner/IntuneCD #217).
    /// </summary>
    public RetryAfterMode RetryAfter { get; set; } = RetryAfterMode.Always;

    /// <summary>Share of 429s carrying Retry-After in <see cref="RetryAfterMode.Share"/> mode (0..1). Default 0.5.</summary>
    public double RetryAfterShare { get; set; } = 0.5;

    // ---- Faults ------------------------------------------------------------------------------------------------

    /// <summary>
    /// Share of requests answered 503 or 504 before anything else (0..1). Default 0. Graph documents both ("You may repeat
    /// the request after a delay", microsoft-graph-docs-contrib concepts/errors.md); Microsoft's Dev Proxy injects the same
    /// (GraphRandomErrorPlugin); the Kiota retry handler retries them (kiota-dotnet RetryHandler.cs).
    /// </summary>
    public double FaultRate { get; set; }

    /// <summary>Latency added to every Graph request, in real time (not scaled). Default 0.</summary>
    public TimeSpan AddedLatency { get; set; } = TimeSpan.Zero;

    /// <summary>Seed of the emulator's dice (faults, StorageError rate, Retry-After share), for repeatable runs. Default 1.</summary>
    public int RandomSeed { get; set; } = 1;

    // ---- Test hooks: not Graph behaviours ------------------------------------------------------------------------

    /// <summary>
    /// Real time (not scaled) the emulator holds its answer to an import POST (create or import action) after it has
    /// taken the import: a caller that dies meanwhile never learns that Graph has it. The chaos benchmark kills the
    /// host in that window ("between import POST and its record"). Default 0. Also settable at run time
    /// (<c>POST /_emulator/delays</c>).
    /// </summary>
    public TimeSpan ImportAnswerDelay { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Import POSTs (create or import action) that are taken (their identities stored) and then answered 504
    /// GatewayTimeout, as a gateway does when the service behind it answered too late; counted down by each such POST.
    /// Default 0. Also settable at run time (<see cref="GraphEmulatorState.AnswerNextImportsAfterAccepting"/>).
    /// </summary>
    public int ImportsAnsweredGatewayTimeout { get; set; }

    /// <summary>
    /// Serial numbers whose record Graph cannot read: an import POST holding one is refused whole with 400 and OData's
    /// "Cannot convert the literal … to the expected type 'Edm.Binary'", and nothing of it is stored. Default empty.
    /// </summary>
    public List<string> UnreadableSerials { get; set; } = [];

    /// <summary>
    /// Real time the emulator waits before answering a read of imported identities (a list page or a GET by id): the
    /// product's status checks, slowed so that a host can be killed during one. Default 0.
    /// </summary>
    public TimeSpan StatusReadDelay { get; set; } = TimeSpan.Zero;

    // ---- Former names, kept so code written against the first emulator still compiles ---------------------------

    /// <summary>Former name of <see cref="AppWritesPerWindow"/>.</summary>
    public int WriteBudget
    {
        get => AppWritesPerWindow;
        set => AppWritesPerWindow = value;
    }

    /// <summary>Former name of <see cref="AppRequestsPerWindow"/>.</summary>
    public int RequestBudget
    {
        get => AppRequestsPerWindow;
        set => AppRequestsPerWindow = value;
    }

    /// <summary>Former switch: true is <see cref="RetryAfterMode.Always"/>, false <see cref="RetryAfterMode.Never"/>.</summary>
    public bool SendRetryAfter
    {
        get => RetryAfter != RetryAfterMode.Never;
        set => RetryAfter = value ? RetryAfterMode.Always : RetryAfterMode.Never;
    }

    /// <summary>
    /// Former name of <see cref="ImportJobDuration"/> (it was "how long an import stays unknown"). It no longer covers the
    /// sync lag or the wait for a free worker.
    /// </summary>
    public TimeSpan ImportProcessingDelay
    {
        get => ImportJobDuration;
        set => ImportJobDuration = value;
    }

    /// <summary><paramref name="value"/> divided by <see cref="TimeScale"/>.</summary>
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
