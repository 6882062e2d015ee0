using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using Azure;
using Azure.Data.Tables;
using Microsoft.Azure.WebJobs;
using Microsoft.Extensions.Configuration.Memory;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Dashboard;
using Sarthe.Enrolment.Graph;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.Keys;
using Sarthe.Enrolment.Registration;
using Sarthe.GraphEmulator;
using Sarthe.Tools;

namespace Sarthe.DevHost;

/// <summary>Thrown for start-up problems a developer can fix; printed as one line, without a stack trace.</summary>
public class DevHostStartupException(string message, Exception? inner = null) : Exception(message, inner);

public sealed class PortInUseException(int port, Exception inner)
    : DevHostStartupException($"Port {port} is already in use: stop the other process or pass --Port <n>.", inner);

/// <summary>
/// The whole backend in one process: Azurite and the Graph emulator (unless real ones are configured),
/// the HTTP functions on Kestrel, the queue and timer functions under the WebJobs SDK, and a dev token issuer.
/// </summary>
public sealed class RunningDevHost : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned;

    private RunningDevHost(WebApplication app, Uri baseUrl, DevTokenIssuer tokens, AzuriteProcess? azurite, RunningGraphEmulator? graph, List<IAsyncDisposable> owned)
    {
        App = app;
        BaseUrl = baseUrl;
        Tokens = tokens;
        Azurite = azurite;
        Graph = graph;
        _owned = owned;
    }

    public WebApplication App { get; }

    public IServiceProvider Services => App.Services;

    /// <summary>http://localhost:port/ — the Functions routes are under api/.</summary>
    public Uri BaseUrl { get; }

    public DevTokenIssuer Tokens { get; }

    public AzuriteProcess? Azurite { get; }

    public RunningGraphEmulator? Graph { get; }

    public string StorageConnectionString => App.Configuration[StorageConnection.SettingName] ?? "";

    /// <summary>
    /// Where the dev host departs from the options' defaults (which Azure uses), so that a developer watching sees
    /// a device registered within seconds; environment, command line and explicit settings still win.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> DevelopmentSettings = new Dictionary<string, string>
    {
        [TriggerOptions.AutopilotSyncScheduleSetting] = "*/2 * * * * *",
        // Hourly rather than nightly, so a developer sees its retention.purged entry in the trail.
        [TriggerOptions.RetentionScheduleSetting] = "0 30 * * * *",
        [$"{RegistrationOptions.Section}:{nameof(RegistrationOptions.FirstCheckDelay)}"] = "00:00:03",
        [$"{RegistrationOptions.Section}:{nameof(RegistrationOptions.CheckInterval)}"] = "00:00:02",
        [$"{RegistrationOptions.Section}:{nameof(RegistrationOptions.AutopilotCheckInterval)}"] = "00:00:02",
        [$"{RegistrationOptions.Section}:{nameof(RegistrationOptions.StuckAfter)}"] = "00:05:00",
        // The dashboard's one-click sign-in posts this host's own token endpoint (never configured in Azure).
        [$"{DashboardOptions.Section}:{nameof(DashboardOptions.DevTokenUrl)}"] = "/dev/token",
        [$"{DashboardOptions.Section}:{nameof(DashboardOptions.RefreshSeconds)}"] = "5",
    };

    public static async Task<RunningDevHost> StartAsync(DevHostOptions options, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var owned = new List<IAsyncDisposable>();
            try
            {
                return await StartCoreAsync(options, owned, cancellationToken);
            }
            catch (PortInUseException) when (options.Port == 0 && attempt < 5)
            {
                // A port we picked was taken before we bound it: start again on another.
                await DisposeAllAsync(owned);
            }
            catch
            {
                await DisposeAllAsync(owned);
                throw;
            }
        }
    }

    private static async Task<RunningDevHost> StartCoreAsync(DevHostOptions options, List<IAsyncDisposable> owned, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = options.Args,
            ContentRootPath = AppContext.BaseDirectory,
            ApplicationName = typeof(RunningDevHost).Assembly.GetName().Name,
        });
        builder.Configuration.AddInMemoryCollection(options.Settings);
        var configuration = builder.Configuration;

        var port = options.Port == 0 ? FreePort.Next() : options.Port;
        var baseUrl = new Uri($"http://localhost:{port}/");
        var defaults = new Dictionary<string, string?>();

        AzuriteProcess? azurite = null;
        var storageConfigured = !string.IsNullOrWhiteSpace(configuration[StorageConnection.SettingName])
                                || configuration.GetSection(StorageConnection.SettingName).GetChildren().Any();
        if (!storageConfigured)
        {
            azurite = await AzuriteProcess.StartAsync(cancellationToken);
            owned.Add(azurite);
            defaults[StorageConnection.SettingName] = azurite.ConnectionString;
        }

        RunningGraphEmulator? graph = null;
        if (string.IsNullOrWhiteSpace(configuration[$"{GraphOptions.Section}:{nameof(GraphOptions.BaseUrl)}"]))
        {
            graph = await RunningGraphEmulator.StartAsync(options.GraphEmulator);
            owned.Add(graph);
            defaults[$"{GraphOptions.Section}:{nameof(GraphOptions.BaseUrl)}"] = graph.GraphBaseUrl;
            defaults[$"{GraphOptions.Section}:{nameof(GraphOptions.Credential)}"] = nameof(GraphCredentialKind.Emulator);
        }

        var tokens = new DevTokenIssuer($"{baseUrl}dev".TrimEnd('/'), issuer: options.TokenIssuer);
        defaults[$"{AdminAuthOptions.Section}:{nameof(AdminAuthOptions.MetadataAddress)}"] = tokens.MetadataAddress;
        defaults[$"{AdminAuthOptions.Section}:{nameof(AdminAuthOptions.Audience)}"] = tokens.Audience;
        defaults[$"{AdminAuthOptions.Section}:{nameof(AdminAuthOptions.RequireHttpsMetadata)}"] = "false";

        // A master secret of this run only (never stored): keys issued by this dev host stop working when it stops.
        defaults[$"{EnrolmentKeyOptions.Section}:{nameof(EnrolmentKeyOptions.MasterSecret)}"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        // Bundles name this host as the endpoint devices call (in Azure the Bicep template sets the app's URL).
        defaults[$"{EnrolmentKeyOptions.Section}:{nameof(EnrolmentKeyOptions.PublicEndpoint)}"] = baseUrl.ToString().TrimEnd('/');
        // Trigger settings are resolved by the WebJobs SDK from configuration: the options' own defaults.
        foreach (var (name, value) in new TriggerOptions().AsSettings())
        {
            defaults[name] = value;
        }

        foreach (var (name, value) in DevelopmentSettings)
        {
            defaults[name] = value;
        }

        // Defaults go underneath: environment, command line and explicit settings still win.
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = defaults });

        await CheckStorageReachableAsync(StorageConnection.FromConfiguration(configuration), cancellationToken);

        builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
        // A time on every line: what happened when is what explains a stall after a crash or an outage.
        builder.Logging.AddSimpleConsole(console =>
        {
            console.TimestampFormat = "HH:mm:ss.fff ";
            console.UseUtcTimestamp = true;
            console.SingleLine = true;
        });
        // A category's own filter wins over the minimum: never let one log below what the caller asked for
        // (the benchmarks ask for Critical, and a stopped run's cancelled invocations are not news).
        var atLeast = (LogLevel level) => (LogLevel)Math.Max((int)level, (int)options.MinimumLogLevel);
        builder.Logging.AddFilter("Microsoft", atLeast(LogLevel.Warning));
        builder.Logging.AddFilter("Azure", atLeast(LogLevel.Warning));
        // Expected 409/412 answers (insert-if-absent, ETag races) are how the code works, not warnings.
        builder.Logging.AddFilter("Azure.Core", atLeast(LogLevel.Error));
        builder.Logging.AddFilter("Host", atLeast(LogLevel.Warning));
        builder.Logging.AddFilter("Function", atLeast(LogLevel.Warning));
        builder.WebHost.UseUrls(baseUrl.ToString().TrimEnd('/'));

        // Ctrl+C and SIGTERM are the owner's to handle (the dev host's Program, a benchmark, the test host).
        builder.Services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>();
        builder.Services.AddEnrolmentServices(configuration);
        AddTelemetry(builder.Services, configuration, options);
        builder.Services.AddSingleton(tokens);
        AddWebJobs(builder);

        var app = builder.Build();
        app.MapDevIssuer(tokens);
        app.MapHttpFunctions(HttpFunctionCatalog.Discover(typeof(EnrolmentServiceCollectionExtensions).Assembly));
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is IOException && ex.InnerException is System.Net.Sockets.SocketException or Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            await app.DisposeAsync();
            throw new PortInUseException(port, ex);
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException ex)
        {
            await app.DisposeAsync();
            throw new DevHostStartupException($"Invalid settings: {string.Join(" ", ex.Failures)}", ex);
        }
        catch
        {
            // Any other failed start, a cancelled one (Ctrl+C) included: the app is not in `owned` yet.
            await app.DisposeAsync();
            throw;
        }

        owned.Insert(0, app);
        return new RunningDevHost(app, baseUrl, tokens, azurite, graph, owned);
    }

    /// <summary>
    /// The worker's telemetry (<see cref="TelemetryRegistration"/>), with ASP.NET Core's server spans and metrics in
    /// place of the Functions host's invocation spans; only when something exports it.
    /// </summary>
    private static void AddTelemetry(IServiceCollection services, IConfiguration configuration, DevHostOptions options)
    {
        if (!options.ConsoleTelemetry && options.Telemetry is null && !TelemetryRegistration.HasExporter(configuration))
        {
            return;
        }

        var telemetry = services.AddEnrolmentTelemetry(configuration)
            .WithTracing(tracing => tracing.AddSource("Microsoft.AspNetCore"))
            .WithMetrics(metrics => metrics.AddMeter("Microsoft.AspNetCore.Hosting"));
        if (options.ConsoleTelemetry)
        {
            telemetry.WithTracing(tracing => tracing.AddConsoleExporter())
                .WithMetrics(metrics => metrics.AddConsoleExporter())
                .WithLogging(logging => logging.AddConsoleExporter());
        }

        options.Telemetry?.Invoke(telemetry);
    }

    /// <summary>Queue and timer triggers run under the WebJobs SDK, configured from host.json's extensions.queues.</summary>
    private static void AddWebJobs(WebApplicationBuilder builder)
    {
        var hostJson = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "host.json"), optional: false)
            .Build();
        var overrides = builder.Configuration.GetSection("AzureFunctionsJobHost:extensions:queues");
        builder.Host.ConfigureWebJobs(webJobs =>
        {
            webJobs.AddAzureStorageCoreServices();
            webJobs.AddAzureStorageQueues(queues =>
            {
                // host.json, then AzureFunctionsJobHost__extensions__queues__* settings, as the Functions host does.
                hostJson.GetSection("extensions:queues").Bind(queues);
                overrides.Bind(queues);
            });
            webJobs.AddTimers();
        });
        builder.Services.AddSingleton<ITypeLocator>(new AdapterTypeLocator(WebJobsAdapters.Types));
    }

    private static async Task CheckStorageReachableAsync(StorageConnection storage, CancellationToken cancellationToken)
    {
        var options = new TableClientOptions();
        options.Retry.MaxRetries = 1;
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(5);
        var client = storage.CreateTableServiceClient(options);
        try
        {
            await foreach (var _ in client.QueryAsync(maxPerPage: 1, cancellationToken: cancellationToken).AsPages(pageSizeHint: 1))
            {
                break;
            }
        }
        // A check cancelled by Ctrl+C is the developer stopping, not storage being unreachable.
        catch (Exception ex) when (ex is RequestFailedException or AggregateException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new DevHostStartupException(
                $"Storage at {client.Uri} is unreachable ({FirstLine(ex)}). Check {StorageConnection.SettingName}, or unset it to use Azurite.", ex);
        }
    }

    private static string FirstLine(Exception ex)
    {
        var root = ex is AggregateException aggregate ? aggregate.Flatten().InnerExceptions[^1] : ex;
        return root.Message.Split('\n')[0].Trim();
    }

    public async ValueTask DisposeAsync()
    {
        Tokens.Dispose();
        await DisposeAllAsync(_owned);
    }

    /// <summary>Stops and disposes every item, even after one failed, so that Azurite is never left running.</summary>
    private static async Task DisposeAllAsync(List<IAsyncDisposable> owned)
    {
        var failures = new List<Exception>();
        foreach (var item in owned)
        {
            if (item is WebApplication app)
            {
                // Drain first, as the Functions host does when the platform takes an instance away: the listeners stop
                // taking messages and let the invocations in flight finish. Stopped without it mid-storm, the WebJobs
                // SDK's queue listener met its disposed token on a thread of its own and ended the process (exit 134).
                if (app.Services.GetService<Microsoft.Azure.WebJobs.Host.IDrainModeManager>() is { } drain)
                {
                    await CollectFailureAsync(() => drain.EnableDrainModeAsync(CancellationToken.None), failures);
                }

                await CollectFailureAsync(() => app.StopAsync(), failures);
                await CollectFailureAsync(() => InvocationsEndedAsync(app.Services), failures);
            }

            await CollectFailureAsync(() => item.DisposeAsync().AsTask(), failures);
        }

        owned.Clear();
        if (failures.Count == 1)
        {
            ExceptionDispatchInfo.Throw(failures[0]);
        }

        if (failures.Count > 1)
        {
            throw new AggregateException(failures);
        }
    }

    /// <summary>
    /// Waits (at most 10 s) for the invocations still running when the listeners stopped: the WebJobs SDK logs each
    /// one's completion through the app's logger factory, and disposing it first ended the process on the SDK's thread
    /// (ObjectDisposedException in FunctionInstanceLogger, exit 134 on a SIGTERM mid-storm).
    /// </summary>
    private static async Task InvocationsEndedAsync(IServiceProvider services)
    {
        if (services.GetService<Microsoft.Azure.WebJobs.Host.Executors.IFunctionActivityStatusProvider>() is not { } activity)
        {
            return;
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (activity.GetStatus().OutstandingInvocations > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
    }

    private static async Task CollectFailureAsync(Func<Task> action, List<Exception> failures)
    {
        try
        {
            await action();
        }
        catch (Exception ex)
        {
            failures.Add(ex);
        }
    }
}
