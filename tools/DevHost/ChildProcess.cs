using System.Diagnostics;
using System.Globalization;

namespace Sarthe.DevHost;

/// <summary>
/// A process a benchmark started (Azurite, the Graph emulator, the dev host): in a session of its own, so a
/// terminal's Ctrl+C reaches only this program, which then stops them in order; its output appended to a log file.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly List<string> _recent = [];
    private bool _closed;

    private ChildProcess(string name, Process process, StreamWriter log)
    {
        Name = name;
        _process = process;
        _log = log;
        // Safety net when this program ends without its disposals (an unhandled exception): no orphan keeps ports.
        AppDomain.CurrentDomain.ProcessExit += KillOnExit;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <param name="logPath">Appended to: a restarted host writes after the one it replaces.</param>
    public static ChildProcess Start(string name, string fileName, IEnumerable<string> args, string logPath, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var setsid = OperatingSystem.IsLinux() && File.Exists("/usr/bin/setsid");
        var start = new ProcessStartInfo(setsid ? "/usr/bin/setsid" : fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(logPath)!,
        };
        if (setsid)
        {
            // setsid runs the program in this child itself (it is no group leader), so the id stays the program's.
            start.ArgumentList.Add(fileName);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[key] = value;
        }

        // Flushed line by line: the run reads the host's log while it runs (what it repaired), and after a kill.
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        log.WriteLine($"==== {DateTimeOffset.UtcNow:O} {name}: {fileName} {string.Join(' ', args)}");
        try
        {
            return new ChildProcess(name, Process.Start(start) ?? throw new InvalidOperationException($"{name} did not start."), log);
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>The last lines it printed (for an error message).</summary>
    public string Tail
    {
        get
        {
            lock (_recent)
            {
                return string.Join(Environment.NewLine, _recent);
            }
        }
    }

    public bool Printed(string text)
    {
        lock (_recent)
        {
            return _recent.Exists(line => line.Contains(text, StringComparison.Ordinal));
        }
    }

    /// <summary>SIGKILL: no handler runs, nothing is flushed or released, as when a machine loses power or the OOM killer strikes.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>SIGSTOP / SIGCONT and the like, by name.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("/bin/kill", ["-" + name, Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{name} {Id} ({Name}) failed with exit code {kill.ExitCode}.");
        }
    }

    /// <summary>SIGTERM, then SIGKILL if it has not stopped within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        try
        {
            Signal("CONT"); // a paused process cannot handle SIGTERM
            Signal("TERM");
            using var timeout = new CancellationTokenSource(grace);
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException)
        {
            await KillAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= KillOnExit;
        await StopAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
        lock (_recent)
        {
            _closed = true;
            _log.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_recent)
        {
            if (_closed)
            {
                return; // a late line of a process already disposed
            }

            _log.WriteLine(line);
            _recent.Add(line);
            if (_recent.Count > 200)
            {
                _recent.RemoveRange(0, 100);
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
            // Already exited.
        }
    }
}
