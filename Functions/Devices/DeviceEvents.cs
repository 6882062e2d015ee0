using Sarthe.Enrolment.Audit;

namespace Sarthe.Enrolment.Devices;

/// <summary>
/// Publishes the audit events devices recorded with their last change, then clears them from the rows. A crash
/// between the two leaves them in the rows, and they are published again later (by the next change's publisher or
/// the sweep): the trail stores each event once, so nothing is lost and nothing is doubled.
/// </summary>
public sealed class DeviceEvents(AuditPublisher audit, DeviceStore devices)
{
    // Clearing is one small request per device: a few at a time.
    private const int Concurrency = 8;

    public async Task PublishAsync(IReadOnlyCollection<Device> changed, CancellationToken cancellationToken)
    {
        var withEvents = changed.Where(d => d.PendingEvents.Count > 0).ToList();
        if (withEvents.Count == 0)
        {
            return;
        }

        await audit.PublishAsync(withEvents.SelectMany(d => d.PendingEvents).ToList(), cancellationToken);
        await Parallel.ForEachAsync(withEvents, new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken },
            async (device, ct) => await devices.ClearPendingEventsAsync(device, ct));
    }

    public Task PublishAsync(Device changed, CancellationToken cancellationToken) => PublishAsync([changed], cancellationToken);
}
