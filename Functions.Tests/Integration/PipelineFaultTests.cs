using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sarthe.DevHost;
using Sarthe.GraphEmulator;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>A backend whose Graph throttles hard and fails often: every device must still settle.</summary>
public sealed class StormyGraphFixture : BackendFixture
{
    protected override void Configure(DevHostOptions options)
    {
        var graph = options.GraphEmulator;
        graph.AppWritesPerWindow = 2;
        graph.AppRequestsPerWindow = 20;
        graph.ThrottleWindow = TimeSpan.FromSeconds(1);
        graph.FaultRate = 0.2;
        options.Settings["Registration:ImportBatchSize"] = "5";
        options.Settings["Registration:ThrottleBackoff"] = "00:00:00.200";
        options.Settings["AzureFunctionsJobHost:extensions:queues:visibilityTimeout"] = "00:00:01";
    }
}

public sealed class ThrottledGraphTests(StormyGraphFixture backend) : IClassFixture<StormyGraphFixture>
{
    [Fact]
    public async Task Devices_still_register_through_429_storms_and_503s()
    {
        var serials = Enumerable.Range(0, 30).Select(_ => Enroller.NewSerial("STORM")).ToList();
        await backend.Enroller.KeyAsync("0720015A");

        await Task.WhenAll(serials.Select(async s => (await backend.Enroller.EnrolAsync(s, "0720015A")).Dispose()));
        var statuses = new List<string?>();
        foreach (var serial in serials)
        {
            statuses.Add((await backend.SettledAsync(serial, TimeSpan.FromSeconds(120))).GetProperty("status").GetString());
        }

        Assert.All(statuses, s => Assert.Equal("registered", s));
        var counters = backend.Host.Graph!.State.Counters;
        Assert.True(counters.Throttled > 0, "the emulator should have throttled");
        Assert.True(counters.Faults > 0, "the emulator should have injected faults");
    }

    [Fact]
    public async Task Throttling_without_retry_after_is_backed_off_and_still_registers()
    {
        backend.Host.Graph!.State.Options.RetryAfter = RetryAfterMode.Never;
        try
        {
            var serials = Enumerable.Range(0, 10).Select(_ => Enroller.NewSerial("BARE429")).ToList();
            await Task.WhenAll(serials.Select(async s => (await backend.Enroller.EnrolAsync(s, "0720019E")).Dispose()));

            foreach (var serial in serials)
            {
                Assert.Equal("registered", (await backend.SettledAsync(serial, TimeSpan.FromSeconds(120))).GetProperty("status").GetString());
            }
        }
        finally
        {
            backend.Host.Graph.State.Options.RetryAfter = RetryAfterMode.Always;
        }
    }
}

/// <summary>A backend whose pipeline backs off briefly when Graph fails, so an outage can be lived through in seconds.</summary>
public sealed class GraphOutageFixture : BackendFixture
{
    protected override void Configure(DevHostOptions options)
    {
        options.Settings["Graph:MaxRetries"] = "0";
        options.Settings["Registration:GraphBackoff"] = "00:00:00.200";
        options.Settings["Registration:MaxGraphBackoff"] = "00:00:01";
    }
}

public sealed class GraphOutageTests(GraphOutageFixture backend) : IClassFixture<GraphOutageFixture>
{
    [Fact]
    public async Task A_graph_outage_abandons_nothing_and_registration_resumes_within_one_back_off_of_its_end()
    {
        var graph = backend.Host.Graph!.State;
        var serials = Enumerable.Range(0, 5).Select(_ => Enroller.NewSerial("OUTAGE")).ToList();
        // Ended by the test, not by a clock: on a loaded machine a timed outage could end before the test looks.
        graph.StartOutage();

        await Task.WhenAll(serials.Select(async s => (await backend.Enroller.EnrolAsync(s, "0720023J")).Dispose()));
        await Eventually.MatchesAsync(() => Task.FromResult(graph.Counters.Faults), faults => faults > 0, because: "the sync asks Graph during the outage");
        await Task.Delay(TimeSpan.FromSeconds(3)); // several back-offs (0.2 s doubling to 1 s) within the outage

        // During the outage: every device waits, none failed, and nothing was imported.
        foreach (var serial in serials)
        {
            Assert.Contains(await backend.StatusAsync(serial), new[] { "received", "registering" });
        }

        var importsBefore = graph.Counters.ImportActions;
        graph.EndOutage();
        var ended = DateTimeOffset.UtcNow;
        await Eventually.MatchesAsync(() => Task.FromResult(graph.Counters.ImportActions), n => n > importsBefore, because: "an import after the outage");

        // Resumed within one back-off interval (1 s) plus a timer tick (1 s) of Graph's return.
        Assert.True(DateTimeOffset.UtcNow - ended < TimeSpan.FromSeconds(4), $"resumed {(DateTimeOffset.UtcNow - ended).TotalSeconds:F1} s after the outage");
        foreach (var serial in serials)
        {
            Assert.Equal("registered", (await backend.SettledAsync(serial, TimeSpan.FromSeconds(60))).GetProperty("status").GetString());
        }
    }
}

/// <summary>A backend whose sweep timer fires every two seconds.</summary>
public sealed class FastSweepFixture : BackendFixture
{
    protected override void Configure(DevHostOptions options)
    {
        options.Settings["RegistrationSweepSchedule"] = "*/2 * * * * *";
        options.Settings["Registration:StuckAfter"] = "00:00:03";
    }
}

public sealed class SweepTimerTests(FastSweepFixture backend) : IClassFixture<FastSweepFixture>
{
    [Fact]
    public async Task The_sweep_timer_runs_under_the_webjobs_sdk_and_registers_a_device_whose_command_was_lost()
    {
        // The row as it is when a process dies between the insert and the enqueue: only the timer can save it.
        const string school = "0720024K";
        var serial = Enroller.NewSerial("SWEPT");
        var store = backend.Host.Services.GetRequiredService<DeviceStore>();
        var now = DateTimeOffset.UtcNow;
        await backend.Host.Services.GetRequiredService<SerialClaims>().ClaimAsync(serial, school, CancellationToken.None);
        await store.TryAddAsync(
            Device.Enrol(new DeviceKey(school, serial), new DeviceDescription("tablet", "Lenovo", "Tab", Convert.ToBase64String(Enroller.HashOf(serial)), null), now), NewDeviceEvents.WithNextChange, CancellationToken.None);

        var device = await backend.SettledAsync(serial, TimeSpan.FromSeconds(60));

        Assert.Equal("registered", device.GetProperty("status").GetString());
    }
}
