using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Devices;

/// <summary>
/// Read models over the device rows, each a projected read: a school's page of devices, its counts, statuses by
/// serial, the funding report's facts (with the archive) and the Autopilot export. Nothing here writes. A row a move
/// left behind (<see cref="Device.MovingTo"/>) is the new school's device already and is skipped, except by the
/// report, which counts it while its copy is not written yet.
/// </summary>
public sealed class DeviceQueries(TableServiceClient tables, SerialClaims claims)
{
    private static readonly string[] ReportProjection = ["PartitionKey", "RowKey", "DeviceType", "Status", "StatusHistory", "EnrolledAt", "RegisteringAt", "RegisteredAt", "FailedAt", "SchoolHistory", "MovingTo"];
    private readonly TableClient _devices = tables.GetTableClient(TableNames.Devices);
    private readonly TableClient _archive = tables.GetTableClient(TableNames.DeviceArchive);

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
                continue;
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

    /// <summary>Device counts of one school: a projected read of its partition (status, profile and pending tag only).</summary>
    public async Task<DeviceCounts> CountAsync(string uai, CancellationToken cancellationToken)
    {
        var devices = new List<Device>();
        await foreach (var row in _devices.QueryAsync<DeviceEntity>(
                           TableClient.CreateQueryFilter($"PartitionKey eq {uai}"), maxPerPage: 1000, select: ["PartitionKey", "RowKey", "Status", "ProfileStatus", "GroupTagWanted", "MovingTo"], cancellationToken: cancellationToken))
        {
            if (row.MovingTo is null && DeviceStatusNames.Parse(row.Status) is not null)
            {
                devices.Add(new Device(row));
            }
        }

        return DeviceCounts.Of(devices);
    }

    /// <summary>
    /// Every registered device whose deployment profile is not assigned and that was registered before
    /// <paramref name="registeredBefore"/>: its school and profile status, streamed with a projection.
    /// </summary>
    public async IAsyncEnumerable<(string SchoolUai, string ProfileStatus)> StreamWithoutProfileAsync(DateTimeOffset registeredBefore, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"Status eq {DeviceStatus.Registered.ToName()} and RegisteredAt lt {registeredBefore}");
        await foreach (var row in _devices.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: ["PartitionKey", "ProfileStatus", "MovingTo"], cancellationToken: cancellationToken))
        {
            var profile = row.GetString("ProfileStatus") ?? DeploymentProfileStatus.Unknown;
            if (row.GetString("MovingTo") is null && profile != DeploymentProfileStatus.Assigned)
            {
                yield return (row.PartitionKey, profile);
            }
        }
    }

    /// <summary>The status of the device with this serial (normalised), deregistered included, or null when none enrolled.</summary>
    public async Task<DeviceStatus?> StatusOfAsync(string serial, CancellationToken cancellationToken)
    {
        if (await claims.SchoolHoldingRowAsync(serial, cancellationToken) is not { } uai)
        {
            return null;
        }

        var row = await _devices.GetEntityIfExistsAsync<TableEntity>(uai, serial, ["Status"], cancellationToken);
        return row.HasValue ? DeviceStatusNames.Parse(row.Value!.GetString("Status")) : null;
    }

    /// <summary>Every device's serial and status, streamed with a projection.</summary>
    public async IAsyncEnumerable<(string SerialNumber, DeviceStatus Status)> StreamStatusesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
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
    /// Every device's school, type and histories, streamed with a projection: what the funding report needs. Deregistered
    /// devices whose serial was enrolled again are read from the archive; a row a move left counts only while its copy
    /// is not written yet.
    /// </summary>
    public async IAsyncEnumerable<DeviceReportFacts> StreamReportFactsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var archived = new HashSet<(string, string, long)>();
        await foreach (var row in _archive.QueryAsync<DeviceEntity>(maxPerPage: 1000, select: ReportProjection, cancellationToken: cancellationToken))
        {
            var serial = row.RowKey[..row.RowKey.IndexOf('|', StringComparison.Ordinal)];
            archived.Add((row.PartitionKey, serial, row.EnrolledAt.UtcTicks));
            yield return Facts(row, serial);
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
                yield return Facts(row, row.RowKey);
            }
        }

        foreach (var row in leftByMoves)
        {
            if (!(await _devices.GetEntityIfExistsAsync<TableEntity>(row.MovingTo!, row.RowKey, ["RowKey"], cancellationToken)).HasValue)
            {
                yield return Facts(row, row.RowKey);
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

    private static DeviceReportFacts Facts(DeviceEntity row, string serial) =>
        new(row.PartitionKey, serial, row.DeviceType, StatusHistory.Restore(row), SchoolHistory.Parse(row.SchoolHistory));
}
