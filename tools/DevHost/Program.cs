using Sarthe.DevHost;

// The whole backend locally, without Azure or Core Tools: dotnet run --project tools/DevHost
var options = new DevHostOptions { Args = args };
var configuredPort = Environment.GetEnvironmentVariable("DEVHOST_PORT") ?? args.SkipWhile(a => a != "--Port").Skip(1).FirstOrDefault();
if (int.TryParse(configuredPort, out var port))
{
    options.Port = port;
}

RunningDevHost host;
try
{
    host = await RunningDevHost.StartAsync(options);
}
catch (DevHostStartupException ex)
{
    Console.Error.WriteLine($"Dev host could not start: {ex.Message}");
    return 1;
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
    await host.App.WaitForShutdownAsync();
    Console.WriteLine("Stopping: dev host, Graph emulator, Azurite.");
}

return 0;
