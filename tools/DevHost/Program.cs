using Sarthe.DevHost;
using Sarthe.Tools;

var command = new CommandLine("dotnet run --project tools/DevHost --",
    "The whole backend locally, without Azure or Core Tools: the Functions API and dashboard, the queue and timer triggers,\n" +
    "Azurite and the Graph emulator (unless AzureWebJobsStorage or Graph:BaseUrl is configured).",
    "--Port 7072 --AutopilotSyncSchedule \"*/10 * * * * *\"");
var port = command.Int("--Port", 7071, "HTTP port of the Functions routes; DEVHOST_PORT also sets it");
var consoleTelemetry = command.Flag("--console-telemetry",
    "print every span, metric and log record (OpenTelemetry console exporter);\n" +
    "OTEL_EXPORTER_OTLP_ENDPOINT=<url> sends the same to an OTLP collector");
command.AcceptSettings(DevHostOptions.IsSettingName, "--<Section:Key> <value>",
    "any configuration setting, as in any ASP.NET Core app: --Graph:BaseUrl <url>,\n" +
    "--Dashboard:RefreshSeconds 10, ...; and these, without a section:\n" +
    string.Join(",\n", DevHostOptions.TopLevelSettings.Chunk(3).Select(names => string.Join(", ", names))));
if (!command.TryParse(args, out var exitCode))
{
    return exitCode;
}

var options = new DevHostOptions { Args = args.Where(a => !string.Equals(a, "--console-telemetry", StringComparison.OrdinalIgnoreCase)).ToArray(), ConsoleTelemetry = consoleTelemetry.Value };
if (port.IsSet)
{
    options.Port = port.Value;
}
else if (int.TryParse(Environment.GetEnvironmentVariable("DEVHOST_PORT"), out var environmentPort))
{
    options.Port = environmentPort;
}

using var stop = new StopSignal("dev host, Graph emulator, Azurite");
RunningDevHost host;
try
{
    host = await RunningDevHost.StartAsync(options, stop.Token);
}
catch (DevHostStartupException ex)
{
    Console.Error.WriteLine($"Dev host could not start: {ex.Message}");
    return 1;
}
catch (OperationCanceledException) when (stop.IsRequested)
{
    return stop.ExitCode;
}

await using (host)
{
    var api = new Uri(host.BaseUrl, "api/");
    Console.WriteLine($$"""

        Sarthe enrolment backend (dev host) is running.
          Functions API   {{api}}  (health: {{api}}health, OpenAPI: {{api}}openapi.json)
          Dashboard       {{api}}dashboard  (one-click dev sign-in)
          Dev token       POST {{host.BaseUrl}}dev/token  {"roles":["Enrolment.Admin"]}
          Storage         {{(host.Azurite is null ? "configured AzureWebJobsStorage" : "Azurite (in memory)")}}
          Graph           {{(host.Graph is null ? "configured Graph:BaseUrl" : $"Graph emulator {host.Graph.GraphBaseUrl}")}}
        Press Ctrl+C to stop.

        """);
    await host.App.WaitForShutdownAsync(stop.Token);
}

return 0;
