using Azure;
using Azure.Data.Tables;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Retention;

/// <summary>
/// The serial claims (<c>DeviceSerials</c>) of deregistered devices whose row the purge deleted: a claim marked
/// released whose holder row is gone names a device the product no longer keeps, so it goes too (under its ETag: an
/// enrolment that takes the claim over meanwhile wins). A crash between the row's deletion and this leaves nothing
/// behind: the next run finds the claim again.
/// </summary>
public sealed class ReleasedClaimStore(TableServiceClient tables)
{
    // DeviceStore's names: the claim row of a serial and its holder (its release mark, Released, is in the filter).
    private const string ClaimRow = "claim";
    private const string HolderProperty = "SchoolUai";

    private readonly TableClient _serials = tables.GetTableClient(TableNames.DeviceSerials);
    private readonly TableClient _devices = tables.GetTableClient(TableNames.Devices);

    public async Task<long> DeleteOrphanedAsync(CancellationToken cancellationToken)
    {
        long deleted = 0;
        var filter = TableClient.CreateQueryFilter($"RowKey eq {ClaimRow} and Released eq {true}");
        await foreach (var claim in _serials.QueryAsync<TableEntity>(filter, maxPerPage: 1000, cancellationToken: cancellationToken))
        {
            if (claim.GetString(HolderProperty) is not { } holder)
            {
                continue;
            }

            var row = await _devices.GetEntityIfExistsAsync<TableEntity>(holder, claim.PartitionKey, select: ["RowKey"], cancellationToken: cancellationToken);
            if (row.HasValue)
            {
                continue;
            }

            try
            {
                using var response = await _serials.DeleteEntityAsync(claim.PartitionKey, claim.RowKey, claim.ETag, cancellationToken);
                deleted += response.Status == 404 ? 0 : 1;
            }
            catch (RequestFailedException ex) when (ex.Status is 404 or 412)
            {
                // Taken over by a new enrolment since it was read.
            }
        }

        return deleted;
    }
}
