using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// Enrolments that storage cut short, as the chaos benchmark met them during a storage stall: the device row written
/// but the request failed (or its insert's answer was lost and the storage client's retry met the row) before the
/// device's line was written. Under the default sweep (every 5 minutes, after 5 minutes still), so a
/// device registered within seconds was put in line by its own request, not rescued by the sweep.
/// </summary>
[Collection(BackendCollection.Name)]
public sealed class InterruptedEnrolmentTests(BackendFixture backend)
{
    // No other test enrols at this school.
    private const string School = "0721262F";

    [Fact]
    public async Task A_device_whose_row_was_written_without_its_line_is_put_in_line_by_its_next_attempt_at_once()
    {
        // What a request leaves when storage wrote the device row and then failed it (503) before the line was written.
        var serial = Enroller.NewSerial("NOLINE");
        var store = backend.Host.Services.GetRequiredService<DeviceStore>();
        await backend.Host.Services.GetRequiredService<SerialClaims>().ClaimAsync(serial, School, CancellationToken.None);
        var description = new DeviceDescription("laptop", "HP", "ProBook 440 G8", Convert.ToBase64String(Enroller.HashOf(serial)), "SARTHE-000123");
        Assert.True(await store.TryAddAsync(Device.Enrol(new DeviceKey(School, serial), description, DateTimeOffset.UtcNow), NewDeviceEvents.WithNextChange, CancellationToken.None));

        // The device's retry, signed anew: a repeat (200), which puts the waiting device in line.
        using var retry = await backend.Enroller.EnrolAsync(serial, School);

        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal("registered", (await backend.SettledAsync(serial, TimeSpan.FromSeconds(60))).GetProperty("status").GetString());
        Assert.Equal(1, backend.Host.Graph!.State.ImportsOf(serial));
        var trail = await TrailAfterSettlingAsync(serial);
        Assert.Equal(1, trail.Count(t => t == AuditEventTypes.DeviceEnrolled));
        Assert.Equal(1, trail.Count(t => t == AuditEventTypes.DeviceRegistrationStarted));
    }

    private async Task<List<string>> TrailAfterSettlingAsync(string serial)
    {
        async Task<List<string>> TypesAsync()
        {
            var page = await backend.GetJsonAsync<JsonElement>($"api/audit?serialNumber={serial}&pageSize=500");
            return page.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("type").GetString()!).ToList();
        }

        await Eventually.MatchesAsync(TypesAsync, types => types.Contains(AuditEventTypes.DeviceRegistered), because: $"the trail of {serial} has its outcome");
        await Task.Delay(TimeSpan.FromSeconds(2)); // anything published twice would land by now
        return await TypesAsync();
    }
}
