using System.Globalization;
using Sarthe.DevHost;

namespace Sarthe.ChaosBenchmark;

/// <summary>
/// Azurite with its data on disk (a folder of this run), on ports of its own. Only the host is ever killed: Azurite's
/// disk store saves every 5 s, so a kill -9 of Azurite would throw away writes it had acknowledged, which Azure
/// Storage never does. A storage outage is played by pausing it (SIGSTOP) and resuming it (SIGCONT).
/// </summary>
public sealed class AzuriteOnDisk : IAsyncDisposable
{
    // Azurite's documented, public development account: not a secret.
    private const string AccountName = "devstoreaccount1";
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly ChildProcess _process;

    private AzuriteOnDisk(ChildProcess process, string location, int blobPort, int queuePort, int tablePort)
    {
        _process = process;
        Location = location;
        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
            $"BlobEndpoint=http://127.0.0.1:{blobPort}/{AccountName};" +
            $"QueueEndpoint=http://127.0.0.1:{queuePort}/{AccountName};" +
            $"TableEndpoint=http://127.0.0.1:{tablePort}/{AccountName};";
    }

    public string ConnectionString { get; }

    public string Location { get; }

    public bool Paused { get; private set; }

    public static async Task<AzuriteOnDisk> StartAsync(string folder, CancellationToken cancellationToken)
    {
        var location = Path.Combine(folder, "azurite");
        Directory.CreateDirectory(location);
        int[] ports = [FreePort.Next(), FreePort.Next(), FreePort.Next()];
        var process = ChildProcess.Start("azurite", BuiltTools.Node(),
        [
            BuiltTools.AzuriteScript(), "--location", location, "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
            "--blobHost", "127.0.0.1", "--blobPort", P(ports[0]), "--queueHost", "127.0.0.1", "--queuePort", P(ports[1]),
            "--tableHost", "127.0.0.1", "--tablePort", P(ports[2]),
        ], Path.Combine(folder, "azurite.log"));
        var azurite = new AzuriteOnDisk(process, location, ports[0], ports[1], ports[2]);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!ports.All(port => process.Printed($"successfully listening at http://127.0.0.1:{port}")))
            {
                if (process.HasExited || DateTime.UtcNow > deadline)
                {
                    throw new InvalidOperationException($"Azurite did not start: {process.Tail}");
                }

                await Task.Delay(50, cancellationToken);
            }

            return azurite;
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }
    }

    public void Pause()
    {
        _process.Signal("STOP");
        Paused = true;
    }

    public void Resume()
    {
        _process.Signal("CONT");
        Paused = false;
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);
}
