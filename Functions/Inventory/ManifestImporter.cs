using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.Inventory;

/// <summary>What an import was asked: the manifest's name, and the school of Autopilot CSV lines without a Group Tag.</summary>
public sealed record ManifestRequest(string Name, string? SchoolUai);

/// <summary>
/// Imports a manifest while it is read: lines are parsed and checked one after the other (duplicates within the file
/// need the order), then stored in batches of <see cref="BatchSize"/> by <see cref="Workers"/> workers. A batch reads
/// what storage knows of its serials with two range queries (inventory rows and enrolment claims: a reseller's
/// serials run in sequence, so a range holds little else), then writes each line, <see cref="WritesPerBatch"/> at a
/// time: an insert-if-absent, or a merge of the changed fields under the row's ETag; a line that meets a concurrent
/// change is read again and decided again. Memory holds a few batches, the serials of valid lines (for duplicates)
/// and at most <see cref="RejectedLines.MaxListed"/> rejected lines, never the file: a file of junk lines costs counts. The header is checked before anything is written: a refused file writes nothing.
/// </summary>
public sealed class ManifestImporter(InventoryStore inventory, SerialClaims claims, PreRegistrationQueue preRegistrations, AuditPublisher audit, TimeProvider time, ILogger<ManifestImporter> logger)
{
    public const int Workers = 2;
    public const int BatchSize = 100;
    public const int WritesPerBatch = 16;

    // A range holding more rows than this (a sparse batch in a large inventory) is read serial by serial instead.
    private const int MaxRangeRows = 1000;

    public async Task<ManifestOutcome> ImportAsync(Stream body, ManifestRequest request, IReadOnlySet<string> schools, AuditActor administrator, CancellationToken cancellationToken)
    {
        using var reader = new ManifestCsvReader(body);
        var header = await reader.ReadAsync(cancellationToken);
        if (reader.EncodingProblem is { } undecodable)
        {
            return Refuse("body", undecodable);
        }

        if (header is null || header.Error is not null)
        {
            return Refuse("body", header is null ? "The file is empty. " + ManifestFormat.HeaderRule : ManifestFormat.HeaderRule);
        }

        var (format, errors) = ManifestFormat.Match(header.Fields);
        if (format is null)
        {
            return new ManifestOutcome.Refused(errors);
        }

        if (format.IndexOf(ManifestFields.SchoolUai) < 0 && request.SchoolUai is null)
        {
            return Refuse("schoolUai", "This Autopilot CSV has no Group Tag column: give the school of its devices with schoolUai= in the query.");
        }

        var manifest = new ManifestSummary(Guid.CreateVersion7(time.GetUtcNow()).ToString(), request.Name, time.GetUtcNow(), administrator.Id, 0, Incomplete: true);
        await inventory.StartManifestAsync(manifest, cancellationToken);
        var run = new Run(manifest.ManifestId, administrator);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var queue = Channel.CreateBounded<List<ManifestRow>>(new BoundedChannelOptions(Workers) { SingleWriter = true });
        var workers = Enumerable.Range(0, Workers).Select(_ => WorkAsync(queue.Reader, run, stop)).ToArray();
        try
        {
            var firstLineOf = new Dictionary<string, int>(StringComparer.Ordinal);
            var batch = new List<ManifestRow>(BatchSize);
            while (await reader.ReadAsync(stop.Token) is { } record)
            {
                run.Rows++;
                var (row, rowErrors) = ManifestRowParser.Parse(record, format, request.SchoolUai, schools);
                var serial = row?.SerialNumber ?? (format.IndexOf(ManifestFields.SerialNumber) is var i and >= 0 && i < record.Fields.Count ? SerialNumber.Normalize(record.Fields[i]) : null);
                // Only valid lines are remembered: a duplicate of a rejected line is judged on its own, and junk lines cost no memory.
                if (serial is not null && firstLineOf.TryGetValue(serial, out var firstLine))
                {
                    rowErrors[ManifestFields.SerialNumber] = [$"serialNumber {serial} is already on line {firstLine} of this file."];
                    row = null;
                }
                else if (row is not null)
                {
                    firstLineOf.Add(serial!, record.Line);
                }

                if (row is null)
                {
                    run.Rejected.Add(new RejectedLine(record.Line, rowErrors));
                    continue;
                }

                batch.Add(row);
                if (batch.Count == BatchSize)
                {
                    await queue.Writer.WriteAsync(batch, stop.Token);
                    batch = new List<ManifestRow>(BatchSize);
                }
            }

            if (batch.Count > 0)
            {
                await queue.Writer.WriteAsync(batch, stop.Token);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // A writer failed and stopped the others: its exception is thrown below.
        }
        finally
        {
            queue.Writer.TryComplete();
        }

        await Task.WhenAll(workers);

        var result = new ManifestImportResult(manifest.ManifestId, manifest.Name, run.Rows, run.Accepted, run.Updated, run.Unchanged,
            run.Rejected.Listed(), run.Rejected.Count, run.Rejected.ByField());
        await inventory.CompleteManifestAsync(manifest with { Rows = run.Rows, Incomplete = null }, cancellationToken);
        await audit.PublishAsync(AuditEvents.InventoryManifestImported(manifest.ManifestId, manifest.Name, format.Name, result.Rows, result.Accepted,
            result.Updated, result.Unchanged, result.RejectedCount, run.PreRegistered, administrator, time.GetUtcNow()), cancellationToken);
        logger.LogInformation("Manifest {ManifestId} ({Format}) imported: {Rows} rows, {Accepted} accepted, {Updated} updated, {Unchanged} unchanged, {Rejected} rejected, {PreRegistered} devices pre-registered",
            manifest.ManifestId, format.Name, result.Rows, result.Accepted, result.Updated, result.Unchanged, result.RejectedCount, run.PreRegistered);
        return new ManifestOutcome.Imported(result);
    }

    private static ManifestOutcome.Refused Refuse(string field, string message) => new(new Dictionary<string, string[]> { [field] = [message] });

    private async Task WorkAsync(ChannelReader<List<ManifestRow>> batches, Run run, CancellationTokenSource stop)
    {
        await Task.Yield();
        var finished = false;
        try
        {
            await foreach (var batch in batches.ReadAllAsync(stop.Token))
            {
                var (rows, claims) = await KnownAsync(batch, stop.Token);
                var applied = new (AuditEvent? Event, InventoryEntity? Stored)[batch.Count];
                await Parallel.ForEachAsync(Enumerable.Range(0, batch.Count), new ParallelOptions { MaxDegreeOfParallelism = WritesPerBatch, CancellationToken = stop.Token },
                    async (i, ct) => applied[i] = await ApplyAsync(batch[i], run, Snapshot.Of(batch[i].SerialNumber, rows, claims), ct));
                if (applied.Select(a => a.Event).OfType<AuditEvent>().ToList() is { Count: > 0 } updated)
                {
                    await audit.PublishAsync(updated, stop.Token);
                }

                // Every stored line with a hash, new or not, queued for pre-registration: it creates each device once, and completes a cut-short import.
                var candidates = batch.Select((row, i) => row.HardwareHash is { } hash && applied[i].Stored is { } stored
                        ? new PreRegistrationCandidate(stored, hash, claims?.ContainsKey(row.SerialNumber))
                        : null)
                    .OfType<PreRegistrationCandidate>().ToList();
                if (candidates.Count > 0)
                {
                    await preRegistrations.AddAsync(candidates.Select(c => new PendingPreRegistration(c.Row.SerialNumber, run.ManifestId, run.Administrator)).ToList(), time.GetUtcNow(), stop.Token);
                    Interlocked.Add(ref run.PreRegistered, candidates.Count);
                }
            }

            finished = true;
        }
        finally
        {
            // Whatever ended this worker early (storage failing), the others and the reader stop too.
            if (!finished)
            {
                await stop.CancelAsync();
            }
        }
    }

    /// <summary>The inventory rows and enrolment claims of a batch's serials: two range reads, or none when a range is too wide.</summary>
    private async Task<(IReadOnlyDictionary<string, InventoryEntity>? Rows, IReadOnlyDictionary<string, string>? Claims)> KnownAsync(List<ManifestRow> batch, CancellationToken cancellationToken)
    {
        var first = batch.Select(r => r.SerialNumber).Min(StringComparer.Ordinal)!;
        var last = batch.Select(r => r.SerialNumber).Max(StringComparer.Ordinal)!;
        var rows = inventory.RangeAsync(first, last, MaxRangeRows, cancellationToken);
        var enrolled = claims.EnrolledSchoolsInRangeAsync(first, last, MaxRangeRows, cancellationToken);
        return (await rows, await enrolled);
    }

    /// <summary>What a batch's range reads said of one serial; null when they could not say (the line reads it itself).</summary>
    private sealed record Snapshot(InventoryEntity? Row, string? ClaimSchool)
    {
        public static Snapshot? Of(string serial, IReadOnlyDictionary<string, InventoryEntity>? rows, IReadOnlyDictionary<string, string>? claims) =>
            rows is null || claims is null ? null : new Snapshot(rows.GetValueOrDefault(serial), claims.GetValueOrDefault(serial));
    }

    /// <summary>Stores one line; returns its audit event when it changed a known serial's data, and the row as stored (null when rejected).</summary>
    private async Task<(AuditEvent? Event, InventoryEntity? Stored)> ApplyAsync(ManifestRow row, Run run, Snapshot? known, CancellationToken cancellationToken)
    {
        while (true)
        {
            var enrolledAt = known is null ? claims.EnrolledSchoolAsync(row.SerialNumber, cancellationToken) : Task.FromResult(known.ClaimSchool);
            var existing = known is null ? await inventory.GetAsync(row.SerialNumber, cancellationToken) : known.Row;
            known = null; // a second turn (a concurrent change met) reads again
            if (await enrolledAt is { } school && school != row.SchoolUai)
            {
                run.Rejected.Add(new RejectedLine(row.Line, new Dictionary<string, string[]>
                {
                    [ManifestFields.SerialNumber] = [$"serialNumber {row.SerialNumber} is enrolled at another school ({school}); the line says {row.SchoolUai}."],
                }));
                return (null, null);
            }

            var now = time.GetUtcNow();
            if (existing is null)
            {
                var added = Apply(row, new InventoryEntity { PartitionKey = row.SerialNumber, SchoolUai = row.SchoolUai, CreatedAt = now }, run.ManifestId, now);
                if (await inventory.TryAddAsync(added, cancellationToken))
                {
                    Interlocked.Increment(ref run.Accepted);
                    return (null, added);
                }

                continue; // another import stored it meanwhile: compare with that
            }

            var (before, after) = Changes(existing, row);
            if (before.Count == 0)
            {
                Interlocked.Increment(ref run.Unchanged);
                return (null, existing);
            }

            var changed = Apply(row, existing.Copy(), run.ManifestId, now);
            if (await inventory.TryUpdateAsync(changed, existing.ETag, cancellationToken))
            {
                Interlocked.Increment(ref run.Updated);
                return (AuditEvents.InventoryUpdated(row.SchoolUai, row.SerialNumber, run.ManifestId, row.Line, before, after, run.Administrator, now), changed);
            }
        }
    }

    /// <summary>The fields a line sets on a row; a field the line leaves empty keeps its stored value.</summary>
    private static InventoryEntity Apply(ManifestRow row, InventoryEntity entity, string manifestId, DateTimeOffset now)
    {
        entity.SchoolUai = row.SchoolUai;
        entity.DeviceType = row.DeviceType ?? entity.DeviceType;
        entity.Manufacturer = row.Manufacturer ?? entity.Manufacturer;
        entity.Model = row.Model ?? entity.Model;
        entity.PurchaseOrder = row.Purchase?.PurchaseOrder ?? entity.PurchaseOrder;
        entity.InvoiceNumber = row.Purchase?.InvoiceNumber ?? entity.InvoiceNumber;
        entity.UnitCostCents = row.Purchase?.UnitCostCents ?? entity.UnitCostCents;
        entity.ProductKey = row.ProductKey ?? entity.ProductKey;
        entity.AssetTag = row.AssetTag ?? entity.AssetTag;
        if (row.HardwareHash is { } hash)
        {
            entity.HardwareHash = hash;
            entity.HashDigest = InventoryEntity.Digest(hash);
            entity.HasHardwareHash = true;
        }

        entity.ManifestId = manifestId;
        entity.UpdatedAt = now;
        return entity;
    }

    /// <summary>The fields a line would change, before and after (a hash by its digest, never 4 KB of base64 in the trail).</summary>
    private static (JsonObject Before, JsonObject After) Changes(InventoryEntity stored, ManifestRow row)
    {
        var before = new JsonObject();
        var after = new JsonObject();
        void Compare(string field, JsonNode? old, JsonNode? now, bool differs)
        {
            if (differs)
            {
                before[field] = old;
                after[field] = now;
            }
        }

        Compare(ManifestFields.SchoolUai, stored.SchoolUai, row.SchoolUai, stored.SchoolUai != row.SchoolUai);
        Compare(ManifestFields.DeviceType, stored.DeviceType, row.DeviceType, row.DeviceType is not null && row.DeviceType != stored.DeviceType);
        Compare(ManifestFields.Manufacturer, stored.Manufacturer, row.Manufacturer, row.Manufacturer is not null && row.Manufacturer != stored.Manufacturer);
        Compare(ManifestFields.Model, stored.Model, row.Model, row.Model is not null && row.Model != stored.Model);
        if (row.Purchase is { } purchase)
        {
            Compare(ManifestFields.PurchaseOrder, stored.PurchaseOrder, purchase.PurchaseOrder, purchase.PurchaseOrder != stored.PurchaseOrder);
            Compare(ManifestFields.InvoiceNumber, stored.InvoiceNumber, purchase.InvoiceNumber, purchase.InvoiceNumber != stored.InvoiceNumber);
            Compare(ManifestFields.UnitCostEur, stored.UnitCostCents is { } cents ? Purchase.Eur(cents) : null, purchase.UnitCostEur, purchase.UnitCostCents != stored.UnitCostCents);
        }

        var digest = row.HardwareHash is { } hash ? InventoryEntity.Digest(hash) : null;
        Compare(ManifestFields.HardwareHash, stored.HashDigest is { } d ? "sha256:" + d : null, "sha256:" + digest, digest is not null && digest != stored.HashDigest);
        Compare(ManifestFields.ProductKey, stored.ProductKey, row.ProductKey, row.ProductKey is not null && row.ProductKey != stored.ProductKey);
        Compare(ManifestFields.AssetTag, stored.AssetTag, row.AssetTag, row.AssetTag is not null && row.AssetTag != stored.AssetTag);
        return (before, after);
    }

    /// <summary>The counts of one import, shared by its writers.</summary>
    private sealed class Run(string manifestId, AuditActor administrator)
    {
        public readonly RejectedLines Rejected = new();
        public int Rows;
        public int Accepted;
        public int Updated;
        public int Unchanged;
        public int PreRegistered;

        public string ManifestId => manifestId;

        public AuditActor Administrator => administrator;
    }
}
