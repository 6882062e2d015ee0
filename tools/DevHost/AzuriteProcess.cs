using System.Diagnostics;
using System.Text;

namespace Sarthe.DevHost;

/// <summary>
/// Azurite (the Azure Storage emulator, pinned in package-lock.json) in memory on free loopback ports,
/// for the life of this object.
/// </summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    // Azurite's documented, public development account: not a secret.
    private const string AccountName = "devstoreaccount1";
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly StringBuilder _output;

    private AzuriteProcess(Process process, StringBuilder output, int blobPort, int queuePort, int tablePort)
    {
        _process = process;
        _output = output;
        // Safety net for an exit that skips DisposeAsync (Environment.Exit, a crash on another thread): the runtime
        // still raises these, so Azurite does not outlive its parent. Nothing runs on a SIGKILL of the parent,
        // though: then the orphaned node keeps running until killed by hand.
        AppDomain.CurrentDomain.ProcessExit += KillOnExit;
        AppDomain.CurrentDomain.UnhandledException += KillOnExit;
        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
            $"BlobEndpoint=http://127.0.0.1:{blobPort}/{AccountName};" +
            $"QueueEndpoint=http://127.0.0.1:{queuePort}/{AccountName};" +
            $"TableEndpoint=http://127.0.0.1:{tablePort}/{AccountName};";
    }

    public string ConnectionString { get; }

    /// <summary>The node process (tests pause it with SIGSTOP to play a storage account that stops answering).</summary>
    public int ProcessId => _process.Id;

    public static async Task<AzuriteProcess> StartAsync(CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(cancellationToken);
            }
            catch (AzuritePortTakenException) when (attempt < 5)
            {
                // One of the ports we picked was taken before Azurite bound it: pick others.
            }
        }
    }

    private static async Task<AzuriteProcess> StartOnceAsync(CancellationToken cancellationToken)
    {
        var script = Path.Combine(RepositoryPaths.Root, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"Azurite is not installed ({script} is missing): run 'npm ci' in {RepositoryPaths.Root}, or build the solution, which runs it.");
        }

        int[] ports = [FreePort.Next(), FreePort.Next(), FreePort.Next()];
        // Ctrl+C in a terminal signals the terminal's whole process group: Azurite would stop at once, before the
        // host that still uses it (the WebJobs host releases its blob leases while it stops), and that stop would
        // fail. In a session of its own (setsid, Linux), Azurite stops when its owner stops it, after the host.
        var setsid = OperatingSystem.IsLinux() && File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : null;
        var node = setsid is null ? "node" : FindOnPath("node") ?? throw new InvalidOperationException(NodeMissing);
        var start = new ProcessStartInfo(setsid ?? node)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (setsid is not null)
        {
            // setsid runs node in its own process (this child is no group leader), so the id stays node's.
            start.ArgumentList.Add(node);
        }

        // Diagnostics: AZURITE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles Azurite itself.
        foreach (var nodeArg in (Environment.GetEnvironmentVariable("AZURITE_NODE_ARGS") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            start.ArgumentList.Add(nodeArg);
        }

        foreach (var arg in new[]
                 {
                     script, "--inMemoryPersistence", "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
                     "--blobHost", "127.0.0.1", "--blobPort", $"{ports[0]}",
                     "--queueHost", "127.0.0.1", "--queuePort", $"{ports[1]}",
                     "--tableHost", "127.0.0.1", "--tablePort", $"{ports[2]}",
                 })
        {
            start.ArgumentList.Add(arg);
        }

        // Diagnostics: AZURITE_DEBUG_LOG=/path writes Azurite's own request log there.
        if (Environment.GetEnvironmentVariable("AZURITE_DEBUG_LOG") is { Length: > 0 } debugLog)
        {
            start.ArgumentList.Add("--debug");
            start.ArgumentList.Add(debugLog);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("node did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException(NodeMissing, ex);
        }

        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var azurite = new AzuriteProcess(process, output, ports[0], ports[1], ports[2]);
        try
        {
            await azurite.WaitUntilListeningAsync(ports, cancellationToken);
            return azurite;
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Waits for Azurite's own "successfully listening" line for each port: a TCP connect alone could reach
    /// another process that took one of the ports, while Azurite itself exits with EADDRINUSE.
    /// </summary>
    private async Task WaitUntilListeningAsync(int[] ports, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        foreach (var port in ports)
        {
            var listening = $"successfully listening at http://127.0.0.1:{port}";
            while (!Output.Contains(listening, StringComparison.Ordinal))
            {
                if (_process.HasExited)
                {
                    await _process.WaitForExitAsync(cancellationToken); // flushes the redirected output
                    var output = Output;
                    throw output.Contains("EADDRINUSE", StringComparison.Ordinal)
                        ? new AzuritePortTakenException(output)
                        : new InvalidOperationException($"Azurite exited with code {_process.ExitCode}: {output}");
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"Azurite did not listen on port {port} within 30 s: {Output}");
                }

                await Task.Delay(50, cancellationToken);
            }
        }
    }

    private const string NodeMissing = "Node.js ('node') is needed to run Azurite and was not found on PATH.";

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(directory => Path.Combine(directory, name))
        .FirstOrDefault(File.Exists);

    private sealed class AzuritePortTakenException(string output) : InvalidOperationException($"Azurite could not bind its ports: {output}");

    private string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString().Trim();
            }
        }
    }

    private void KillOnExit(object? sender, EventArgs e)
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already exited, or disposed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= KillOnExit;
        AppDomain.CurrentDomain.UnhandledException -= KillOnExit;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
