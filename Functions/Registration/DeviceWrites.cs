using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// Runs the sync's per-device reads and writes (a write is <see cref="DeviceStore.UpdateAsync"/>: a read, then a
/// write guarded by the row's ETag through the device's own transition) a few at a time instead of one after the
/// other, and returns the devices that changed in the order they were given, for their events to be published
/// together afterwards.
/// </summary>
internal static class DeviceWrites
{
    /// <summary>
    /// 16 in flight: an Azure Table partition serves about 2,000 operations/s and device rows are partitioned by
    /// school, so 16 writes spread over a school or a few stay far below it; Azurite (development, benchmarks) does
    /// about 1,000-1,500 inserts/s, which 16 concurrent round-trips already reach. One at a time, 3,000 devices took
    /// ~25 s of a storm during which Graph saw no request.
    /// </summary>
    public const int Concurrency = 16;

    public static async Task<List<Device>> RunAsync<T>(IReadOnlyList<T> items, Func<T, CancellationToken, Task<Device?>> write, CancellationToken cancellationToken) =>
        (await MapAsync(items, write, cancellationToken)).OfType<Device>().ToList();

    /// <summary>Each item's answer, in the items' order, <see cref="Concurrency"/> at a time.</summary>
    public static async Task<TResult[]> MapAsync<T, TResult>(IReadOnlyList<T> items, Func<T, CancellationToken, Task<TResult>> call, CancellationToken cancellationToken)
    {
        var results = new TResult[items.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, items.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken },
            async (i, ct) => results[i] = await call(items[i], ct));
        return results;
    }
}
