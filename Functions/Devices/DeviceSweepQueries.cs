using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Devices;

/// <summary>
/// What the sweep looks for in the device rows (each a filtered scan, once a minute or so): devices that stopped
/// moving, events a crash left in rows, failures that pass, moves cut short, Autopilot work whose entry was lost.
/// </summary>
public sealed class DeviceSweepQueries(TableServiceClient tables)
{
    private readonly TableClient _devices = tables.GetTableClient(TableNames.Devices);

    /// <summary>Devices whose last change is older than <paramref name="before"/> and still not settled (received or registering).</summary>
    public IAsyncEnumerable<Device> FindUnsettledAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        FindAsync(TableClient.CreateQueryFilter($"UpdatedAt lt {before}") + " and (" +
                  TableClient.CreateQueryFilter($"Status eq {DeviceStatus.Received.ToName()}") + " or " +
                  TableClient.CreateQueryFilter($"Status eq {DeviceStatus.Registering.ToName()}") + ")", cancellationToken);

    /// <summary>Devices whose pending events were not cleared by <paramref name="before"/> (their publisher stopped half-way).</summary>
    public IAsyncEnumerable<Device> FindWithPendingEventsAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        FindAsync(TableClient.CreateQueryFilter($"UpdatedAt lt {before}") + " and PendingAudit ne ''", cancellationToken);

    /// <summary>Failed devices whose last error is one of <paramref name="codes"/>, failed before <paramref name="before"/>.</summary>
    public async IAsyncEnumerable<Device> FindFailedAsync(IReadOnlyCollection<string> codes, DateTimeOffset before, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"Status eq {DeviceStatus.Failed.ToName()}") + " and " + TableClient.CreateQueryFilter($"FailedAt lt {before}");
        await foreach (var device in FindAsync(filter, cancellationToken))
        {
            if (device.LastError?.Code is { } code && codes.Contains(code))
            {
                yield return device;
            }
        }
    }

    /// <summary>Rows moves left behind (a crash cut them short): the sweep finishes them.</summary>
    public IAsyncEnumerable<Device> FindMovingAsync(CancellationToken cancellationToken) => FindAsync("MovingTo gt ''", cancellationToken);

    /// <summary>Devices with Autopilot work waiting (a group tag, a removal): the sweep puts them back in line.</summary>
    public async IAsyncEnumerable<Device> FindWithLifecycleWorkAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var device in FindAsync("GroupTagWanted gt '' or DeregistrationRequestedBy gt ''", cancellationToken))
        {
            if (device.MovingTo is null)
            {
                yield return device;
            }
        }
    }

    private async IAsyncEnumerable<Device> FindAsync(string filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var row in _devices.QueryAsync<DeviceEntity>(filter, cancellationToken: cancellationToken))
        {
            yield return new Device(row);
        }
    }
}
