using Azure;
using Azure.Data.Tables;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Registration;

/// <summary>A device with Autopilot work waiting (a group tag to change, a removal), and when to look at it next.</summary>
public sealed record LifecycleEntry(DeviceKey Key, DateTimeOffset DueAt);

/// <summary>
/// The <c>DeviceLifecycle</c> table: one row per device (row key = serial) whose group tag or removal the Autopilot sync
/// must see to. Written before the device row asks for the work, so a crash between the two leaves an entry that finds
/// nothing to do, never work without an entry (and the sweep puts back any device whose work has no entry).
/// </summary>
public sealed class LifecycleOutbox(TableServiceClient tables)
{
    private const string Partition = "device";
    private readonly TableClient _table = tables.GetTableClient(TableNames.DeviceLifecycle);

    /// <summary>Puts the device in line now (an upsert: one entry per device, whatever the number of requests).</summary>
    public Task AddAsync(DeviceKey key, DateTimeOffset now, CancellationToken cancellationToken) =>
        _table.UpsertEntityAsync(Row(key, now), TableUpdateMode.Replace, cancellationToken);

    /// <summary>Entries due by <paramref name="now"/>, at most <paramref name="count"/>.</summary>
    public async Task<IReadOnlyList<LifecycleEntry>> TakeDueAsync(DateTimeOffset now, int count, CancellationToken cancellationToken)
    {
        var due = new List<LifecycleEntry>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition} and DueAt le {now}");
        await foreach (var row in _table.QueryAsync<TableEntity>(filter, maxPerPage: count, cancellationToken: cancellationToken))
        {
            due.Add(new LifecycleEntry(new DeviceKey(row.GetString("SchoolUai")!, row.RowKey), row.GetDateTimeOffset("DueAt")!.Value));
            if (due.Count == count)
            {
                break;
            }
        }

        return due;
    }

    /// <summary>Looks again at <paramref name="dueAt"/>, where the device now is.</summary>
    public Task PostponeAsync(DeviceKey key, DateTimeOffset dueAt, CancellationToken cancellationToken) =>
        _table.UpsertEntityAsync(Row(key, dueAt), TableUpdateMode.Replace, cancellationToken);

    /// <summary>Done: removed unless it was put in line again since it was taken (its due time changed).</summary>
    public async Task RemoveAsync(LifecycleEntry entry, CancellationToken cancellationToken)
    {
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, entry.Key.SerialNumber, cancellationToken: cancellationToken);
        if (!row.HasValue || row.Value!.GetDateTimeOffset("DueAt") != entry.DueAt)
        {
            return;
        }

        try
        {
            await _table.DeleteEntityAsync(Partition, entry.Key.SerialNumber, row.Value.ETag, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // Put in line again meanwhile: the next run looks at it.
        }
    }

    private static TableEntity Row(DeviceKey key, DateTimeOffset dueAt) =>
        new(Partition, key.SerialNumber) { ["SchoolUai"] = key.SchoolUai, ["DueAt"] = dueAt };
}
