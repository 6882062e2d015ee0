using Azure;
using Azure.Data.Tables;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Inventory;

/// <summary>
/// The purchase inventory (<c>Inventory</c>: one row per serial) and the manifests that fed it
/// (<c>InventoryManifests</c>). Rows are written insert-if-absent or replaced under their ETag, so concurrent imports of
/// overlapping files never lose a change. Enrolment policy, pre-registration and the report read it by serial.
/// </summary>
public sealed class InventoryStore(TableServiceClient tables, DeviceQueries devices)
{
    private const string ManifestPartition = "manifest";
    private const int Concurrency = 16;
    private static readonly string[] FactsProjection = ["PartitionKey", nameof(InventoryEntity.SchoolUai), nameof(InventoryEntity.DeviceType), nameof(InventoryEntity.PurchaseOrder), nameof(InventoryEntity.InvoiceNumber), nameof(InventoryEntity.UnitCostCents)];
    private readonly TableClient _items = tables.GetTableClient(TableNames.Inventory);
    private readonly TableClient _manifests = tables.GetTableClient(TableNames.InventoryManifests);

    /// <summary>The row of a serial (normalised), without its hash unless asked; null when the serial was never bought.</summary>
    public async Task<InventoryEntity?> GetAsync(string serial, CancellationToken cancellationToken, bool withHash = false)
    {
        var response = await _items.GetEntityIfExistsAsync<InventoryEntity>(serial, InventoryEntity.ItemRow, withHash ? null : InventoryEntity.WithoutHash, cancellationToken);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>
    /// The rows of the serials from <paramref name="first"/> to <paramref name="last"/> (without hashes unless asked), or null when
    /// there are more than <paramref name="limit"/>: a range read serves a batch of serials in one request or a few.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, InventoryEntity>?> RangeAsync(string first, string last, int limit, CancellationToken cancellationToken, bool withHash = false)
    {
        var rows = new Dictionary<string, InventoryEntity>(StringComparer.Ordinal);
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {first} and PartitionKey le {last} and RowKey eq {InventoryEntity.ItemRow}");
        await foreach (var row in _items.QueryAsync<InventoryEntity>(filter, maxPerPage: 1000, select: withHash ? null : InventoryEntity.WithoutHash, cancellationToken: cancellationToken))
        {
            if (rows.Count == limit)
            {
                return null;
            }

            rows[row.SerialNumber] = row;
        }

        return rows;
    }

    /// <summary>The record with its <c>inventory</c> object, when its serial was bought.</summary>
    public async Task<DeviceRecord> WithInventoryAsync(DeviceRecord record, CancellationToken cancellationToken) =>
        await GetAsync(record.SerialNumber, cancellationToken) is { } row ? record with { Inventory = InventoryView.From(row) } : record;

    /// <summary>A page of records, each with its <c>inventory</c> object (point reads, a few at a time).</summary>
    public async Task<DevicePage> WithInventoryAsync(DevicePage page, CancellationToken cancellationToken)
    {
        var items = new DeviceRecord[page.Items.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, items.Length), new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken },
            async (i, ct) => items[i] = await WithInventoryAsync(page.Items[i], ct));
        return page with { Items = items };
    }

    /// <summary>Insert-if-absent: false when another import stored the serial first.</summary>
    public async Task<bool> TryAddAsync(InventoryEntity row, CancellationToken cancellationToken)
    {
        try
        {
            await _items.AddEntityAsync(row, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    /// <summary>
    /// Merges the changed properties into the row read with <paramref name="etag"/>: false when someone changed it since.
    /// A merge, so a read without the hash never erases it.
    /// </summary>
    public async Task<bool> TryUpdateAsync(InventoryEntity row, ETag etag, CancellationToken cancellationToken)
    {
        try
        {
            await _items.UpdateEntityAsync(row, etag, TableUpdateMode.Merge, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
    }

    /// <summary>A page in serial order, each item with the status of its device when one enrolled.</summary>
    public async Task<InventoryPage> ListAsync(InventoryQuery query, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"RowKey eq {InventoryEntity.ItemRow}");
        if (query.AfterSerial is { } after)
        {
            filter += " and " + TableClient.CreateQueryFilter($"PartitionKey gt {after}");
        }

        if (query.SchoolUai is { } uai)
        {
            filter += " and " + TableClient.CreateQueryFilter($"SchoolUai eq {uai}");
        }

        if (query.PurchaseOrder is { } order)
        {
            filter += " and " + TableClient.CreateQueryFilter($"PurchaseOrder eq {order}");
        }

        var rows = new List<InventoryEntity>(query.PageSize);
        var more = false;
        await foreach (var row in _items.QueryAsync<InventoryEntity>(filter, maxPerPage: Math.Min(query.PageSize + 1, 1000), select: InventoryEntity.WithoutHash, cancellationToken: cancellationToken))
        {
            if (rows.Count == query.PageSize)
            {
                more = true;
                break;
            }

            rows.Add(row);
        }

        var statuses = new DeviceStatus?[rows.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, rows.Count), new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken },
            async (i, ct) => statuses[i] = await devices.StatusOfAsync(rows[i].SerialNumber, ct));
        return new InventoryPage(rows.Select((row, i) => InventoryItem.From(row, statuses[i])).ToList(), more ? query.ContinuationAfter(rows[^1].SerialNumber) : null);
    }

    /// <summary>Every row's serial, school, invoiced device type and purchase, streamed with a projection: what the funding report joins.</summary>
    public async IAsyncEnumerable<(string SerialNumber, string SchoolUai, string? DeviceType, Purchase? Purchase)> StreamFactsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var row in _items.QueryAsync<InventoryEntity>(maxPerPage: 1000, select: FactsProjection, cancellationToken: cancellationToken))
        {
            yield return (row.SerialNumber, row.SchoolUai, row.DeviceType, row.Purchase);
        }
    }

    /// <summary>Per school: bought, and of those enrolled and registered (two projected scans, joined by serial).</summary>
    public async Task<IReadOnlyList<SchoolInventory>> SummariseAsync(IEnumerable<string> schoolUais, CancellationToken cancellationToken)
    {
        var schoolOf = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var (serial, uai, _, _) in StreamFactsAsync(cancellationToken))
        {
            schoolOf[serial] = uai;
        }

        var counts = schoolUais.ToDictionary(uai => uai, _ => (Bought: 0, Enrolled: 0, Registered: 0), StringComparer.Ordinal);
        foreach (var uai in schoolOf.Values)
        {
            var c = counts.GetValueOrDefault(uai);
            counts[uai] = c with { Bought = c.Bought + 1 };
        }

        await foreach (var (serial, status) in devices.StreamStatusesAsync(cancellationToken))
        {
            if (schoolOf.TryGetValue(serial, out var uai))
            {
                var c = counts[uai];
                counts[uai] = c with { Enrolled = c.Enrolled + 1, Registered = c.Registered + (status == DeviceStatus.Registered ? 1 : 0) };
            }
        }

        return counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => new SchoolInventory(c.Key, c.Value.Bought, c.Value.Enrolled, c.Value.Registered)).ToList();
    }

    /// <summary>Written before the first row of its file, so every row's <c>manifestId</c> names a listed manifest.</summary>
    public Task StartManifestAsync(ManifestSummary manifest, CancellationToken cancellationToken) =>
        _manifests.AddEntityAsync(ToEntity(manifest), cancellationToken);

    public Task CompleteManifestAsync(ManifestSummary manifest, CancellationToken cancellationToken) =>
        _manifests.UpdateEntityAsync(ToEntity(manifest), ETag.All, TableUpdateMode.Replace, cancellationToken);

    /// <summary>Every manifest imported, newest first.</summary>
    public async Task<IReadOnlyList<ManifestSummary>> ListManifestsAsync(CancellationToken cancellationToken)
    {
        var list = new List<ManifestSummary>();
        await foreach (var row in _manifests.QueryAsync<TableEntity>(e => e.PartitionKey == ManifestPartition, cancellationToken: cancellationToken))
        {
            list.Add(new ManifestSummary(row.RowKey, row.GetString("Name") ?? "", row.GetDateTimeOffset("ImportedAt") ?? default, row.GetString("ImportedBy") ?? "",
                row.GetInt32("Rows") ?? 0, row.GetBoolean("Complete") == true ? null : true));
        }

        return list.OrderByDescending(m => m.ImportedAt).ThenByDescending(m => m.ManifestId, StringComparer.Ordinal).ToList();
    }

    private static TableEntity ToEntity(ManifestSummary manifest) => new(ManifestPartition, manifest.ManifestId)
    {
        ["Name"] = manifest.Name,
        ["ImportedAt"] = manifest.ImportedAt,
        ["ImportedBy"] = manifest.ImportedBy,
        ["Rows"] = manifest.Rows,
        ["Complete"] = manifest.Incomplete is null,
    };
}

/// <summary>
/// A manifest as <c>GET /api/inventory/manifests</c> lists it. <see cref="Incomplete"/> is true only for an import that
/// was cut short (the connection or storage failed): its stored rows stay, and importing the file again completes it.
/// </summary>
public sealed record ManifestSummary(string ManifestId, string Name, DateTimeOffset ImportedAt, string ImportedBy, int Rows, bool? Incomplete = null);
