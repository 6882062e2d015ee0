using Azure;
using Azure.Data.Tables;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Devices;

/// <summary>A change to make to one device: its key and one of <see cref="Device"/>'s transitions.</summary>
public readonly record struct DeviceChange(DeviceKey Key, Func<Device, bool> Transition);

/// <summary>When a new device's events (device.enrolled, device.held, …) are published.</summary>
public enum NewDeviceEvents
{
    /// <summary>At once, after the insert.</summary>
    PublishNow,

    /// <summary>
    /// With the device's next change: a device put in line is moved into an import within seconds, and that change
    /// publishes both (two storage requests fewer per enrolment); the sweep publishes them if it never comes.
    /// </summary>
    WithNextChange,
}

/// <summary>
/// The device rows (<c>Devices</c>, partition = school) and their changes. A device is written only through its own
/// transitions: read, transition, replace under the row's ETag (read again and re-decided if someone wrote in
/// between), then the events the transition recorded are published (<see cref="DeviceEvents"/>): one call does both,
/// so no change goes without its audit event. Where the claim (<see cref="SerialClaims"/>) says a device is elsewhere,
/// or its row is marked <see cref="Device.MovingTo"/>, the move is finished first.
/// <para>A move (rows are partitioned by school) is four steps, each safe to repeat: the old row is marked (the
/// transition), its copy is inserted under the new school, the claim is switched, the old row is deleted. Whoever next
/// reads or updates the device here finds a marked row or no row and finishes the move first: a crash between two
/// steps loses or duplicates nothing, and once marked the old row is never written again.</para>
/// </summary>
public sealed class DeviceStore(TableServiceClient tables, SerialClaims claims, DeviceEvents events)
{
    /// <summary>
    /// Writes in flight at once in <see cref="UpdateManyAsync"/>: an Azure Table partition serves about 2,000
    /// operations/s and rows are partitioned by school, so 16 writes spread over a school or a few stay far below it;
    /// Azurite does about 1,000-1,500 inserts/s, which 16 concurrent round-trips already reach. One at a time, 3,000
    /// devices took ~25 s of a storm during which Graph saw no request.
    /// </summary>
    public const int Concurrency = 16;

    private readonly TableClient _devices = tables.GetTableClient(TableNames.Devices);

    /// <summary>Insert-if-absent of a new device: false when the row exists already (a repeat or a concurrent twin).</summary>
    public async Task<bool> TryAddAsync(Device device, NewDeviceEvents publication, CancellationToken cancellationToken)
    {
        if (!await TryInsertAsync(device, cancellationToken))
        {
            return false;
        }

        if (publication == NewDeviceEvents.PublishNow)
        {
            await events.PublishAsync([device], cancellationToken);
        }

        return true;
    }

    /// <summary>
    /// Insert-if-absent of new devices of one school, 100 to a transaction; a transaction that meets a row already there
    /// (a device that booted meanwhile) is done device by device. Returns the devices added.
    /// </summary>
    public async Task<IReadOnlyList<Device>> TryAddManyAsync(IReadOnlyList<Device> sameSchool, NewDeviceEvents publication, CancellationToken cancellationToken)
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
                    if (await TryInsertAsync(device, cancellationToken))
                    {
                        added.Add(device);
                    }
                }
            }
        }

        if (publication == NewDeviceEvents.PublishNow)
        {
            await events.PublishAsync(added, cancellationToken);
        }

        return added;
    }

    public async Task<Device?> GetAsync(DeviceKey key, CancellationToken cancellationToken)
    {
        var response = await _devices.GetEntityIfExistsAsync<DeviceEntity>(key.SchoolUai, key.SerialNumber, cancellationToken: cancellationToken);
        return response.HasValue ? new Device(response.Value!) : null;
    }

    /// <summary>The device a route's serial number names (normalised as at enrolment), or null; a move cut short is finished first.</summary>
    public async Task<Device?> FindAsync(string routeSerial, CancellationToken cancellationToken) =>
        SerialNumber.Normalize(routeSerial) is { } serial && await claims.SchoolHoldingRowAsync(serial, cancellationToken) is { } school
            ? await ResolveAsync(new DeviceKey(school, serial), cancellationToken)
            : null;

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

            if (await claims.SchoolHoldingRowAsync(key.SerialNumber, cancellationToken) is not { } school || school == key.SchoolUai)
            {
                return null;
            }

            key = key with { SchoolUai = school };
        }

        return null;
    }

    /// <summary>
    /// Reads the device, applies <paramref name="transition"/> (one of <see cref="Device"/>'s, which says whether it
    /// changed anything), stores it if nobody wrote in between (ETag), else starts again; then publishes its events.
    /// </summary>
    public async Task<DeviceUpdate> UpdateAsync(DeviceKey key, Func<Device, bool> transition, CancellationToken cancellationToken)
    {
        var update = await WriteAsync(key, transition, cancellationToken);
        if (update.Changed)
        {
            await events.PublishAsync([update.Device!], cancellationToken);
        }

        return update;
    }

    /// <summary>
    /// <see cref="UpdateAsync"/> for many devices, <see cref="Concurrency"/> at a time, their events published together
    /// afterwards (one audit message for a whole batch). Answers in the order of <paramref name="changes"/>.
    /// </summary>
    public async Task<DeviceUpdate[]> UpdateManyAsync(IReadOnlyList<DeviceChange> changes, CancellationToken cancellationToken)
    {
        var updates = await MapAsync(changes, (change, ct) => WriteAsync(change.Key, change.Transition, ct), cancellationToken);
        await events.PublishAsync(updates.Where(u => u.Changed).Select(u => u.Device!).ToList(), cancellationToken);
        return updates;
    }

    /// <summary>Each device as <see cref="ResolveAsync"/> finds it, <see cref="Concurrency"/> at a time, in the keys' order.</summary>
    public Task<Device?[]> ResolveManyAsync(IReadOnlyList<DeviceKey> keys, CancellationToken cancellationToken) =>
        MapAsync(keys, ResolveAsync, cancellationToken);

    /// <summary>Publishes events a crash left in these rows (the sweep's).</summary>
    public Task PublishLeftEventsAsync(IReadOnlyCollection<Device> devices, CancellationToken cancellationToken) =>
        events.PublishAsync(devices, cancellationToken);

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

        await claims.SwitchAsync(moving.SerialNumber, moving.SchoolUai, to.SchoolUai, cancellationToken);
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

    private async Task<DeviceUpdate> WriteAsync(DeviceKey key, Func<Device, bool> transition, CancellationToken cancellationToken)
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

    private async Task<bool> TryInsertAsync(Device device, CancellationToken cancellationToken)
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

    private static async Task<TResult[]> MapAsync<T, TResult>(IReadOnlyList<T> items, Func<T, CancellationToken, Task<TResult>> call, CancellationToken cancellationToken)
    {
        var results = new TResult[items.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, items.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken },
            async (i, ct) => results[i] = await call(items[i], ct));
        return results;
    }
}
