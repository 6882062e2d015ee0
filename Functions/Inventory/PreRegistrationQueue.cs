using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Inventory;

/// <summary>
/// A stored manifest line that carries a hardware hash: its inventory row as stored, the line's hash, and whether the
/// batch's read found the serial claimed (for the row's school; null when the batch could not say).
/// </summary>
public sealed record PreRegistrationCandidate(InventoryEntity Row, string HardwareHash, bool? Claimed);

/// <summary>A stored manifest line with a hardware hash, waiting to be pre-registered: its serial, the manifest and who imported it.</summary>
public sealed record PendingPreRegistration(string SerialNumber, string ManifestId, AuditActor ImportedBy, string RowKey = "");

/// <summary>
/// The <c>PreRegistrations</c> table: what a manifest import leaves for the Autopilot sync to pre-register, one row per
/// line, written 100 to a transaction after each batch is stored (so the import request writes one small row more per
/// line, not a device), taken in arrival order, removed once done. One partition, like the registration outbox.
/// </summary>
public sealed class PreRegistrationQueue(TableServiceClient tables)
{
    private const string Partition = "pending";
    private readonly TableClient _table = tables.GetTableClient(TableNames.PreRegistrations);

    public async Task AddAsync(IReadOnlyList<PendingPreRegistration> lines, DateTimeOffset at, CancellationToken cancellationToken)
    {
        foreach (var chunk in lines.Chunk(100))
        {
            await _table.SubmitTransactionAsync(chunk.Select(line => new TableTransactionAction(TableTransactionActionType.UpsertReplace,
                new TableEntity(Partition, $"{at.UtcTicks.ToString("D19", CultureInfo.InvariantCulture)}|{line.SerialNumber}")
                {
                    ["SerialNumber"] = line.SerialNumber,
                    ["ManifestId"] = line.ManifestId,
                    ["ActorKind"] = line.ImportedBy.Kind,
                    ["ActorId"] = line.ImportedBy.Id,
                })), cancellationToken);
        }
    }

    public async Task<IReadOnlyList<PendingPreRegistration>> TakeOldestAsync(int count, CancellationToken cancellationToken)
    {
        var pending = new List<PendingPreRegistration>(count);
        await foreach (var row in _table.QueryAsync<TableEntity>(e => e.PartitionKey == Partition, maxPerPage: count, cancellationToken: cancellationToken))
        {
            pending.Add(new PendingPreRegistration(row.GetString("SerialNumber")!, row.GetString("ManifestId") ?? "",
                new AuditActor(row.GetString("ActorKind") ?? AuditActor.AdministratorKind, row.GetString("ActorId") ?? ""), row.RowKey));
            if (pending.Count == count)
            {
                break;
            }
        }

        return pending;
    }

    public async Task RemoveAsync(IEnumerable<PendingPreRegistration> done, CancellationToken cancellationToken)
    {
        foreach (var chunk in done.Chunk(100))
        {
            try
            {
                await _table.SubmitTransactionAsync(chunk.Select(p => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(Partition, p.RowKey), ETag.All)),
                    cancellationToken);
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 404)
            {
                // One of them went already (a run that stopped after removing some): the others one by one.
                foreach (var row in chunk)
                {
                    await _table.DeleteEntityAsync(Partition, row.RowKey, ETag.All, cancellationToken);
                }
            }
        }
    }
}
