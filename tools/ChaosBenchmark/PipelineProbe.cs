using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.ChaosBenchmark;

/// <summary>What the run reads to follow the pipeline: the device rows, the imports in flight and the audit queue, straight from storage.</summary>
public sealed class PipelineProbe
{
    private readonly TableClient _devices;
    private readonly TableClient _imports;
    private readonly QueueClient _audit;
    private readonly QueueClient _poison;

    public PipelineProbe(string storageConnectionString)
    {
        // Short timeouts, no retries: while storage is paused a probe fails at once instead of hanging the run.
        var tableOptions = new TableClientOptions();
        tableOptions.Retry.MaxRetries = 0;
        tableOptions.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        var tables = new TableServiceClient(storageConnectionString, tableOptions);
        _devices = tables.GetTableClient(TableNames.Devices);
        _imports = tables.GetTableClient(TableNames.AutopilotImports);
        var queueOptions = new QueueClientOptions();
        queueOptions.Retry.MaxRetries = 0;
        queueOptions.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        var queues = new QueueServiceClient(storageConnectionString, queueOptions);
        var auditQueue = new TriggerOptions().AuditQueueName;
        _audit = queues.GetQueueClient(auditQueue);
        _poison = queues.GetQueueClient(auditQueue + "-poison");
        Tables = tables;
    }

    public TableServiceClient Tables { get; }

    /// <summary>Device rows by status (received, registering, registered, failed).</summary>
    public async Task<DeviceTally> TallyAsync(CancellationToken cancellationToken)
    {
        var tally = new DeviceTally();
        await foreach (var row in _devices.QueryAsync<TableEntity>(maxPerPage: 1000, select: ["Status"], cancellationToken: cancellationToken))
        {
            switch (row.GetString("Status"))
            {
                case "registered": tally.Registered++; break;
                case "failed": tally.Failed++; break;
                default: tally.Unsettled++; break;
            }
        }

        return tally;
    }

    /// <summary>
    /// When the first device settled (registered or failed, by its row's own time) after <paramref name="since"/>; null if
    /// none has yet. The row's time, not a count, so a write that was in flight before a fault is not taken for recovery.
    /// </summary>
    public async Task<DateTimeOffset?> FirstSettledAfterAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        DateTimeOffset? first = null;
        var filter = TableClient.CreateQueryFilter($"RegisteredAt gt {since} or FailedAt gt {since}");
        await foreach (var row in _devices.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: ["RegisteredAt", "FailedAt"], cancellationToken: cancellationToken))
        {
            foreach (var at in new[] { row.GetDateTimeOffset("RegisteredAt"), row.GetDateTimeOffset("FailedAt") })
            {
                if (at > since && (first is null || at < first))
                {
                    first = at;
                }
            }
        }

        return first;
    }

    /// <summary>Whether some registered device still holds audit events in its row (its publisher has not cleared them yet).</summary>
    public async Task<bool> AnyRegisteredWithPendingAuditAsync(CancellationToken cancellationToken)
    {
        await foreach (var _ in _devices.QueryAsync<TableEntity>("Status eq 'registered' and PendingAudit ne ''", maxPerPage: 1, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            return true;
        }

        return false;
    }

    /// <summary>Device rows whose audit events are not published and cleared yet.</summary>
    public async Task<int> RowsWithPendingAuditAsync(CancellationToken cancellationToken)
    {
        var rows = 0;
        await foreach (var _ in _devices.QueryAsync<TableEntity>("PendingAudit ne ''", maxPerPage: 1000, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            rows++;
        }

        return rows;
    }

    /// <summary>Imports in flight (rows of AutopilotImports).</summary>
    public async Task<int> ImportsInFlightAsync(CancellationToken cancellationToken)
    {
        var imports = 0;
        await foreach (var _ in _imports.QueryAsync<TableEntity>(maxPerPage: 1000, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            imports++;
        }

        return imports;
    }

    /// <summary>Messages in the audit queue, leased ones included (a message a killed host had leased stays there, invisible, for 10 minutes).</summary>
    public Task<int> AuditQueueDepthAsync(CancellationToken cancellationToken) => DepthAsync(_audit, cancellationToken);

    public Task<int> PoisonQueueDepthAsync(CancellationToken cancellationToken) => DepthAsync(_poison, cancellationToken);

    private static async Task<int> DepthAsync(QueueClient queue, CancellationToken cancellationToken)
    {
        try
        {
            return (await queue.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return 0; // not created yet
        }
    }
}

public sealed class DeviceTally
{
    public int Registered { get; set; }

    public int Failed { get; set; }

    public int Unsettled { get; set; }

    public int Settled => Registered + Failed;
}
