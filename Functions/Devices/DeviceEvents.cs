using Azure;
using Azure.Data.Tables;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Devices;

/// <summary>
/// Publishes the audit events devices recorded with their last change, then clears them from the rows: called by
/// <see cref="DeviceStore"/> after every write that changed a device, so no caller publishes by hand. A crash between
/// the two leaves them in the rows, and they are published again later (by the next change or the sweep): the trail
/// stores each event once, so nothing is lost and nothing is doubled.
/// </summary>
public sealed class DeviceEvents(AuditPublisher audit, TableServiceClient tables)
{
    // Clearing is one small request per device: a few at a time.
    private const int Concurrency = 8;
    private readonly TableClient _devices = tables.GetTableClient(TableNames.Devices);

    /// <summary>Publishes the pending events of these devices (one audit message for many) and clears them from their rows.</summary>
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
            async (device, ct) => await ClearAsync(device, ct));
    }

    /// <summary>
    /// After its pending events were published: clears them from the row, if nobody changed it since (a later
    /// change carries them on, and whoever made it publishes them again: the trail keeps one of each).
    /// </summary>
    private async Task ClearAsync(Device device, CancellationToken cancellationToken)
    {
        var row = device.Row;
        try
        {
            var response = await _devices.UpdateEntityAsync(new TableEntity(row.PartitionKey, row.RowKey) { ["PendingAudit"] = "" }, row.ETag, TableUpdateMode.Merge, cancellationToken);
            row.ETag = response.Headers.ETag ?? default;
            device.ClearPendingEvents();
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
        }
    }

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
