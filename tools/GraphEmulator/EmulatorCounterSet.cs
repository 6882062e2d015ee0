namespace Sarthe.GraphEmulator;

/// <summary>What the emulator counts, by kind (see <see cref="EmulatorCounters"/> for each meaning).</summary>
public enum CounterKind
{
    Requests,
    Writes,
    ThrottledByApp,
    ThrottledByTenant,
    Faults,
    ImportActions,
    IdentitiesImported,
    IdentityCreates,
    IdentityGets,
    IdentityListPages,
    IdentityDeletes,
    AutopilotListPages,
    AutopilotFilteredLookups,
    AutopilotGets,
    BetaReads,
    DeviceUpdates,
    DeviceDeletes,
    ImportAnswersDelayed,
    StatusReadsDelayed,

    // Gauges (added to and taken from): answers being held by a test hook right now.
    ImportAnswersHeld,
    StatusReadsHeld,
}

/// <summary>Thread-safe counters, one per <see cref="CounterKind"/>.</summary>
internal sealed class EmulatorCounterSet
{
    private readonly long[] _values = new long[Enum.GetValues<CounterKind>().Length];

    public void Add(CounterKind kind, long amount = 1) => Interlocked.Add(ref _values[(int)kind], amount);

    public long this[CounterKind kind] => Interlocked.Read(ref _values[(int)kind]);
}
