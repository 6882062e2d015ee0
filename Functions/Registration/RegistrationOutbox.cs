using System.Diagnostics;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// The <c>RegistrationOutbox</c> table: one row per device waiting to be put in an Autopilot import, written by the
/// enrolment request (a table insert, not a queue message per device) and taken in arrival order by the
/// <see cref="ImportPlanner"/>. Batching is independent of how many function instances are running.
/// </summary>
public sealed class RegistrationOutbox(TableServiceClient tables)
{
    // One partition: taking the oldest rows is a single ordered partition read, and removing a batch is one
    // entity-group transaction. Azure Table allows ~2,000 operations/s per partition, far above a département.
    private const string Partition = "pending";
    private readonly TableClient _table = tables.GetTableClient(TableNames.RegistrationOutbox);

    /// <summary>
    /// Puts a device in line for registration (first enrolment, a new attempt, or a re-drive). A device in line
    /// twice is imported once: the planner keeps one entry per device, and a device already moving is skipped.
    /// </summary>
    public async Task AddAsync(DeviceRef device, DateTimeOffset at, CancellationToken cancellationToken)
    {
        try
        {
            await _table.AddEntityAsync(Row(device, at), cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // The same device and attempt at the same instant: already waiting.
        }
    }

    /// <summary>Puts many devices in line at once (pre-registration): one transaction per 100, each row written as <see cref="AddAsync"/> writes it.</summary>
    public async Task AddManyAsync(IEnumerable<DeviceRef> devices, DateTimeOffset at, CancellationToken cancellationToken)
    {
        foreach (var chunk in devices.Chunk(100))
        {
            await _table.SubmitTransactionAsync(chunk.Select(d => new TableTransactionAction(TableTransactionActionType.UpsertReplace, Row(d, at))), cancellationToken);
        }
    }

    public async Task<IReadOnlyList<PendingRegistration>> TakeOldestAsync(int count, CancellationToken cancellationToken)
    {
        var pending = new List<PendingRegistration>(count);
        await foreach (var row in _table.QueryAsync<TableEntity>(e => e.PartitionKey == Partition, maxPerPage: count, cancellationToken: cancellationToken))
        {
            pending.Add(new PendingRegistration(
                new DeviceRef(row.GetString("SerialNumber")!, row.GetString("SchoolUai")!, row.GetInt32("Attempt") ?? 1), row.RowKey, row.GetString("TraceParent")));
            if (pending.Count == count)
            {
                break;
            }
        }

        return pending;
    }

    /// <summary>Removes rows taken into an import: one transaction per 100 (they share the partition).</summary>
    public async Task RemoveAsync(IEnumerable<PendingRegistration> taken, CancellationToken cancellationToken)
    {
        foreach (var chunk in taken.Chunk(100))
        {
            await _table.SubmitTransactionAsync(
                chunk.Select(p => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(Partition, p.RowKey), ETag.All)),
                cancellationToken);
        }
    }

    private static TableEntity Row(DeviceRef device, DateTimeOffset at) =>
        new(Partition, $"{at.UtcTicks.ToString("D19", CultureInfo.InvariantCulture)}|{device.SchoolUai}|{device.SerialNumber}|{device.Attempt}")
        {
            ["SchoolUai"] = device.SchoolUai,
            ["SerialNumber"] = device.SerialNumber,
            ["Attempt"] = device.Attempt,
            // The enrolment's trace: the sync run that imports the device links to it (HTTP → outbox → Graph).
            ["TraceParent"] = Activity.Current?.Id,
        };
}
