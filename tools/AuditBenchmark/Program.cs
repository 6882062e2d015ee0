using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sarthe.DevHost;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.Schools;
using Sarthe.Enrolment.Trail;
using Sarthe.Tools;

var command = new CommandLine("dotnet run -c Release --project tools/AuditBenchmark --",
    "Audit trail throughput: events through the dev host's WebJobs queue trigger (RecordAuditEvent), then the same\n" +
    "table entries inserted straight into Azurite as the limit; prints the table of docs/benchmarks.md.",
    "--events 2000 --per-message 50");
var events = command.Int("--events", 20_000, "audit events to record");
var perMessage = command.Int("--per-message", 100, "events per queue message, as the product publishes them");
var concurrency = command.Int("--concurrency", 64, "concurrent raw inserts of the limit");
if (!command.TryParse(args, out var exitCode))
{
    return exitCode;
}

using var stop = new StopSignal("audit benchmark, its dev host and Azurite");
return await stop.RunAsync(cancellationToken => RunAsync(events.Value, perMessage.Value, concurrency.Value, cancellationToken));

static async Task<int> RunAsync(int count, int perMessage, int concurrency, CancellationToken cancellationToken)
{
    Console.WriteLine($"Audit benchmark: {count} events in messages of {perMessage}, through the dev host's WebJobs queue trigger, on {Environment.ProcessorCount} cores.");
    await using var host = await RunningDevHost.StartAsync(new DevHostOptions { Port = 0, MinimumLogLevel = LogLevel.Critical }, cancellationToken);
    var events = Generate(count);
    var trail = host.Services.GetRequiredService<AuditTrail>();
    var queue = host.Services.GetRequiredService<QueueServiceClient>().GetQueueClient(host.Services.GetRequiredService<IOptions<TriggerOptions>>().Value.AuditQueueName);
    var tables = new TableServiceClient(host.StorageConnectionString);

    // 1. Through the queue trigger, as the product publishes them (arrays of events per message).
    var clock = Stopwatch.StartNew();
    var messages = events.Chunk(perMessage).Select(chunk => "[" + string.Join(",", chunk.Select(ev => JsonSerializer.Serialize(ev, ApiJson.Options))) + "]").ToList();
    await Parallel.ForEachAsync(messages, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (m, ct) => await queue.SendMessageAsync(m, ct));
    var enqueued = clock.Elapsed.TotalSeconds;
    while (true)
    {
        // The count includes messages being processed: zero means every message was handled and deleted.
        var left = (await queue.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount;
        if (left == 0)
        {
            break;
        }

        Console.WriteLine($"  {clock.Elapsed.TotalSeconds,6:F1} s  {left} messages left");
        await Task.Delay(1000, cancellationToken);
    }

    var triggerSeconds = clock.Elapsed.TotalSeconds;
    var stored = 0;
    await foreach (var _ in tables.GetTableClient(TableNames.AuditEvents).QueryAsync<TableEntity>(select: ["RowKey"], maxPerPage: 1000, cancellationToken: cancellationToken))
    {
        stored++;
    }

    // 2. The limit: the same entities inserted straight into Azurite, same run, `concurrency` at a time.
    var raw = tables.GetTableClient("AuditEventsRaw");
    await raw.CreateIfNotExistsAsync(cancellationToken);
    var entities = events.SelectMany(trail.EntitiesFor).ToList();
    clock.Restart();
    var inserted = 0;
    await using (new Heartbeat(() => $"  {clock.Elapsed.TotalSeconds,6:F1} s  {Volatile.Read(ref inserted)}/{entities.Count} raw inserts"))
    {
        await Parallel.ForEachAsync(entities, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken }, async (entity, ct) =>
        {
            await raw.AddEntityAsync(entity, ct);
            Interlocked.Increment(ref inserted);
        });
    }

    var rawSeconds = clock.Elapsed.TotalSeconds;

    string F(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
    Console.WriteLine();
    Console.WriteLine("| path | events | table entries | seconds | events/s |");
    Console.WriteLine("|---|---|---|---|---|");
    Console.WriteLine($"| queue trigger (RecordAuditEvent under WebJobs, {perMessage} events/message, enqueue {F(enqueued)} s included) | {count} | {stored} | {F(triggerSeconds)} | {F(count / triggerSeconds)} |");
    Console.WriteLine($"| raw inserts of the same {entities.Count} entities, {concurrency} at a time | {count} | {entities.Count} | {F(rawSeconds)} | {F(count / rawSeconds)} |");
    Console.WriteLine();
    Console.WriteLine($"Ratio (trigger / raw): {(rawSeconds / triggerSeconds).ToString("F2", CultureInfo.InvariantCulture)}");
    return stored == entities.Count ? 0 : 1;
}

static List<AuditEvent> Generate(int count)
{
    var schools = BundledSchoolRegistry.Load();
    string[] types = [AuditEventTypes.DeviceEnrolled, AuditEventTypes.DeviceRegistrationStarted, AuditEventTypes.DeviceRegistered];
    var start = DateTimeOffset.UtcNow.AddDays(-1);
    return Enumerable.Range(0, count).Select(i =>
    {
        var device = i / types.Length;
        return new AuditEvent(Guid.NewGuid(), start.AddMilliseconds(i * 10), types[i % types.Length],
            new AuditActor(i % types.Length == 0 ? AuditActor.DeviceKind : AuditActor.SystemKind, i % types.Length == 0 ? $"SN{device:D8}" : "registration"),
            schools[device % schools.Count].Uai, $"SN{device:D8}", new JsonObject { ["attempt"] = 1 });
    }).ToList();
}
