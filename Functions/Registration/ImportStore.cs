using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Http;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// The <c>AutopilotImports</c> table: one row per import in flight (one partition: the pipeline reads them all at
/// once, and there are a few dozen at the most), removed when the import is finished. Updates are conditional
/// on the row's ETag.
/// </summary>
public sealed class ImportStore(TableServiceClient tables)
{
    private const string Partition = "import";

    // Table Storage holds at most 32K characters in a string property: the device list is split across several.
    private const int ChunkChars = 30_000;
    private const string DevicesProperty = "Devices";
    private readonly TableClient _table = tables.GetTableClient(TableNames.AutopilotImports);

    public async Task AddAsync(AutopilotImport import, CancellationToken cancellationToken)
    {
        var entity = ToEntity(import);
        var response = await _table.AddEntityAsync(entity, cancellationToken);
        import.Version = response.Headers.ETag?.ToString();
        import.Stored = Fingerprint(entity);
    }

    /// <summary>
    /// Replaces the import if nobody changed it since it was read (nothing is written when nothing changed). Only the
    /// Autopilot sync (one instance at a time) changes imports, so another writer means another run is at it: the
    /// change is refused with <see cref="ImportChangedException"/>, and the next run reads the import again.
    /// </summary>
    public async Task SaveAsync(AutopilotImport import, CancellationToken cancellationToken)
    {
        var entity = ToEntity(import);
        var fingerprint = Fingerprint(entity);
        if (fingerprint == import.Stored)
        {
            return;
        }

        try
        {
            var response = await _table.UpdateEntityAsync(entity, new ETag(import.Version!), TableUpdateMode.Replace, cancellationToken);
            import.Version = response.Headers.ETag?.ToString();
            import.Stored = fingerprint;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            throw new ImportChangedException(import.ImportId, ex);
        }
    }

    public async Task RemoveAsync(AutopilotImport import, CancellationToken cancellationToken)
    {
        try
        {
            await _table.DeleteEntityAsync(Partition, import.ImportId, new ETag(import.Version!), cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // Gone already, or changed since: the next run looks again.
        }
    }

    /// <summary>Every import in flight, oldest first.</summary>
    public async Task<IReadOnlyList<AutopilotImport>> ListAsync(CancellationToken cancellationToken)
    {
        var imports = new List<AutopilotImport>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(e => e.PartitionKey == Partition, cancellationToken: cancellationToken))
        {
            imports.Add(FromEntity(entity));
        }

        return imports;
    }

    public async Task<bool> ContainsAsync(string importId, CancellationToken cancellationToken) =>
        (await _table.GetEntityIfExistsAsync<TableEntity>(Partition, importId, select: ["RowKey"], cancellationToken: cancellationToken)).HasValue;

    private static TableEntity ToEntity(AutopilotImport import)
    {
        var entity = new TableEntity(Partition, import.ImportId)
        {
            ["Stage"] = import.Stage.ToString(),
            ["Round"] = import.Round,
            ["CreatedAt"] = import.CreatedAt,
            ["PostedAt"] = import.PostedAt,
        };
        var json = JsonSerializer.Serialize(import.Devices, ApiJson.Options);
        for (var i = 0; i * ChunkChars < json.Length; i++)
        {
            entity[$"{DevicesProperty}{i}"] = json.Substring(i * ChunkChars, Math.Min(ChunkChars, json.Length - (i * ChunkChars)));
        }

        return entity;
    }

    private static AutopilotImport FromEntity(TableEntity entity)
    {
        var json = new StringBuilder();
        for (var i = 0; entity.GetString($"{DevicesProperty}{i}") is { } chunk; i++)
        {
            json.Append(chunk);
        }

        var import = AutopilotImport.Restore(
            entity.RowKey,
            Enum.Parse<ImportStage>(entity.GetString("Stage")!),
            entity.GetInt32("Round") ?? 0,
            entity.GetDateTimeOffset("CreatedAt") ?? default,
            entity.GetDateTimeOffset("PostedAt"),
            JsonSerializer.Deserialize<List<ImportedDevice>>(json.ToString(), ApiJson.Options) ?? []);
        import.Version = entity.ETag.ToString();
        import.Stored = Fingerprint(ToEntity(import));
        return import;
    }

    private static string Fingerprint(TableEntity entity) =>
        string.Join("|", entity.Where(p => p.Key is not ("odata.etag" or "Timestamp")).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
}

/// <summary>An import was changed by another writer since it was read: the change is not saved.</summary>
public sealed class ImportChangedException(string importId, Exception inner)
    : InvalidOperationException($"Import {importId} was changed by another writer.", inner);
