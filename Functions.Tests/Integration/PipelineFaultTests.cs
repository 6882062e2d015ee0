using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sarthe.DevHost;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>A backend whose Graph throttles hard and fails often: every device must still settle.</summary>
public sealed class StormyGraphFixture : BackendFixture
{
    protected override void Configure(DevHostOptions options)
    {
        var graph = options.GraphEmulator;
        graph.WriteBudget = 2;
        graph.RequestBudget = 20;
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
        backend.Host.Graph!.State.Options.SendRetryAfter = false;
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
            backend.Host.Graph.State.Options.SendRetryAfter = true;
        }
    }
}

/// <summary>A backend whose Graph always fails: messages exhaust their deliveries quickly.</summary>
public sealed class BrokenGraphFixture : BackendFixture
{
    protected override void Configure(DevHostOptions options)
    {
        options.GraphEmulator.FaultRate = 1.0;
        options.Settings["Graph:MaxRetries"] = "0";
        options.Settings["AzureFunctionsJobHost:extensions:queues:visibilityTimeout"] = "00:00:00";
        options.Settings["AzureFunctionsJobHost:extensions:queues:maxDequeueCount"] = "2";
    }
}

public sealed class PoisonTests(BrokenGraphFixture backend) : IClassFixture<BrokenGraphFixture>
{
    [Fact]
    public async Task A_message_that_exhausts_its_deliveries_goes_to_poison_and_its_device_ends_failed()
    {
        var serial = Enroller.NewSerial("POISON");

        using var response = await backend.Enroller.EnrolAsync(serial, "0720023J");
        var device = await backend.SettledAsync(serial, TimeSpan.FromSeconds(90));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("failed", device.GetProperty("status").GetString());
        Assert.Equal("RegistrationAbandoned", device.GetProperty("lastError").GetProperty("code").GetString());
        Assert.True(backend.Host.Graph!.State.Counters.Faults >= 2, "each delivery met a Graph fault");
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
        await store.ClaimSerialAsync(serial, school, CancellationToken.None);
        await store.TryAddAsync(
            Device.Enrol(new DeviceKey(school, serial), new DeviceDescription("tablet", "Lenovo", "Tab", Convert.ToBase64String(new byte[512]), null), now),
            CancellationToken.None);

        var device = await backend.SettledAsync(serial, TimeSpan.FromSeconds(60));

        Assert.Equal("registered", device.GetProperty("status").GetString());
    }
}
