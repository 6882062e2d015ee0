using Azure;
using Azure.Data.Tables;

namespace Sarthe.Enrolment.Retention;

/// <summary>
/// Deletes the rows of a table that a filter selects, reading keys only and deleting in entity-group transactions of
/// at most 100 rows of one partition, a few in flight at once. Safe to run twice or side by side: a row already gone
/// is not an error, and a row deleted under its ETag that changed meanwhile is left for the next run to judge.
/// </summary>
public sealed class ExpiredRowDeleter(int concurrency)
{
    // Storage's limit for one entity-group transaction (learn.microsoft.com/rest/api/storageservices/performing-entity-group-transactions).
    public const int MaxTransaction = 100;

    // Partitions with rows waiting for a full transaction: beyond this, every partial batch is sent (memory stays bounded).
    private const int MaxOpenPartitions = 2_000;

    /// <summary>Deletes what <paramref name="filter"/> selects; returns how many rows this call deleted.</summary>
    /// <param name="underETag">Delete each row only as it was read (rows whose state decides their expiry).</param>
    public async Task<long> DeleteAsync(TableClient table, string filter, bool underETag, CancellationToken cancellationToken)
    {
        var open = new Dictionary<string, List<TableEntity>>(StringComparer.Ordinal);
        var inFlight = new List<Task<int>>();
        long deleted = 0;

        async Task SendAsync(List<TableEntity> batch)
        {
            if (inFlight.Count >= concurrency)
            {
                var done = await Task.WhenAny(inFlight);
                inFlight.Remove(done);
                deleted += await done;
            }

            inFlight.Add(DeleteBatchAsync(table, batch, underETag, cancellationToken));
        }

        try
        {
            await foreach (var row in table.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
            {
                if (!open.TryGetValue(row.PartitionKey, out var batch))
                {
                    open[row.PartitionKey] = batch = new List<TableEntity>(MaxTransaction);
                }

                batch.Add(row);
                if (batch.Count == MaxTransaction)
                {
                    open.Remove(row.PartitionKey);
                    await SendAsync(batch);
                }
                else if (open.Count > MaxOpenPartitions)
                {
                    foreach (var partial in open.Values.ToList())
                    {
                        await SendAsync(partial);
                    }

                    open.Clear();
                }
            }

            foreach (var partial in open.Values)
            {
                await SendAsync(partial);
            }
        }
        finally
        {
            // Nothing is left running behind the caller, even when the query failed.
            foreach (var task in inFlight)
            {
                try
                {
                    deleted += await task;
                }
                catch (Exception) when (cancellationToken.IsCancellationRequested)
                {
                }
            }
        }

        return deleted;
    }

    private static async Task<int> DeleteBatchAsync(TableClient table, List<TableEntity> rows, bool underETag, CancellationToken cancellationToken)
    {
        if (rows.Count > 1)
        {
            try
            {
                await table.SubmitTransactionAsync(rows.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, underETag ? r.ETag : ETag.All)), cancellationToken);
                return rows.Count;
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 404 or 412)
            {
                // One row is gone (another run) or changed: the transaction deleted nothing; one by one decides each.
            }
        }

        var deleted = 0;
        foreach (var row in rows)
        {
            try
            {
                // The client answers a missing row with its 404 response rather than an exception.
                using var response = await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, underETag ? row.ETag : ETag.All, cancellationToken);
                deleted += response.Status == 404 ? 0 : 1;
            }
            catch (RequestFailedException ex) when (ex.Status is 404 or 412)
            {
                // Gone already, or changed since it was read: not this run's to delete.
            }
        }

        return deleted;
    }
}
