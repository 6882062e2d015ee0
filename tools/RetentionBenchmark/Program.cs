using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sarthe.DevHost;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Reporting;
using Sarthe.Enrolment.Retention;
using Sarthe.Enrolment.Schools;
using Sarthe.RetentionBenchmark;
using Sarthe.Tools;
using Sarthe.Enrolment.Trail;

var command = new CommandLine("dotnet run -c Release --project tools/RetentionBenchmark --",
    "Retention purge of expired audit entries in Azurite: seeds them as the trail stores them (each event in its school's\n" +
    "and its device's partition), then measures in the same run a key scan (the read any purge needs: the lower bound),\n" +
    "one-by-one deletion of a sample (the naive way) and the product's purge (RetentionPurge, transactions of <= 100);\n" +
    "prints the table of docs/benchmarks.md.",
    "--entries 20000 --sample 2000");
var entries = command.Int("--entries", 1_000_000, "expired audit entries to seed and purge (two per event)");
var eventsPerDevice = command.Int("--events-per-device", 6, "events per device partition (an enrolment and its pipeline's events)");
var sample = command.Int("--sample", 20_000, "entries deleted one by one first, as the baseline");
var concurrency = command.Int("--concurrency", new RetentionOptions().Concurrency, "transactions in flight (seeding and purge): Retention:Concurrency");
if (!command.TryParse(args, out var exitCode))
{
    return exitCode;
}

using var stop = new StopSignal("retention benchmark and Azurite");
return await stop.RunAsync(cancellationToken => RunAsync(entries.Value, eventsPerDevice.Value, sample.Value, concurrency.Value, cancellationToken));

static async Task<int> RunAsync(int entryCount, int eventsPerDevice, int sampleCount, int concurrency, CancellationToken cancellationToken)
{
    Console.WriteLine($"Retention benchmark: {entryCount} expired audit entries ({eventsPerDevice} events per device), {concurrency} transactions in flight, on {Environment.ProcessorCount} cores.");
    await using var azurite = await AzuriteProcess.StartAsync(cancellationToken);
    var counter = new RequestCounter();
    var options = new TableClientOptions();
    options.AddPolicy(counter, HttpPipelinePosition.PerRetry);
    var tables = new TableServiceClient(azurite.ConnectionString, options);
    foreach (var name in TableNames.All)
    {
        await tables.CreateTableIfNotExistsAsync(name, cancellationToken);
    }

    var queues = new QueueServiceClient(azurite.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
    var triggers = new TriggerOptions();
    await queues.GetQueueClient(triggers.AuditQueueName).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
    var audit = tables.GetTableClient(TableNames.AuditEvents);
    var clock = Stopwatch.StartNew();

    // 0. Seed: events of a programme that closed in 2027, written as the trail writes them, in transactions per partition.
    var trail = new AuditTrail(tables, Options.Create(new AuditOptions()));
    var seeded = 0L;
    await using (new Heartbeat(() => $"  {clock.Elapsed.TotalSeconds,6:F0} s  seeded {Interlocked.Read(ref seeded)}/{entryCount}"))
    {
        var batches = Events(entryCount / 2, eventsPerDevice).SelectMany(trail.EntitiesFor)
            .GroupBy(e => e.PartitionKey).SelectMany(p => p.Chunk(ExpiredRowDeleter.MaxTransaction));
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken }, async (batch, ct) =>
        {
            await audit.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.Add, e)), ct);
            Interlocked.Add(ref seeded, batch.Length);
        });
    }

    var seedSeconds = clock.Elapsed.TotalSeconds;
    var seedRequests = counter.Requests;

    // 1. The lower bound: reading the keys of every expired entry, as the purge's query does, deleting nothing.
    var purgeRules = new RetentionOptions { Concurrency = concurrency };
    var closing = new DateOnly(2027, 6, 30);
    var now = new DateTimeOffset(2033, 1, 2, 3, 30, 0, TimeSpan.Zero);
    var filter = RetentionTargets.All.Single(t => t.Category == RetentionCategory.AuditEntries).ExpiredBefore(purgeRules.AuditEntries.ExpiredBefore(now, closing)!.Value);
    var (scanned, scanSeconds, scanRequests) = await MeasureAsync(counter, async () =>
    {
        long rows = 0;
        await foreach (var _ in audit.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            rows++;
        }

        return rows;
    });

    // 2. The naive way on a sample: one DELETE per entry.
    var (naive, naiveSeconds, naiveRequests) = await MeasureAsync(counter, async () =>
    {
        long rows = 0;
        await foreach (var row in audit.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            await audit.DeleteEntityAsync(row.PartitionKey, row.RowKey, cancellationToken: cancellationToken);
            if (++rows == sampleCount)
            {
                break;
            }
        }

        return rows;
    });

    // 3. The product's purge of the rest, every category (the other tables are empty), memory sampled.
    var purge = new RetentionPurge(tables, new SerialClaims(tables), new AuditPublisher(queues, Options.Create(triggers)), Options.Create(purgeRules),
        Options.Create(new FundingOptions { ProgrammeClosingDate = closing }), new FixedClock(now), NullLogger<RetentionPurge>.Instance);
    RetentionRun? run = null;
    MemoryPeaks memory;
    double purgeSeconds;
    long purgeRequests;
    await using (memory = new MemoryPeaks(200))
    {
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        await using (new Heartbeat(() => $"  {clock.Elapsed.TotalSeconds,6:F0} s  purging ({counter.Requests} requests so far)"))
        {
            (_, purgeSeconds, purgeRequests) = await MeasureAsync(counter, async () => (run = await purge.RunAsync(cancellationToken)).Deleted.Values.Sum());
        }

        Console.WriteLine($"  allocated during the purge: {(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 1048576.0:F0} MB");
    }

    long left = 0;
    await foreach (var _ in audit.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken))
    {
        left++;
    }

    var purged = run!.Deleted[RetentionCategory.AuditEntries];
    string F(double v, string format = "F1") => v.ToString(format, CultureInfo.InvariantCulture);
    Console.WriteLine();
    Console.WriteLine($"| phase | entries | seconds | entries/s | requests | entries/request |");
    Console.WriteLine("|---|---|---|---|---|---|");
    Console.WriteLine($"| seed (transactions of <= 100 per partition) | {seeded} | {F(seedSeconds)} | {F(seeded / seedSeconds, "F0")} | {seedRequests} | {F(seeded / (double)seedRequests)} |");
    Console.WriteLine($"| key scan only (lower bound) | {scanned} | {F(scanSeconds)} | {F(scanned / scanSeconds, "F0")} | {scanRequests} | {F(scanned / (double)scanRequests)} |");
    Console.WriteLine($"| one DELETE per entry (sample) | {naive} | {F(naiveSeconds)} | {F(naive / naiveSeconds, "F0")} | {naiveRequests} | {F(naive / (double)naiveRequests)} |");
    Console.WriteLine($"| RetentionPurge (query + transactions of <= 100, {concurrency} in flight) | {purged} | {F(purgeSeconds)} | {F(purged / purgeSeconds, "F0")} | {purgeRequests} | {F(purged / (double)purgeRequests)} |");
    Console.WriteLine();
    Console.WriteLine($"Purge memory above baseline: managed heap peak {F(memory.HeapMb)} MB, working set peak {F(memory.WorkingSetMb)} MB. Left after the purge: {left}.");
    return left == 0 && purged + naive == seeded ? 0 : 1;
}

static IEnumerable<AuditEvent> Events(int count, int eventsPerDevice)
{
    var schools = BundledSchoolRegistry.Load();
    string[] types = [AuditEventTypes.DeviceEnrolled, AuditEventTypes.DeviceRegistrationStarted, AuditEventTypes.DeviceRegistered, AuditEventTypes.DeviceProfileAssigned];
    var start = new DateTimeOffset(2025, 9, 1, 8, 0, 0, TimeSpan.Zero);
    for (var i = 0; i < count; i++)
    {
        var device = i / eventsPerDevice;
        var serial = $"SN{device:D8}";
        yield return new AuditEvent(Guid.NewGuid(), start.AddSeconds(i), types[i % eventsPerDevice % types.Length], AuditActor.Registration,
            schools[device % schools.Count].Uai, serial, new JsonObject { ["attempt"] = 1 });
    }
}

static async Task<(long Rows, double Seconds, long Requests)> MeasureAsync(RequestCounter counter, Func<Task<long>> phase)
{
    var requests = counter.Requests;
    var clock = Stopwatch.StartNew();
    var rows = await phase();
    return (rows, clock.Elapsed.TotalSeconds, counter.Requests - requests);
}

/// <summary>The purge's "now": after the programme's retention period, so every seeded entry is expired.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
