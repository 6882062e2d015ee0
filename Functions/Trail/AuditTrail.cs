using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.Audit;

namespace Sarthe.Enrolment.Trail;

/// <summary>
/// The append-only <c>AuditEvents</c> table. Each event is written once per partition it is read from:
/// <c>school|{UAI}</c>, <c>device|{serial}</c> (and <c>programme</c> when it names neither), with row key
/// <c>{inverted ticks}|{eventId}</c> so a partition reads newest first. Every write is insert-if-absent:
/// a second delivery of the same event changes nothing.
/// </summary>
public sealed class AuditTrail(TableServiceClient tables, IOptions<AuditOptions> options)
{
    private readonly TableClient _table = tables.GetTableClient(TableNames.AuditEvents);

    public static string SchoolPartition(string uai) => "school|" + uai;

    public static string DevicePartition(string serial) => "device|" + serial;

    /// <summary>Events of neither a school nor a device (report builds): not readable through the API today.</summary>
    public const string ProgrammePartition = "programme";

    // Entity-group transactions hold at most 100 operations, all in one partition.
    private const int MaxTransaction = 100;

    // Requests in flight for one message: enough to keep storage busy, not to flood it.
    private const int Concurrency = 8;

    /// <summary>Returns how many entries were new (0 when the whole event was a duplicate).</summary>
    public Task<int> AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken) =>
        AppendAsync([auditEvent], cancellationToken);

    /// <summary>
    /// Stores events published together. The entries that share a partition (a school's, or a device's
    /// successive events) go in one entity-group transaction, one storage request instead of one per entry;
    /// the others one by one. Returns how many entries were new.
    /// </summary>
    public async Task<int> AppendAsync(IReadOnlyCollection<AuditEvent> events, CancellationToken cancellationToken)
    {
        var tallies = events.Where(IsTally).ToList();
        foreach (var tally in tallies)
        {
            await AddTallyAsync(tally, cancellationToken);
        }

        var groups = events.Except(tallies).SelectMany(EntitiesFor)
            .DistinctBy(entity => (entity.PartitionKey, entity.RowKey)) // the same event twice in one message
            .GroupBy(entity => entity.PartitionKey)
            .SelectMany(partition => partition.Chunk(MaxTransaction))
            .ToList();
        var written = 0;
        foreach (var wave in groups.Chunk(Concurrency))
        {
            written += (await Task.WhenAll(wave.Select(group => AddAllAsync(group, cancellationToken)))).Sum();
        }

        return written;
    }

    private async Task<int> AddAllAsync(TableEntity[] entities, CancellationToken cancellationToken)
    {
        if (entities.Length == 1)
        {
            return await TryAddAsync(entities[0], cancellationToken) ? 1 : 0;
        }

        try
        {
            await _table.SubmitTransactionAsync(entities.Select(e => new TableTransactionAction(TableTransactionActionType.Add, e)), cancellationToken);
            return entities.Length;
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 409)
        {
            // Some entry is already there (a redelivery): the transaction wrote nothing, so insert one by one.
            var added = await Task.WhenAll(entities.Select(entity => TryAddAsync(entity, cancellationToken)));
            return added.Count(a => a);
        }
    }

    private static bool IsTally(AuditEvent e) =>
        e.Type == AuditEventTypes.DeviceEnrolmentRejected && e.Data?.ContainsKey(AuditEvents.TallyFlushProperty) == true && e.SchoolUai is not null;

    /// <summary>
    /// A count of refused attempts (<see cref="RejectionTally"/>): the first flush of a school, reason and minute makes
    /// the entry, later flushes (other instances, or the same one later) add their attempts to it, each flush once.
    /// </summary>
    private async Task AddTallyAsync(AuditEvent tally, CancellationToken cancellationToken)
    {
        var data = (JsonObject)tally.Data!.DeepClone();
        var flush = data[AuditEvents.TallyFlushProperty]!.GetValue<string>();
        data.Remove(AuditEvents.TallyFlushProperty);
        var entity = ToEntity(SchoolPartition(tally.SchoolUai!), tally with { Data = data });
        entity["Flushes"] = flush;
        if (await TryAddAsync(entity, cancellationToken))
        {
            return;
        }

        while (true)
        {
            var existing = (await _table.GetEntityAsync<TableEntity>(entity.PartitionKey, entity.RowKey, cancellationToken: cancellationToken)).Value;
            var flushes = (existing.GetString("Flushes") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries);
            if (flushes.Contains(flush))
            {
                return; // a redelivery of a flush already counted
            }

            var merged = JsonNode.Parse(existing.GetString("Data") ?? "{}")!.AsObject();
            merged["attempts"] = (merged["attempts"]?.GetValue<int>() ?? 0) + data["attempts"]!.GetValue<int>();
            existing["Data"] = merged.ToJsonString();
            existing["Flushes"] = string.Join(',', flushes.TakeLast(MaxFlushesKept - 1).Append(flush));
            try
            {
                await _table.UpdateEntityAsync(existing, existing.ETag, TableUpdateMode.Replace, cancellationToken);
                return;
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                // Another flush added its count meanwhile: read again.
            }
        }
    }

    // Flushes come from each instance every minute: a few dozen at the most per entry.
    private const int MaxFlushesKept = 200;

    /// <summary>The entries of one event: one per partition it is read from.</summary>
    public IEnumerable<TableEntity> EntitiesFor(AuditEvent auditEvent)
    {
        if (auditEvent.SchoolUai is not null)
        {
            yield return ToEntity(SchoolPartition(auditEvent.SchoolUai), auditEvent);
        }

        if (auditEvent.SerialNumber is not null)
        {
            yield return ToEntity(DevicePartition(auditEvent.SerialNumber), auditEvent);
        }

        if (auditEvent.SchoolUai is null && auditEvent.SerialNumber is null)
        {
            yield return ToEntity(ProgrammePartition, auditEvent);
        }
    }

    private async Task<bool> TryAddAsync(TableEntity entity, CancellationToken cancellationToken)
    {
        try
        {
            await _table.AddEntityAsync(entity, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Already there: a redelivery, or the second half of an event whose first attempt was cut short.
            return false;
        }
    }

    public async Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        // Newest first: a later time has a smaller row key.
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {query.Partition}");
        if (query.To is { } upper)
        {
            filter += " and " + TableClient.CreateQueryFilter($"RowKey ge {InvertedTicks(upper)}");
        }

        if (query.From is { } lower)
        {
            filter += " and " + TableClient.CreateQueryFilter($"RowKey le {InvertedTicks(lower) + "|~"}");
        }

        if (query.AfterRowKey is { } after)
        {
            filter += " and " + TableClient.CreateQueryFilter($"RowKey gt {after}");
        }

        var pageSize = query.PageSize;
        var items = new List<AuditEvent>(pageSize);
        string? last = null;
        var more = false;
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(pageSize + 1, 1000), cancellationToken: cancellationToken))
        {
            if (items.Count == pageSize)
            {
                more = true;
                break;
            }

            items.Add(FromEntity(entity));
            last = entity.RowKey;
        }

        return new AuditPage(items, more ? query.ContinuationAfter(last!) : null);
    }

    private TableEntity ToEntity(string partition, AuditEvent e) => new(partition, $"{InvertedTicks(e.OccurredAt)}|{e.EventId:N}")
    {
        ["EventId"] = e.EventId,
        ["OccurredAt"] = e.OccurredAt,
        ["Type"] = e.Type,
        ["ActorKind"] = e.Actor.Kind,
        ["ActorId"] = e.Actor.Id,
        ["SchoolUai"] = e.SchoolUai,
        ["SerialNumber"] = e.SerialNumber,
        ["Data"] = e.Data?.ToJsonString(),
        ["RetainUntil"] = e.OccurredAt.AddYears(options.Value.RetentionYears),
    };

    private static AuditEvent FromEntity(TableEntity entity) => new(
        entity.GetGuid("EventId") ?? Guid.Empty,
        entity.GetDateTimeOffset("OccurredAt") ?? default,
        entity.GetString("Type") ?? "",
        new AuditActor(entity.GetString("ActorKind") ?? "", entity.GetString("ActorId") ?? ""),
        entity.GetString("SchoolUai"),
        entity.GetString("SerialNumber"),
        entity.GetString("Data") is { } data ? JsonNode.Parse(data) as JsonObject : null);

    private static string InvertedTicks(DateTimeOffset at) =>
        (DateTimeOffset.MaxValue.UtcTicks - at.UtcTicks).ToString("D19", CultureInfo.InvariantCulture);
}
