using System.Diagnostics;
using System.Reflection;
using System.Text;
using Sarthe.DevHost;

namespace Sarthe.Enrolment.Tests.Tools;

/// <summary>
/// A program under tools/, run from its own build output as <c>dotnet Sarthe.X.dll</c>, which is what
/// <c>dotnet run --project tools/X</c> runs once it has built. The test project references every tool, so
/// <c>dotnet test</c> builds them first, in the test's own configuration.
/// </summary>
internal sealed class ToolProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ToolProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    /// <summary>Standard output and error, interleaved as they arrived.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// Runs the tool to its end (at most 10 s) with no <c>node</c> on PATH: a tool that tried to start Azurite
    /// would fail loudly there instead of quietly starting it.
    /// </summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunWithoutNodeAsync(string tool, params string[] args)
    {
        var start = StartInfo(tool, args);
        start.Environment["PATH"] = Path.Combine(Path.GetTempPath(), "no-node-here");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{tool} {string.Join(' ', args)} still ran after 10 s: {await output}{await error}");
        }

        return (process.ExitCode, await output, await error);
    }

    public static ToolProcess Start(string tool, params string[] args) => new(Process.Start(StartInfo(tool, args))!);

    /// <summary>
    /// Starts the tool as a terminal runs a command: leader of its own process group, which
    /// <see cref="SignalGroup"/> then signals as a Ctrl+C does (the tool and every child left in its group).
    /// </summary>
    public static ToolProcess StartInOwnProcessGroup(string tool, params string[] args)
    {
        var start = StartInfo(tool, args);
        start.ArgumentList.Insert(0, start.FileName);
        start.ArgumentList.Insert(0, "/usr/bin/setsid"); // runs dotnet in its own process: the id stays the tool's
        // A terminal's tool takes Ctrl+C; a test run started in the background (`.ci/run &`) has SIGINT and SIGQUIT
        // ignored, which children inherit and .NET respects: give the tool back the defaults a terminal gives it.
        start.ArgumentList.Insert(0, "--default-signal=INT,QUIT");
        start.FileName = "/usr/bin/env";
        return new ToolProcess(Process.Start(start)!);
    }

    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                Assert.Fail($"'{text}' not printed{(_process.HasExited ? $" before exit code {_process.ExitCode}" : $" within {timeout}")}: {Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>True when the tool exited within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Sends a signal the way <c>kill</c> or a container stop does (<see cref="Process.Kill()"/> would be
    /// SIGKILL, which no program can handle).
    /// </summary>
    public void Signal(string name) => Kill("-" + name, Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Sends a signal to the tool's whole process group, as a terminal does on Ctrl+C.</summary>
    /// <summary>The process's signal masks and its group, as /proc shows them: why a signal may not have arrived.</summary>
    public string SignalState()
    {
        try
        {
            var status = File.ReadAllLines($"/proc/{Id}/status").Where(l => l.StartsWith("Sig", StringComparison.Ordinal) || l.StartsWith("NSpgid", StringComparison.Ordinal));
            return string.Join("; ", status);
        }
        catch (IOException)
        {
            return "gone";
        }
    }

    public void SignalGroup(string name) => Kill("-" + name, "--", "-" + Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static void Kill(params string[] args)
    {
        using var kill = Process.Start("/bin/kill", args);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>The running processes the tool started itself (Azurite is a node child of the tool's process).</summary>
    public IReadOnlyList<(int Id, string CommandLine)> Children() =>
        Directory.EnumerateDirectories("/proc")
            .Select(dir => int.TryParse(Path.GetFileName(dir), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && ReadStat(pid) is { State: not 'Z' } stat && stat.ParentId == Id)
            .Select(pid => (pid, CommandLineOf(pid)))
            .ToList();

    /// <summary>Whether <paramref name="id"/> still runs <paramref name="commandLine"/> (not exited, not a zombie, not a reused id).</summary>
    public static bool IsRunning(int id, string commandLine) =>
        ReadStat(id) is { State: not 'Z' and not 'X' } && CommandLineOf(id) == commandLine;

    public async ValueTask DisposeAsync()
    {
        // A failed test must not leave the tool, or what it started, running.
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static ProcessStartInfo StartInfo(string tool, string[] args)
    {
        var dll = DllPath(tool);
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first.");
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryPaths.Root,
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    /// <summary>tools/X/bin/&lt;this test's configuration&gt;/&lt;framework&gt;/Sarthe.X.dll.</summary>
    private static string DllPath(string tool)
    {
        var configuration = typeof(ToolProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var framework = Path.GetFileName(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
        return Path.Combine(RepositoryPaths.Root, "tools", tool, "bin", configuration, framework, $"Sarthe.{tool}.dll");
    }

    private static string DotnetHost()
    {
        // Set by the dotnet CLI for the processes it starts (dotnet test); else this test host is dotnet itself.
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host)
        {
            return host;
        }

        return Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
    }

    private static (char State, int ParentId)? ReadStat(int pid)
    {
        try
        {
            // pid (comm) state ppid ...; comm may hold spaces and parentheses, so read after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string CommandLineOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
