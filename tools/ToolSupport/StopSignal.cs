using System.Runtime.InteropServices;

namespace Sarthe.Tools;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM as a <see cref="CancellationToken"/>. Instead of the process ending without its
/// disposals (and leaving the Azurite it started running), the tool unwinds, and its <c>await using</c>
/// disposals stop the dev host, the Graph emulator and Azurite before it exits.
/// </summary>
public sealed class StopSignal : IDisposable
{
    private readonly string _what;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _requested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;
    private int _signal;

    /// <summary>Listens from now on: create it before the tool starts anything.</summary>
    /// <param name="what">What stopping stops, for the one line printed: "the storm, its dev host and Azurite".</param>
    public StopSignal(string what)
    {
        _what = what;
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled on the first SIGINT or SIGTERM: pass it down to every long wait.</summary>
    public CancellationToken Token => _stop.Token;

    public bool IsRequested => Volatile.Read(ref _signal) != 0;

    /// <summary>What a shell reports for a process ended by the signal: 130 after SIGINT, 143 after SIGTERM.</summary>
    public int ExitCode => 128 + Volatile.Read(ref _signal);

    /// <summary>Completes on the first signal: what a server tool waits for.</summary>
    public Task WaitAsync() => _requested.Task;

    /// <summary>Runs the tool's work; when a signal cancelled it, returns <see cref="ExitCode"/> instead of throwing.</summary>
    public async Task<int> RunAsync(Func<CancellationToken, Task<int>> work)
    {
        try
        {
            return await work(Token);
        }
        catch (OperationCanceledException) when (IsRequested)
        {
            return ExitCode;
        }
        catch (Exception ex) when (IsRequested)
        {
            // Something failed while stopping (the disposals still ran): one line, not a stack trace.
            Console.Error.WriteLine($"While stopping: {ex.GetType().Name}: {ex.Message.Split('\n')[0].Trim()}");
            return ExitCode;
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        // Every signal, not only the first: the runtime must not end the process before the disposals ran.
        // A tool stuck while stopping can still be ended with SIGKILL.
        context.Cancel = true;
        var number = context.Signal == PosixSignal.SIGINT ? 2 : 15;
        if (Interlocked.CompareExchange(ref _signal, number, 0) != 0)
        {
            return;
        }

        Console.WriteLine($"Stopping: {_what} ({context.Signal}).");
        _requested.TrySetResult();
        // Off the signal handler's thread: cancellation callbacks run the continuations of the tool's awaits.
        _ = _stop.CancelAsync();
    }

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
        _stop.Dispose();
    }
}
