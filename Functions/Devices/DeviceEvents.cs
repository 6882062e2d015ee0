using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Hosting;

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

        var published = withEvents.SelectMany(d => d.PendingEvents).ToList();
        await audit.PublishAsync(published, cancellationToken);
        RecordOutcomes(published);
        await Parallel.ForEachAsync(withEvents, new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken },
            async (device, ct) => await devices.ClearPendingEventsAsync(device, ct));
    }

    public Task PublishAsync(Device changed, CancellationToken cancellationToken) => PublishAsync([changed], cancellationToken);

    /// <summary>
    /// Registration outcomes are counted where their events are published: every one passes here. An event a crash
    /// left in a row is published (and counted) again, so the counts are at least once, the audit trail exactly once.
    /// </summary>
    private static void RecordOutcomes(IEnumerable<AuditEvent> published)
    {
        foreach (var e in published)
        {
            switch (e.Type)
            {
                case AuditEventTypes.DeviceRegistered:
                    EnrolmentTelemetry.Registered(e.SchoolUai ?? "");
                    break;
                case AuditEventTypes.DeviceRegistrationFailed:
                    EnrolmentTelemetry.RegistrationFailed(e.SchoolUai ?? "", e.Data?["code"]?.GetValue<string>() ?? "");
                    break;
            }
        }
    }
}
