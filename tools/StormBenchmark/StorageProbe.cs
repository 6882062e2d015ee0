using System.Diagnostics;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Sarthe.DevHost;

namespace Sarthe.StormBenchmark;

/// <summary>The limit of this machine's storage: raw Azurite operations per second at the same concurrency, same run.</summary>
public static class StorageProbe
{
    public static async Task<(double SmallInsertsPerSecond, double DeviceSizedInsertsPerSecond, double QueueSendsPerSecond)> RunAsync(int operations, int concurrency, CancellationToken cancellationToken)
    {
        await using var azurite = await AzuriteProcess.StartAsync(cancellationToken);
        var tables = new TableServiceClient(azurite.ConnectionString);
        var table = tables.GetTableClient("Probe");
        await table.CreateIfNotExistsAsync(cancellationToken);
        var queue = new QueueServiceClient(azurite.ConnectionString).GetQueueClient("probe");
        await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var hash = Convert.ToBase64String(new byte[4000]);

        var small = await RateAsync(operations, concurrency, i => table.AddEntityAsync(new TableEntity("p" + (i % 56), "s" + i) { ["Status"] = "received" }, cancellationToken));
        var sized = await RateAsync(operations, concurrency, i => table.AddEntityAsync(new TableEntity("p" + (i % 56), "d" + i) { ["Status"] = "received", ["HardwareHash"] = hash }, cancellationToken));
        var sends = await RateAsync(operations, concurrency, i => queue.SendMessageAsync("{\"kind\":\"register\"}", cancellationToken));
        var clock = Stopwatch.StartNew();
        var matched = 0;
        await foreach (var _ in table.QueryAsync<TableEntity>("Status eq 'registering' and RowKey lt 'd9'", cancellationToken: cancellationToken))
        {
            matched++;
        }

        Console.WriteLine($"cross-partition filtered query over {operations * 2} rows: {clock.Elapsed.TotalMilliseconds:F0} ms ({matched} matched)");
        clock.Restart();
        matched = 0;
        await foreach (var _ in table.QueryAsync<TableEntity>("PartitionKey eq 'p3'", select: ["Status"], cancellationToken: cancellationToken))
        {
            matched++;
        }

        Console.WriteLine($"one-partition projected query: {clock.Elapsed.TotalMilliseconds:F0} ms ({matched} rows)");
        return (small, sized, sends);
    }

    private static async Task<double> RateAsync(int operations, int concurrency, Func<int, Task> operation)
    {
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < operations)
            {
                await operation(i);
            }
        }));
        return operations / clock.Elapsed.TotalSeconds;
    }
}
