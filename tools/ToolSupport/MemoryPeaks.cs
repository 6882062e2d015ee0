using System.Diagnostics;

namespace Sarthe.Tools;

/// <summary>
/// The managed heap and the working set of this process, sampled from a baseline taken after a full collection: the
/// peaks above it, in MB.
/// </summary>
public sealed class MemoryPeaks : IAsyncDisposable
{
    private readonly Process _self = Process.GetCurrentProcess();
    private readonly long _heapBaseline;
    private readonly long _workingSetBaseline;
    private readonly Timer _sampler;
    private long _heapPeak;
    private long _workingSetPeak;

    public MemoryPeaks(int everyMilliseconds)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        _heapBaseline = GC.GetTotalMemory(forceFullCollection: true);
        _workingSetBaseline = _self.WorkingSet64;
        _sampler = new Timer(_ =>
        {
            Interlocked.Exchange(ref _heapPeak, Math.Max(Interlocked.Read(ref _heapPeak), GC.GetTotalMemory(false)));
            _self.Refresh();
            Interlocked.Exchange(ref _workingSetPeak, Math.Max(Interlocked.Read(ref _workingSetPeak), _self.WorkingSet64));
        }, null, 0, everyMilliseconds);
    }

    public double HeapMb => Math.Max(0, Interlocked.Read(ref _heapPeak) - _heapBaseline) / 1048576.0;

    public double WorkingSetMb => Math.Max(0, Interlocked.Read(ref _workingSetPeak) - _workingSetBaseline) / 1048576.0;

    /// <summary>The peak working set of the process itself, its baseline included.</summary>
    public double WorkingSetTotalMb => Math.Max(Interlocked.Read(ref _workingSetPeak), _workingSetBaseline) / 1048576.0;

    /// <summary>Stops sampling; the peaks stay readable.</summary>
    public async ValueTask DisposeAsync()
    {
        await _sampler.DisposeAsync();
        _self.Dispose();
    }
}
