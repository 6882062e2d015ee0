using Azure;
using Azure.Data.Tables;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Devices;

/// <summary>
/// Devices (partition = school) and the serial claims (<c>DeviceSerials</c>, partition = serial) that make a
/// serial belong to one school. Every change is an insert-if-absent or an ETag-conditioned replace: concurrent
/// requests never both win, and no lock is held in memory.
/// </summary>
public sealed partial class DeviceStore(TableServiceClient tables)
{
    private const string ClaimRow = "claim";
    private static readonly string[] ReportProjection = ["PartitionKey", "RowKey", "DeviceType", "Status", "StatusHistory", "EnrolledAt", "RegisteringAt", "RegisteredAt", "FailedAt", "SchoolHistory", "MovingTo"];
    private readonly TableClient _devices = tables.GetTableClient(TableNames.Devices);
    private readonly TableClient _serials = tables.GetTableClient(TableNames.DeviceSerials);
    private readonly TableClient _archive = tables.GetTableClient(TableNames.DeviceArchive);

    /// <summary>
    /// Claims the serial for a school; returns the school that holds it (this one, or another). A claim its deregistered
    /// device released is taken over (<see cref="TryTakeOverAsync"/>).
    /// </summary>
    public async Task<string> ClaimSerialAsync(string serial, string uai, CancellationToken cancellationToken)
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

    /// <summary>Insert-if-absent: false when the row exists already (a repeat or a concurrent twin).</summary>
    public async Task<bool> TryAddAsync(Device device, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _devices.AddEntityAsync(device.Row, cancellationToken);
            device.Row.ETag = response.Headers.ETag ?? default;
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    public async Task<Device?> GetAsync(DeviceKey key, CancellationToken cancellationToken)
    {
        var response = await _devices.GetEntityIfExistsAsync<DeviceEntity>(key.SchoolUai, key.SerialNumber, cancellationToken: cancellationToken);
        return response.HasValue ? new Device(response.Value!) : null;
    }

    /// <summary>The device a route's serial number names (normalised as at enrolment), or null; a move cut short is finished first.</summary>
    public async Task<Device?> FindAsync(string routeSerial, CancellationToken cancellationToken)
    {
        if (SerialNumber.Normalize(routeSerial) is not { } serial)
        {
            return null;
        }

        var claim = await _serials.GetEntityIfExistsAsync<TableEntity>(serial, ClaimRow, cancellationToken: cancellationToken);
        return claim.HasValue ? await ResolveAsync(new DeviceKey(claim.Value!.GetString("SchoolUai")!, serial), cancellationToken) : null;
    }

    /// <summary>The school a serial (normalised) is enrolled at, or null when no device has it.</summary>
    public async Task<string?> SchoolOfAsync(string serial, CancellationToken cancellationToken)
    {
        var claim = await _serials.GetEntityIfExistsAsync<TableEntity>(serial, ClaimRow, cancellationToken: cancellationToken);
        return claim.HasValue ? claim.Value!.GetString("SchoolUai") : null;
    }

    /// <summary>The schools of the serials from <paramref name="first"/> to <paramref name="last"/> that enrolled (a deregistered device's released serial is free), or null when more than <paramref name="limit"/> did.</summary>
    public async Task<IReadOnlyDictionary<string, string>?> ClaimsInRangeAsync(string first, string last, int limit, CancellationToken cancellationToken)
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

    /// <summary>The status of the device with this serial (normalised), or null when none enrolled.</summary>
    public async Task<DeviceStatus?> StatusOfAsync(string serial, CancellationToken cancellationToken)
    {
        if (await SchoolOfAsync(serial, cancellationToken) is not { } uai)
        {
            return null;
        }

        var row = await _devices.GetEntityIfExistsAsync<TableEntity>(uai, serial, ["Status"], cancellationToken);
        return row.HasValue ? DeviceStatusNames.Parse(row.Value!.GetString("Status")) : null;
    }

    /// <summary>Every device's serial and status, streamed with a projection.</summary>
    public async IAsyncEnumerable<(string SerialNumber, DeviceStatus Status)> StreamStatusesAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var row in _devices.QueryAsync<TableEntity>(maxPerPage: 1000, select: ["RowKey", "Status", "MovingTo"], cancellationToken: cancellationToken))
        {
            if (row.GetString("MovingTo") is null && DeviceStatusNames.Parse(row.GetString("Status")) is { } status)
            {
                yield return (row.RowKey, status);
            }
        }
    }

    /// <summary>
    /// Reads the device, applies <paramref name="transition"/> (one of <see cref="Device"/>'s, which says whether
    /// it changed anything), and stores it if nobody wrote in between (ETag), else starts again.
    /// </summary>
    public async Task<DeviceUpdate> UpdateAsync(DeviceKey key, Func<Device, bool> transition, CancellationToken cancellationToken)
    {
        while (true)
        {
            var device = await GetAsync(key, cancellationToken);
            if ((device is null || device.MovingTo is not null) && await ResolveAsync(key, cancellationToken) is { } moved && moved.Key != key)
            {
                key = moved.Key; // the device moved to another school (its row to another partition): follow it
                continue;
            }

            if (device is null || !transition(device))
            {
                return new DeviceUpdate(device, Changed: false);
            }

            try
            {
                var response = await _devices.UpdateEntityAsync(device.Row, device.Row.ETag, TableUpdateMode.Replace, cancellationToken);
                device.Row.ETag = response.Headers.ETag ?? default;
                return new DeviceUpdate(device, Changed: true);
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                // Someone else changed the row since we read it: read again and re-decide.
            }
        }
    }

    /// <summary>
    /// After its pending events were published: clears them from the row, if nobody changed it since (a later
    /// change carries them on, and whoever made it publishes them again: the trail keeps one of each).
    /// </summary>
    public async Task ClearPendingEventsAsync(Device device, CancellationToken cancellationToken)
    {
        var row = device.Row;
        try
        {
            var response = await _devices.UpdateEntityAsync(new TableEntity(row.PartitionKey, row.RowKey) { ["PendingAudit"] = "" }, row.ETag, TableUpdateMode.Merge, cancellationToken);
            row.ETag = response.Headers.ETag ?? default;
            device.ClearPendingEvents();
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
        }
    }

    /// <summary>Devices whose pending events were not cleared by <paramref name="before"/> (their publisher stopped half-way).</summary>
    public async IAsyncEnumerable<Device> FindWithPendingEventsAsync(DateTimeOffset before, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"UpdatedAt lt {before}") + " and PendingAudit ne ''";
        await foreach (var row in _devices.QueryAsync<DeviceEntity>(filter, cancellationToken: cancellationToken))
        {
            yield return new Device(row);
        }
    }

    /// <summary>Failed devices whose last error is one of <paramref name="codes"/>, failed before <paramref name="before"/>.</summary>
    public async IAsyncEnumerable<Device> FindFailedAsync(IReadOnlyCollection<string> codes, DateTimeOffset before, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"Status eq {DeviceStatus.Failed.ToName()}") + " and " + TableClient.CreateQueryFilter($"FailedAt lt {before}");
        await foreach (var row in _devices.QueryAsync<DeviceEntity>(filter, cancellationToken: cancellationToken))
        {
            if (row.LastErrorCode is { } code && codes.Contains(code))
            {
                yield return new Device(row);
            }
        }
    }

    /// <summary>A page of a school's devices in serial order, after <see cref="DeviceListQuery.AfterSerial"/>.</summary>
    public async Task<DevicePage> ListAsync(DeviceListQuery query, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {query.SchoolUai}");
        if (query.AfterSerial is { } after)
        {
            filter += " and " + TableClient.CreateQueryFilter($"RowKey gt {after}");
        }

        if (query.Status is { } status)
        {
            filter += " and " + TableClient.CreateQueryFilter($"Status eq {status.ToName()}");
        }

        var items = new List<DeviceRecord>(query.PageSize);
        var more = false;
        await foreach (var row in _devices.QueryAsync<DeviceEntity>(filter, maxPerPage: Math.Min(query.PageSize + 1, 1000), cancellationToken: cancellationToken))
        {
            if (row.MovingTo is not null)
            {
                continue; // the row a move leaves: the device is the new school's already
            }

            if (items.Count == query.PageSize)
            {
                more = true;
                break;
            }

            items.Add(DeviceRecord.From(new Device(row)));
        }

        return new DevicePage(items, more ? query.ContinuationAfter(items[^1].SerialNumber) : null);
    }

    /// <summary>Device counts of one school: a projected read of its partition (status and profile only).</summary>
    public async Task<DeviceCounts> CountAsync(string uai, CancellationToken cancellationToken)
    {
        var statuses = new List<(DeviceStatus, string?)>();
        await foreach (var row in _devices.QueryAsync<TableEntity>(
                           TableClient.CreateQueryFilter($"PartitionKey eq {uai}"), maxPerPage: 1000, select: ["Status", "ProfileStatus", "MovingTo"], cancellationToken: cancellationToken))
        {
            if (row.GetString("MovingTo") is null && DeviceStatusNames.Parse(row.GetString("Status")) is { } status)
            {
                statuses.Add((status, row.GetString("ProfileStatus")));
            }
        }

        return DeviceCounts.Of(statuses);
    }

    /// <summary>Devices whose last change is older than <paramref name="before"/> and still not settled.</summary>
    public async IAsyncEnumerable<Device> FindUnsettledAsync(DateTimeOffset before, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"UpdatedAt lt {before}") + " and (" +
                     TableClient.CreateQueryFilter($"Status eq {DeviceStatus.Received.ToName()}") + " or " +
                     TableClient.CreateQueryFilter($"Status eq {DeviceStatus.Registering.ToName()}") + ")";
        await foreach (var row in _devices.QueryAsync<DeviceEntity>(filter, cancellationToken: cancellationToken))
        {
            yield return new Device(row);
        }
    }

    /// <summary>
    /// Every device's school, type and histories, streamed with a projection: what the funding report needs. Deregistered
    /// devices whose serial was enrolled again are read from the archive (<see cref="StreamArchivedFactsAsync"/>); a row a
    /// move left counts only while its copy is not written yet.
    /// </summary>
    public async IAsyncEnumerable<DeviceReportFacts> StreamReportFactsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var archived = new HashSet<(string, string, long)>();
        await foreach (var (facts, enrolledAt) in StreamArchivedFactsAsync(cancellationToken))
        {
            archived.Add((facts.SchoolUai, facts.SerialNumber, enrolledAt.UtcTicks));
            yield return facts;
        }

        var leftByMoves = new List<DeviceEntity>();
        await foreach (var row in _devices.QueryAsync<DeviceEntity>(maxPerPage: 1000, select: ReportProjection, cancellationToken: cancellationToken))
        {
            if (row.MovingTo is not null)
            {
                leftByMoves.Add(row);
            }
            else if (!archived.Contains((row.PartitionKey, row.RowKey, row.EnrolledAt.UtcTicks)))
            {
                yield return Facts(row);
            }
        }

        foreach (var row in leftByMoves)
        {
            if (!(await _devices.GetEntityIfExistsAsync<TableEntity>(row.MovingTo!, row.RowKey, ["RowKey"], cancellationToken)).HasValue)
            {
                yield return Facts(row);
            }
        }
    }

    private static DeviceReportFacts Facts(DeviceEntity row) =>
        new(row.PartitionKey, row.RowKey, row.DeviceType, StatusHistory.Restore(row), SchoolHistory.Parse(row.SchoolHistory));
    /// <summary>
    /// The statuses of a school's devices with serials from <paramref name="first"/> to <paramref name="last"/> (a
    /// projected range read of its partition), or null when more than <paramref name="limit"/> are in the range.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, DeviceStatus>?> StatusesInRangeAsync(string uai, string first, string last, int limit, CancellationToken cancellationToken)
    {
        var statuses = new Dictionary<string, DeviceStatus>(StringComparer.Ordinal);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {uai} and RowKey ge {first} and RowKey le {last}");
        await foreach (var row in _devices.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: ["RowKey", "Status"], cancellationToken: cancellationToken))
        {
            if (statuses.Count == limit)
            {
                return null;
            }

            if (DeviceStatusNames.Parse(row.GetString("Status")) is { } status)
            {
                statuses[row.RowKey] = status;
            }
        }

        return statuses;
    }

    /// <summary>
    /// Insert-if-absent of new devices of one school, 100 to a transaction; a transaction that meets a row already there
    /// (a device that booted meanwhile) is done device by device. Returns the devices added.
    /// </summary>
    public async Task<IReadOnlyList<Device>> TryAddManyAsync(IReadOnlyList<Device> sameSchool, CancellationToken cancellationToken)
    {
        var added = new List<Device>(sameSchool.Count);
        foreach (var chunk in sameSchool.Chunk(100))
        {
            try
            {
                await _devices.SubmitTransactionAsync(chunk.Select(d => new TableTransactionAction(TableTransactionActionType.Add, d.Row)), cancellationToken);
                added.AddRange(chunk);
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 409)
            {
                foreach (var device in chunk)
                {
                    if (await TryAddAsync(device, cancellationToken))
                    {
                        added.Add(device);
                    }
                }
            }
        }

        return added;
    }
}
