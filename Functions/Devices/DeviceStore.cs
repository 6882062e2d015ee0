using Azure;
using Azure.Data.Tables;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.Schools;

namespace Sarthe.Enrolment.Devices;

/// <summary>
/// Devices (partition = school) and the serial claims (<c>DeviceSerials</c>, partition = serial) that
/// make a serial belong to one school. Every change is an insert-if-absent or an ETag-conditioned
/// replace: concurrent requests never both win, and no lock is held in memory.
/// </summary>
public sealed class DeviceStore(TableServiceClient tables)
{
    private const string ClaimRow = "claim";
    private readonly TableClient _devices = tables.GetTableClient(TableNames.Devices);
    private readonly TableClient _serials = tables.GetTableClient(TableNames.DeviceSerials);

    /// <summary>Claims the serial for a school; returns the school that holds it (this one, or another).</summary>
    public async Task<string> ClaimSerialAsync(string serial, string uai, CancellationToken cancellationToken)
    {
        try
        {
            await _serials.AddEntityAsync(new TableEntity(serial, ClaimRow) { ["SchoolUai"] = uai }, cancellationToken);
            return uai;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            var claim = await _serials.GetEntityAsync<TableEntity>(serial, ClaimRow, cancellationToken: cancellationToken);
            return claim.Value.GetString("SchoolUai")!;
        }
    }

    /// <summary>Insert-if-absent: false when the row exists already (a repeat or a concurrent twin).</summary>
    public async Task<bool> TryAddAsync(DeviceEntity device, CancellationToken cancellationToken)
    {
        try
        {
            await _devices.AddEntityAsync(device, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    public async Task<DeviceEntity?> GetAsync(string uai, string serial, CancellationToken cancellationToken)
    {
        var response = await _devices.GetEntityIfExistsAsync<DeviceEntity>(uai, serial, cancellationToken: cancellationToken);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>The device a route's serial number names (normalised as at enrolment), or null.</summary>
    public async Task<DeviceEntity?> FindAsync(string routeSerial, CancellationToken cancellationToken)
    {
        if (SerialNumber.Normalize(routeSerial) is not { } serial)
        {
            return null;
        }

        var claim = await _serials.GetEntityIfExistsAsync<TableEntity>(serial, ClaimRow, cancellationToken: cancellationToken);
        return claim.HasValue ? await GetAsync(claim.Value!.GetString("SchoolUai")!, serial, cancellationToken) : null;
    }

    /// <summary>
    /// Read, change, replace if nobody wrote in between (ETag), else start again. <paramref name="change"/>
    /// returns false to leave the row as it is. Returns the row as stored afterwards, or null if absent.
    /// </summary>
    public async Task<DeviceEntity?> UpdateAsync(string uai, string serial, Func<DeviceEntity, bool> change, CancellationToken cancellationToken)
    {
        while (true)
        {
            var device = await GetAsync(uai, serial, cancellationToken);
            if (device is null || !change(device))
            {
                return device;
            }

            try
            {
                var response = await _devices.UpdateEntityAsync(device, device.ETag, TableUpdateMode.Replace, cancellationToken);
                device.ETag = response.Headers.ETag ?? default;
                return device;
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                // Someone else changed the row: apply the change to the new version.
            }
        }
    }

    /// <summary>One page of a school's devices in serial order; the token is the last serial returned.</summary>
    public async Task<DevicePage> ListBySchoolAsync(string uai, string? status, string? afterSerial, int pageSize, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {uai}");
        if (afterSerial is not null)
        {
            filter += " and " + TableClient.CreateQueryFilter($"RowKey gt {afterSerial}");
        }

        if (status is not null)
        {
            filter += " and " + TableClient.CreateQueryFilter($"Status eq {status}");
        }

        var items = new List<DeviceRecord>(pageSize);
        var more = false;
        await foreach (var device in _devices.QueryAsync<DeviceEntity>(filter, maxPerPage: Math.Min(pageSize + 1, 1000), cancellationToken: cancellationToken))
        {
            if (items.Count == pageSize)
            {
                more = true;
                break;
            }

            items.Add(DeviceRecord.From(device));
        }

        return new DevicePage(items, more ? EncodeToken(items[^1].SerialNumber) : null);
    }

    /// <summary>Device counts of one school: a projected read of its partition (status only).</summary>
    public async Task<DeviceCounts> CountAsync(string uai, CancellationToken cancellationToken)
    {
        int received = 0, registering = 0, registered = 0, failed = 0;
        await foreach (var row in _devices.QueryAsync<TableEntity>(
                           TableClient.CreateQueryFilter($"PartitionKey eq {uai}"), maxPerPage: 1000, select: ["Status"], cancellationToken: cancellationToken))
        {
            switch (row.GetString("Status"))
            {
                case DeviceStatus.Received: received++; break;
                case DeviceStatus.Registering: registering++; break;
                case DeviceStatus.Registered: registered++; break;
                case DeviceStatus.Failed: failed++; break;
            }
        }

        return new DeviceCounts(received, registering, registered, failed);
    }

    /// <summary>Devices whose last change is older than <paramref name="before"/> and still not settled.</summary>
    public IAsyncEnumerable<DeviceEntity> FindUnsettledAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        _devices.QueryAsync<DeviceEntity>(
            TableClient.CreateQueryFilter($"UpdatedAt lt {before}") + " and (" +
            TableClient.CreateQueryFilter($"Status eq {DeviceStatus.Received}") + " or " +
            TableClient.CreateQueryFilter($"Status eq {DeviceStatus.Registering}") + ")",
            cancellationToken: cancellationToken);

    public static string EncodeToken(string lastSerial) => Paging.EncodeToken("devices", lastSerial);

    /// <summary>The serial a token stands for, or null when it is not one of ours.</summary>
    public static string? DecodeToken(string token) =>
        Paging.DecodeToken(token) is ["devices", var serial] && SerialNumber.Normalize(serial) == serial ? serial : null;
}
