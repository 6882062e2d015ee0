using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Http;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// The <c>RegistrationOutbox</c> table: one row per device waiting for registration, written by the
/// enrolment request (a table insert, not a queue message per device) and taken in arrival order by the
/// dispatcher, which sends one queue message per import batch. Keeps the registration queue shallow
/// whatever the storm, and makes batching independent of how many function instances are running.
/// </summary>
public sealed class RegistrationOutbox(TableServiceClient tables)
{
    // One partition: taking the oldest rows is a single ordered partition read, and removing a batch is one
    // entity-group transaction. Azure Table allows ~2,000 operations/s per partition, far above a département.
    private const string Partition = "pending";
    private readonly TableClient _table = tables.GetTableClient(TableNames.RegistrationOutbox);

    /// <summary>Puts a device in line for registration (first enrolment, or a new attempt after a retry).</summary>
    public async Task AddAsync(DeviceRef device, AuditEvent? enrolled, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var rowKey = $"{at.UtcTicks.ToString("D19", CultureInfo.InvariantCulture)}|{device.SchoolUai}|{device.SerialNumber}|{device.Attempt}";
        try
        {
            await _table.AddEntityAsync(new TableEntity(Partition, rowKey)
            {
                ["SchoolUai"] = device.SchoolUai,
                ["SerialNumber"] = device.SerialNumber,
                ["Attempt"] = device.Attempt,
                ["Enrolled"] = enrolled is null ? null : JsonSerializer.Serialize(enrolled, ApiJson.Options),
            }, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // The same device and attempt at the same instant: already waiting.
        }
    }

    public async Task<IReadOnlyList<PendingRegistration>> TakeOldestAsync(int count, CancellationToken cancellationToken)
    {
        var pending = new List<PendingRegistration>(count);
        await foreach (var row in _table.QueryAsync<TableEntity>(e => e.PartitionKey == Partition, maxPerPage: count, cancellationToken: cancellationToken))
        {
            var enrolled = row.GetString("Enrolled") is { } json ? JsonSerializer.Deserialize<AuditEvent>(json, ApiJson.Options) : null;
            pending.Add(new PendingRegistration(
                new DeviceRef(row.GetString("SerialNumber")!, row.GetString("SchoolUai")!, row.GetInt32("Attempt") ?? 1), enrolled, row.RowKey));
            if (pending.Count == count)
            {
                break;
            }
        }

        return pending;
    }

    /// <summary>Removes dispatched rows: one transaction per 100 (they share the partition).</summary>
    public async Task RemoveAsync(IEnumerable<PendingRegistration> dispatched, CancellationToken cancellationToken)
    {
        foreach (var chunk in dispatched.Chunk(100))
        {
            await _table.SubmitTransactionAsync(
                chunk.Select(p => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(Partition, p.RowKey), ETag.All)),
                cancellationToken);
        }
    }
}
