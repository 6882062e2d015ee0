using System.Diagnostics;
using Azure.Storage.Queues;
using Sarthe.DevHost;

namespace Sarthe.StormBenchmark;

/// <summary>Diagnostics: how Azurite's queue behaves after many messages went through it (its extent GC runs every 60 s).</summary>
public static class QueueProbe
{
    public static async Task RunAsync(int messages, CancellationToken cancellationToken)
    {
        await using var azurite = await AzuriteProcess.StartAsync(cancellationToken);
        var queue = new QueueServiceClient(azurite.ConnectionString).GetQueueClient("probe");
        await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 32).Select(async w =>
        {
            for (var i = w; i < messages; i += 32)
            {
                await queue.SendMessageAsync("{\"kind\":\"register\",\"n\":" + i + "}", cancellationToken);
            }
        }));
        Console.WriteLine($"sent {messages} in {clock.Elapsed.TotalSeconds:F1} s");
        clock.Restart();
        var deleted = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (true)
            {
                var batch = (await queue.ReceiveMessagesAsync(32, cancellationToken: cancellationToken)).Value;
                if (batch.Length == 0)
                {
                    break;
                }

                foreach (var m in batch)
                {
                    await queue.DeleteMessageAsync(m.MessageId, m.PopReceipt, cancellationToken);
                    Interlocked.Increment(ref deleted);
                }
            }
        }));
        Console.WriteLine($"received and deleted {deleted} in {clock.Elapsed.TotalSeconds:F1} s");
        for (var s = 0; s < 90; s += 3)
        {
            var t = Stopwatch.StartNew();
            await queue.SendMessageAsync("ping", cancellationToken);
            Console.WriteLine($"  t+{s,3} s: one send took {t.Elapsed.TotalMilliseconds:F0} ms");
            await Task.Delay(3000, cancellationToken);
        }
    }
}
