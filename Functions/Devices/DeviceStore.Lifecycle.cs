using System.Globalization;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;

namespace Sarthe.Enrolment.Devices;

/// <summary>
/// Moves and deregistrations. The serial claim is the authority on where a device is.
/// <para>A move (rows are partitioned by school) is four steps, each safe to repeat: the old row is marked
/// <see cref="Device.MovingTo"/> (the transition, ETag-guarded), its copy is inserted under the new school, the claim
/// is switched, the old row is deleted. Whoever next reads or updates the device through the store (a request, the
/// pipeline, the sweep) and finds a marked row or no row finishes the move first: a crash between two steps loses or
/// duplicates nothing, and once marked the old row is never written again (every writer finishes the move first).</para>
/// <para>A deregistered device releases its claim (marked <see cref="ReleasedProperty"/>); the next enrolment of its
/// serial, at any school, archives the deregistered row (<c>DeviceArchive</c>, partition = school, row key =
/// serial|enrolment ticks), deletes it and takes the claim, so the reports keep counting the old device up to its
/// removal and the new one never overwrites its history.</para>
/// </summary>
public sealed partial class DeviceStore
{
    private const string ReleasedProperty = "Released";

    /// <summary>The device at <paramref name="key"/>, or wherever it moved (its claim says): a move cut short is finished.</summary>
    public async Task<Device?> ResolveAsync(DeviceKey key, CancellationToken cancellationToken)
    {
        for (var hop = 0; hop < 4; hop++)
        {
            var device = await GetAsync(key, cancellationToken);
            if (device?.MovingTo is not null)
            {
                return await CompleteMoveAsync(device, cancellationToken);
            }

            if (device is not null)
            {
                return device;
            }

            if (await SchoolOfAsync(key.SerialNumber, cancellationToken) is not { } school || school == key.SchoolUai)
            {
                return null;
            }

            key = key with { SchoolUai = school };
        }

        return null;
    }

    /// <summary>Finishes the move of a row marked <see cref="Device.MovingTo"/>; returns the device at its new school.</summary>
    public async Task<Device?> CompleteMoveAsync(Device moving, CancellationToken cancellationToken)
    {
        var row = moving.MovedRow();
        var to = new DeviceKey(row.PartitionKey, row.RowKey);
        try
        {
            await _devices.AddEntityAsync(row, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Copied by an earlier try: that copy may have changed since, and it is the device now.
        }

        await SwitchClaimAsync(moving.SerialNumber, moving.SchoolUai, to.SchoolUai, cancellationToken);
        if (await _devices.GetEntityIfExistsAsync<DeviceEntity>(moving.SchoolUai, moving.SerialNumber, cancellationToken: cancellationToken) is { HasValue: true } left
            && left.Value!.MovingTo == to.SchoolUai)
        {
            try
            {
                await _devices.DeleteEntityAsync(moving.SchoolUai, moving.SerialNumber, left.Value.ETag, cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.Status is 404 or 412)
            {
                // Deleted by a concurrent finisher (or its pending events cleared meanwhile: the next reader deletes it).
            }
        }

        return await GetAsync(to, cancellationToken);
    }

    /// <summary>Rows moves left behind (a crash cut them short): the sweep finishes them.</summary>
    public async IAsyncEnumerable<Device> FindMovingAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var row in _devices.QueryAsync<DeviceEntity>("MovingTo gt ''", cancellationToken: cancellationToken))
        {
            yield return new Device(row);
        }
    }

    /// <summary>Devices with Autopilot work waiting (a group tag, a removal): the sweep puts them back in line.</summary>
    public async IAsyncEnumerable<Device> FindWithLifecycleWorkAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var row in _devices.QueryAsync<DeviceEntity>("GroupTagWanted gt '' or DeregistrationRequestedBy gt ''", cancellationToken: cancellationToken))
        {
            if (row.MovingTo is null)
            {
                yield return new Device(row);
            }
        }
    }

    /// <summary>The school a serial (normalised) is enrolled at, or null when none holds it (never enrolled, or released by a deregistration).</summary>
    public async Task<string?> EnrolledSchoolOfAsync(string serial, CancellationToken cancellationToken)
    {
        var claim = await _serials.GetEntityIfExistsAsync<TableEntity>(serial, ClaimRow, cancellationToken: cancellationToken);
        return claim.HasValue && claim.Value!.GetBoolean(ReleasedProperty) != true ? claim.Value.GetString("SchoolUai") : null;
    }

    /// <summary>A deregistered device gives its serial back: the claim is marked released (idempotent).</summary>
    public async Task ReleaseClaimAsync(Device deregistered, CancellationToken cancellationToken)
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

    /// <summary>A school's devices that have a hardware hash and are not deregistered, in serial order, streamed.</summary>
    public async IAsyncEnumerable<Device> StreamExportableAsync(string uai, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var row in _devices.QueryAsync<DeviceEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {uai}"), maxPerPage: 1000, cancellationToken: cancellationToken))
        {
            if (row.MovingTo is null && row.HardwareHash.Length > 0 && row.Status != DeviceStatus.Deregistered.ToName())
            {
                yield return new Device(row);
            }
        }
    }

    /// <summary>Deregistered devices archived when their serial was enrolled again, with their enrolment time.</summary>
    private async IAsyncEnumerable<(DeviceReportFacts Facts, DateTimeOffset EnrolledAt)> StreamArchivedFactsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var row in _archive.QueryAsync<DeviceEntity>(maxPerPage: 1000, select: ReportProjection, cancellationToken: cancellationToken))
        {
            var serial = row.RowKey[..row.RowKey.IndexOf('|', StringComparison.Ordinal)];
            yield return (new DeviceReportFacts(row.PartitionKey, serial, row.DeviceType, StatusHistory.Restore(row), SchoolHistory.Parse(row.SchoolHistory)), row.EnrolledAt);
        }
    }

    /// <summary>The claim switches from <paramref name="from"/> to <paramref name="to"/> (nothing when it is elsewhere already).</summary>
    private async Task SwitchClaimAsync(string serial, string from, string to, CancellationToken cancellationToken)
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
    internal async Task<bool?> TryTakeOverAsync(TableEntity claim, string uai, CancellationToken cancellationToken)
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
