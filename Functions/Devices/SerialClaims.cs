using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Devices;

/// <summary>
/// The serial claims (<c>DeviceSerials</c>, partition = serial): a serial belongs to one school, and its claim is the
/// authority on where the device's row is. A deregistered device releases its claim (marked <see cref="ReleasedProperty"/>,
/// still naming the school whose partition keeps the deregistered row); the next enrolment of its serial, at any school,
/// archives that row (<c>DeviceArchive</c>, partition = school, row key = serial|enrolment ticks), deletes it and takes
/// the claim, so the reports keep counting the old device up to its removal and the new one never overwrites its history.
/// Every change is an insert-if-absent or an ETag-conditioned replace.
/// </summary>
public sealed class SerialClaims(TableServiceClient tables)
{
    private const string ClaimRow = "claim";
    private const string ReleasedProperty = "Released";
    private readonly TableClient _serials = tables.GetTableClient(TableNames.DeviceSerials);
    private readonly TableClient _devices = tables.GetTableClient(TableNames.Devices);
    private readonly TableClient _archive = tables.GetTableClient(TableNames.DeviceArchive);

    /// <summary>
    /// Claims the serial for a school; returns the school that holds it (this one, or another). A claim its deregistered
    /// device released is taken over (<see cref="TryTakeOverAsync"/>).
    /// </summary>
    public async Task<string> ClaimAsync(string serial, string uai, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await _serials.AddEntityAsync(new TableEntity(serial, ClaimRow) { ["SchoolUai"] = uai }, cancellationToken);
                return uai;
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                var claim = await _serials.GetEntityAsync<TableEntity>(serial, ClaimRow, cancellationToken: cancellationToken);
                if (claim.Value.GetBoolean(ReleasedProperty) != true)
                {
                    return claim.Value.GetString("SchoolUai")!;
                }

                switch (await TryTakeOverAsync(claim.Value, uai, cancellationToken))
                {
                    case true:
                        return uai;
                    case null:
                        return claim.Value.GetString("SchoolUai")!;
                }
            }
        }
    }

    /// <summary>
    /// The school whose partition holds the serial's row (normalised serial), released claims included: where to read
    /// the device, deregistered or not. Null when the serial never enrolled.
    /// </summary>
    public async Task<string?> SchoolHoldingRowAsync(string serial, CancellationToken cancellationToken)
    {
        var claim = await _serials.GetEntityIfExistsAsync<TableEntity>(serial, ClaimRow, cancellationToken: cancellationToken);
        return claim.HasValue ? claim.Value!.GetString("SchoolUai") : null;
    }

    /// <summary>The school the serial (normalised) is enrolled at now, or null when none holds it (never enrolled, or released by a deregistration).</summary>
    public async Task<string?> EnrolledSchoolAsync(string serial, CancellationToken cancellationToken)
    {
        var claim = await _serials.GetEntityIfExistsAsync<TableEntity>(serial, ClaimRow, cancellationToken: cancellationToken);
        return claim.HasValue && claim.Value!.GetBoolean(ReleasedProperty) != true ? claim.Value.GetString("SchoolUai") : null;
    }

    /// <summary>The schools the serials from <paramref name="first"/> to <paramref name="last"/> are enrolled at (a released serial is free), or null when more than <paramref name="limit"/> did.</summary>
    public async Task<IReadOnlyDictionary<string, string>?> EnrolledSchoolsInRangeAsync(string first, string last, int limit, CancellationToken cancellationToken)
    {
        var claims = new Dictionary<string, string>(StringComparer.Ordinal);
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {first} and PartitionKey le {last} and RowKey eq {ClaimRow}");
        await foreach (var claim in _serials.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: ["PartitionKey", "SchoolUai", ReleasedProperty], cancellationToken: cancellationToken))
        {
            if (claims.Count == limit)
            {
                return null;
            }

            if (claim.GetBoolean(ReleasedProperty) != true)
            {
                claims[claim.PartitionKey] = claim.GetString("SchoolUai")!;
            }
        }

        return claims;
    }

    /// <summary>A deregistered device gives its serial back: the claim is marked released (idempotent).</summary>
    public async Task ReleaseAsync(Device deregistered, CancellationToken cancellationToken)
    {
        var claim = await _serials.GetEntityIfExistsAsync<TableEntity>(deregistered.SerialNumber, ClaimRow, cancellationToken: cancellationToken);
        if (claim.HasValue && claim.Value!.GetString("SchoolUai") == deregistered.SchoolUai && claim.Value.GetBoolean(ReleasedProperty) != true)
        {
            try
            {
                await _serials.UpdateEntityAsync(new TableEntity(deregistered.SerialNumber, ClaimRow) { [ReleasedProperty] = true }, claim.Value.ETag, TableUpdateMode.Merge, cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.Status is 404 or 412)
            {
                // Taken over or changed meanwhile: not this device's any more.
            }
        }
    }

    /// <summary>
    /// Retention: deletes the released claims whose holder row is gone (the purge deleted the deregistered device): such
    /// a claim names a device the product no longer keeps. Under its ETag, so an enrolment that takes the claim over
    /// meanwhile wins; a crash between the row's deletion and this leaves the claim for the next run. Returns how many.
    /// </summary>
    public async Task<long> DeleteOrphanedReleasesAsync(CancellationToken cancellationToken)
    {
        long deleted = 0;
        var filter = TableClient.CreateQueryFilter($"RowKey eq {ClaimRow}") + $" and {ReleasedProperty} eq true";
        await foreach (var claim in _serials.QueryAsync<TableEntity>(filter, maxPerPage: 1000, cancellationToken: cancellationToken))
        {
            if (claim.GetString("SchoolUai") is not { } holder
                || (await _devices.GetEntityIfExistsAsync<TableEntity>(holder, claim.PartitionKey, select: ["RowKey"], cancellationToken: cancellationToken)).HasValue)
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

    /// <summary>The claim switches from <paramref name="from"/> to <paramref name="to"/> (nothing when it is elsewhere already): a move's third step.</summary>
    public async Task SwitchAsync(string serial, string from, string to, CancellationToken cancellationToken)
    {
        while (true)
        {
            var claim = await _serials.GetEntityIfExistsAsync<TableEntity>(serial, ClaimRow, cancellationToken: cancellationToken);
            if (!claim.HasValue || claim.Value!.GetString("SchoolUai") != from)
            {
                return;
            }

            try
            {
                await _serials.UpdateEntityAsync(new TableEntity(serial, ClaimRow) { ["SchoolUai"] = to }, claim.Value.ETag, TableUpdateMode.Replace, cancellationToken);
                return;
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
            }
        }
    }

    /// <summary>
    /// Takes over a released claim for <paramref name="uai"/>: the deregistered row is archived (insert-if-absent), then
    /// deleted, then the claim replaced (ETag). False when someone else changed the claim first (the caller reads it again);
    /// null when the holder's device is not deregistered after all (the claim stays its).
    /// </summary>
    private async Task<bool?> TryTakeOverAsync(TableEntity claim, string uai, CancellationToken cancellationToken)
    {
        var serial = claim.PartitionKey;
        var holder = claim.GetString("SchoolUai")!;
        var found = await _devices.GetEntityIfExistsAsync<DeviceEntity>(holder, serial, cancellationToken: cancellationToken);
        if (found.HasValue && found.Value!.Status == DeviceStatus.Deregistered.ToName())
        {
            var archived = found.Value.Copy();
            archived.RowKey = $"{serial}|{found.Value.EnrolledAt.UtcTicks.ToString("D19", CultureInfo.InvariantCulture)}";
            archived.ETag = default;
            try
            {
                await _archive.AddEntityAsync(archived, cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                // Archived by an earlier try.
            }

            try
            {
                await _devices.DeleteEntityAsync(holder, serial, found.Value.ETag, cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.Status is 404 or 412)
            {
                return false;
            }
        }
        else if (found.HasValue)
        {
            return null;
        }

        try
        {
            await _serials.UpdateEntityAsync(new TableEntity(serial, ClaimRow) { ["SchoolUai"] = uai }, claim.ETag, TableUpdateMode.Replace, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return false;
        }
    }
}
