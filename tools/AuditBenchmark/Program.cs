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

// dotnet run -c Release --project tools/AuditBenchmark -- [--events 20000] [--per-message 100] [--concurrency 64]
string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var count = int.TryParse(Arg("--events"), out var e) ? e : 20_000;
var perMessage = int.TryParse(Arg("--per-message"), out var p) ? p : 100;
var concurrency = int.TryParse(Arg("--concurrency"), out var c) ? c : 64;

Console.WriteLine($"Audit benchmark: {count} events in messages of {perMessage}, through the dev host's WebJobs queue trigger, on {Environment.ProcessorCount} cores.");
await using var host = await RunningDevHost.StartAsync(new DevHostOptions { Port = 0, MinimumLogLevel = LogLevel.Critical });
var events = Generate(count);
var trail = host.Services.GetRequiredService<AuditTrail>();
var queue = host.Services.GetRequiredService<QueueServiceClient>().GetQueueClient(host.Services.GetRequiredService<IOptions<TriggerOptions>>().Value.AuditQueueName);
var tables = new TableServiceClient(host.StorageConnectionString);

// 1. Through the queue trigger, as the product publishes them (arrays of events per message).
var clock = Stopwatch.StartNew();
var messages = events.Chunk(perMessage).Select(chunk => "[" + string.Join(",", chunk.Select(ev => JsonSerializer.Serialize(ev, ApiJson.Options))) + "]").ToList();
await Parallel.ForEachAsync(messages, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (m, ct) => await queue.SendMessageAsync(m, ct));
var enqueued = clock.Elapsed.TotalSeconds;
while (true)
{
    // The count includes messages being processed: zero means every message was handled and deleted.
    var left = (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount;
    if (left == 0)
    {
        break;
    }

    Console.WriteLine($"  {clock.Elapsed.TotalSeconds,6:F1} s  {left} messages left");
    await Task.Delay(1000);
}

var triggerSeconds = clock.Elapsed.TotalSeconds;
var stored = 0;
await foreach (var _ in tables.GetTableClient(TableNames.AuditEvents).QueryAsync<TableEntity>(select: ["RowKey"], maxPerPage: 1000))
{
    stored++;
}

// 2. The limit: the same entities inserted straight into Azurite, same run, `concurrency` at a time.
var raw = tables.GetTableClient("AuditEventsRaw");
await raw.CreateIfNotExistsAsync();
var entities = events.SelectMany(trail.EntitiesFor).ToList();
clock.Restart();
await Parallel.ForEachAsync(entities, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (entity, ct) => await raw.AddEntityAsync(entity, ct));
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
