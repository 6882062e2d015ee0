using System.Net;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// The states a crash can leave a move or a deregistration in, made by hand, then only the pipeline's own timers (the
/// sweep every second): nothing is lost or doubled, and the work nobody was told about still gets done.
/// </summary>
public sealed class LifecycleCrashTests(CrashFixture backend) : IClassFixture<CrashFixture>
{
    private const string From = "0720906U";
    private const string To = "0720986F";
    private const string Other = "0720987G";

    private IServiceProvider Services => backend.Host.Services;

    private DeviceStore Store => Services.GetRequiredService<DeviceStore>();

    [Fact]
    public async Task A_move_nobody_reads_after_its_crash_is_finished_by_the_sweep()
    {
        var serial = await RegisteredAsync("SWM");
        var (_, marked) = await Store.UpdateAsync(new DeviceKey(From, serial), d => d.TryMove(To, AuditActor.Administrator("crash-test"), DateTimeOffset.UtcNow), CancellationToken.None);
        Assert.True(marked);

        // No request reads the device: only the sweep can finish the move.
        var schools = await Eventually.MatchesAsync(() => PartitionsOfAsync(TableNames.Devices, serial), p => p.SequenceEqual([To]), because: "the sweep finishes the move");

        Assert.Equal([To], schools);
        Assert.Equal(To, await Services.GetRequiredService<SerialClaims>().SchoolHoldingRowAsync(serial, CancellationToken.None));
    }

    [Fact]
    public async Task A_deregistration_whose_work_entry_was_lost_is_put_back_in_line_by_the_sweep_and_done()
    {
        var serial = await RegisteredAsync("SWD");

        // The request stored in the row, its entry in DeviceLifecycle gone (taken and removed by a run that raced it).
        var (_, requested) = await Store.UpdateAsync(new DeviceKey(From, serial), d => d.TryRequestDeregistration(AuditActor.Administrator("crash-test"), DateTimeOffset.UtcNow), CancellationToken.None);
        Assert.True(requested);

        var gone = await Eventually.MatchesAsync(() => backend.StatusAsync(serial), s => s == "deregistered", because: "the sweep puts the work back in line");
        Assert.Equal("deregistered", gone);
        Assert.DoesNotContain(backend.Host.Graph!.State.Devices, d => d.SerialNumber == serial && d.GoneAt is null);
    }

    [Fact]
    public async Task A_takeover_cut_short_after_archiving_finishes_at_the_next_enrolment_with_one_archived_copy()
    {
        var serial = await RegisteredAsync("SWT");
        (await backend.Client.SendAsync(backend.Request(HttpMethod.Delete, $"api/devices/{serial}", AdminRoles.Admin))).Dispose();
        await Eventually.MatchesAsync(() => backend.StatusAsync(serial), s => s == "deregistered", because: "the device is deregistered");
        await Eventually.MatchesAsync(() => Services.GetRequiredService<SerialClaims>().EnrolledSchoolAsync(serial, CancellationToken.None), s => s is null, because: "the serial is released");

        // The crash: the next enrolment archived the deregistered row, then stopped (the row and the released claim remain).
        var row = (await Services.GetRequiredService<TableServiceClient>().GetTableClient(TableNames.Devices).GetEntityAsync<DeviceEntity>(From, serial)).Value;
        row.RowKey = $"{serial}|{row.EnrolledAt.UtcTicks:D19}";
        row.ETag = default;
        await Services.GetRequiredService<TableServiceClient>().GetTableClient(TableNames.DeviceArchive).AddEntityAsync(row);

        using var enrolled = await backend.Enroller.EnrolAsync(serial, Other);

        Assert.Equal(HttpStatusCode.Accepted, enrolled.StatusCode);
        Assert.Equal(Other, (await backend.DeviceAsync(serial))!.Value.GetProperty("schoolUai").GetString());
        Assert.Equal([Other], await PartitionsOfAsync(TableNames.Devices, serial));
        Assert.Equal([From], await PartitionsOfAsync(TableNames.DeviceArchive, serial));
    }

    private async Task<string> RegisteredAsync(string prefix)
    {
        var serial = Enroller.NewSerial(prefix);
        (await backend.Enroller.EnrolAsync(serial, From)).Dispose();
        Assert.Equal("registered", (await backend.SettledAsync(serial)).GetProperty("status").GetString());
        // Its profile assigned too: the pipeline no longer follows it, so nothing but the sweep touches it afterwards.
        await Eventually.MatchesAsync(() => backend.DeviceAsync(serial),
            d => d!.Value.GetProperty("autopilot").GetProperty("deploymentProfile").GetProperty("status").GetString() == DeploymentProfileStatus.Assigned, because: "profile assigned");
        return serial;
    }

    /// <summary>The schools (partitions) that hold a row of this serial in a table, whatever its row key's suffix.</summary>
    private async Task<List<string>> PartitionsOfAsync(string table, string serial)
    {
        var partitions = new List<string>();
        var filter = TableClient.CreateQueryFilter($"RowKey eq {serial}") + " or " + TableClient.CreateQueryFilter($"RowKey ge {serial + "|"} and RowKey lt {serial + "}"}");
        await foreach (var row in Services.GetRequiredService<TableServiceClient>().GetTableClient(table).QueryAsync<TableEntity>(filter, select: ["PartitionKey"]))
        {
            partitions.Add(row.PartitionKey);
        }

        return partitions;
    }
}
