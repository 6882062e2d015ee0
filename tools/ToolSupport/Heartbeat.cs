namespace Sarthe.Tools;

/// <summary>
/// Prints <paramref name="status"/> every few seconds while a long phase runs (a seed, a scan, a drain), so a tool
/// that is working is not taken for one that hangs.
/// </summary>
public sealed class Heartbeat(Func<string> status, TimeSpan interval) : IAsyncDisposable
{
    private readonly Timer _timer = new(_ => Console.WriteLine(status()), null, interval, interval);

    /// <summary>Every 5 s, as the storm's progress lines.</summary>
    public Heartbeat(Func<string> status)
        : this(status, TimeSpan.FromSeconds(5))
    {
    }

    /// <summary>Stops the lines; waits for one being printed, so none comes after the phase's results.</summary>
    public ValueTask DisposeAsync() => _timer.DisposeAsync();
}
