using Sarthe.GraphEmulator;

namespace Sarthe.StormBenchmark;

/// <summary>The emulator's counters at one moment (wall clock, as the device rows' times).</summary>
public sealed record CounterSample(DateTimeOffset At, EmulatorCounters Counters, bool InOutage)
{
    /// <summary>Graph requests the emulator answered with what was asked (every kind it counts past the guard).</summary>
    public long Served => Counters.ImportActions + Counters.IdentityCreates + Counters.IdentityGets + Counters.IdentityListPages
                          + Counters.AutopilotListPages + Counters.AutopilotFilteredLookups + Counters.AutopilotGets + Counters.BetaReads
                          + Counters.IdentityDeletes + Counters.DeviceUpdates + Counters.DeviceDeletes;

    /// <summary>Calls of the registration itself: imports, status polls, Autopilot lookups, profile reads (not deletes).</summary>
    public long RegistrationServed => Served - Counters.IdentityDeletes;
}

/// <summary>
/// Samples the emulator's counters every 100 ms for the whole run (a snapshot is a few reads under the emulator's
/// lock), so that the order of events can be shown afterwards: the last import and the first delete, the moment Graph
/// came back after an outage and the first call it served.
/// </summary>
public sealed class CounterSampler : IAsyncDisposable
{
    private readonly GraphEmulatorState _state;
    private readonly List<CounterSample> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public CounterSampler(GraphEmulatorState state, TimeSpan? interval = null)
    {
        _state = state;
        _loop = RunAsync(interval ?? TimeSpan.FromMilliseconds(100));
    }

    public IReadOnlyList<CounterSample> Samples
    {
        get
        {
            lock (_samples)
            {
                return _samples.ToList();
            }
        }
    }

    public CounterSample Take()
    {
        var sample = new CounterSample(DateTimeOffset.UtcNow, _state.Counters, _state.InOutage);
        lock (_samples)
        {
            _samples.Add(sample);
        }

        return sample;
    }

    private async Task RunAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                Take();
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}

/// <summary>What the samples show about the order of things.</summary>
public sealed record Timeline(
    DateTimeOffset? FirstImport,
    DateTimeOffset? LastImport,
    DateTimeOffset? FirstDelete,
    DateTimeOffset? LastDelete,
    long DeletesBeforeLastImport,
    long MostDeletesInAWindowBeforeAnImport,
    DateTimeOffset? NoRecordsLeft)
{
    /// <param name="window">The product's budget window: deletes within it before an import could have used the import's write.</param>
    public static Timeline From(IReadOnlyList<CounterSample> samples, TimeSpan window)
    {
        static long Imports(CounterSample s) => s.Counters.ImportActions + s.Counters.IdentityCreates;

        DateTimeOffset? firstImport = null, lastImport = null, firstDelete = null, lastDelete = null, noneLeft = null;
        long deletesAtLastImport = 0, mostDeletesBeforeImport = 0;
        for (var i = 1; i < samples.Count; i++)
        {
            var (before, now) = (samples[i - 1], samples[i]);
            if (Imports(now) > Imports(before))
            {
                firstImport ??= now.At;
                lastImport = now.At;
                deletesAtLastImport = now.Counters.IdentityDeletes;
                // Deletes served in the budget window that ended with this import (sampling: ±100 ms).
                var windowStart = samples.LastOrDefault(s => s.At <= now.At - window) ?? samples[0];
                mostDeletesBeforeImport = Math.Max(mostDeletesBeforeImport, now.Counters.IdentityDeletes - windowStart.Counters.IdentityDeletes);
            }

            if (now.Counters.IdentityDeletes > before.Counters.IdentityDeletes)
            {
                firstDelete ??= now.At;
                lastDelete = now.At;
            }

            if (now.Counters.ImportedIdentitiesStored == 0 && before.Counters.ImportedIdentitiesStored > 0)
            {
                noneLeft = now.At;
            }
            else if (now.Counters.ImportedIdentitiesStored > 0)
            {
                noneLeft = null;
            }
        }

        return new Timeline(firstImport, lastImport, firstDelete, lastDelete, deletesAtLastImport, mostDeletesBeforeImport, noneLeft);
    }
}
