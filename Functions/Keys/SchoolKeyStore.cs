using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Keys;

/// <summary>
/// School enrolment keys. key = HMAC-SHA256(master secret, "sarthe-enrolment-key/v1/{uai}/{keyId}"): the
/// <c>SchoolKeys</c> table holds only key ids and dates, so a copy of the storage account cannot forge
/// a signature; the master secret lives in configuration (Key Vault in Azure).
/// </summary>
public sealed class SchoolKeyStore(TableServiceClient tables, IOptions<EnrolmentKeyOptions> options, TimeProvider time)
{
    private const string RowKey = "keys";
    private readonly TableClient _table = tables.GetTableClient(TableNames.SchoolKeys);
    private readonly byte[] _master = Convert.FromBase64String(options.Value.MasterSecret);

    public async Task<SchoolKeySet?> GetAsync(string uai, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(uai, RowKey, cancellationToken: cancellationToken);
        return response.HasValue ? ToKeySet(response.Value!) : null;
    }

    /// <summary>Issues a new current key; the old current one stays valid for the grace period.</summary>
    public async Task<IssuedKey> RotateAsync(string uai, CancellationToken cancellationToken)
    {
        while (true)
        {
            var now = time.GetUtcNow();
            var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            var existing = await _table.GetEntityIfExistsAsync<TableEntity>(uai, RowKey, cancellationToken: cancellationToken);
            var previousValidUntil = existing.HasValue ? now + options.Value.RotationGracePeriod : (DateTimeOffset?)null;
            var entity = new TableEntity(uai, RowKey)
            {
                ["CurrentKeyId"] = keyId,
                ["CreatedAt"] = now,
                ["PreviousKeyId"] = existing.HasValue ? existing.Value!.GetString("CurrentKeyId") : null,
                ["PreviousValidUntil"] = previousValidUntil,
            };
            try
            {
                if (existing.HasValue)
                {
                    // ETag-conditioned: two concurrent rotations cannot both think they demoted the same key.
                    await _table.UpdateEntityAsync(entity, existing.Value!.ETag, TableUpdateMode.Replace, cancellationToken);
                }
                else
                {
                    await _table.AddEntityAsync(entity, cancellationToken);
                }
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                continue;
            }

            return new IssuedKey(uai, keyId, Convert.ToBase64String(DeriveKey(uai, keyId)), now, previousValidUntil);
        }
    }

    /// <summary>The keys that authenticate a device of this school right now: current, and previous within grace.</summary>
    public IEnumerable<byte[]> ValidKeys(SchoolKeySet keys)
    {
        yield return DeriveKey(keys.SchoolUai, keys.CurrentKeyId);
        if (keys.PreviousKeyId is not null && keys.PreviousValidUntil > time.GetUtcNow())
        {
            yield return DeriveKey(keys.SchoolUai, keys.PreviousKeyId);
        }
    }

    private byte[] DeriveKey(string uai, string keyId) =>
        HMACSHA256.HashData(_master, Encoding.UTF8.GetBytes($"sarthe-enrolment-key/v1/{uai}/{keyId}"));

    private static SchoolKeySet ToKeySet(TableEntity entity) => new(
        entity.PartitionKey,
        entity.GetString("CurrentKeyId")!,
        entity.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue,
        entity.GetString("PreviousKeyId"),
        entity.GetDateTimeOffset("PreviousValidUntil"));
}
