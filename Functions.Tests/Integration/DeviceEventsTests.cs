using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// A change and its events are published in one call: <see cref="DeviceStore.UpdateAsync"/> leaves no event in the
/// row and puts every event the transition recorded in the trail, long before the sweep would publish leftovers
/// (it takes only rows unchanged for two minutes).
/// </summary>
[Collection(BackendCollection.Name)]
public sealed class DeviceEventsTests(BackendFixture backend)
{
    private const string School = "0720007S";

    [Fact]
    public async Task An_update_publishes_the_events_of_its_transition_and_clears_them_from_the_row_itself()
    {
        var services = backend.Host.Services;
        var serial = Enroller.NewSerial("EVENTS");
        var store = services.GetRequiredService<DeviceStore>();
        var device = Device.Enrol(new DeviceKey(School, serial), new DeviceDescription("laptop", "HP", "ProBook", Convert.ToBase64String(Enroller.HashOf(serial)), null), DateTimeOffset.UtcNow);
        await services.GetRequiredService<SerialClaims>().ClaimAsync(serial, School, CancellationToken.None);
        Assert.True(await store.TryAddAsync(device, NewDeviceEvents.WithNextChange, CancellationToken.None));
        Assert.NotEmpty((await store.GetAsync(device.Key, CancellationToken.None))!.PendingEvents); // waits for the next change

        var (changed, ok) = await store.UpdateAsync(device.Key, d => d.TryStartRegistration(1, "import-events", DateTimeOffset.UtcNow), CancellationToken.None);

        Assert.True(ok);
        Assert.Empty(changed!.PendingEvents);
        Assert.Empty((await store.GetAsync(device.Key, CancellationToken.None))!.PendingEvents);
        var started = DateTimeOffset.UtcNow;
        await Eventually.MatchesAsync(() => TrailTypesAsync(serial),
            trail => trail.Contains(AuditEventTypes.DeviceEnrolled) && trail.Contains(AuditEventTypes.DeviceRegistrationStarted),
            because: "the update published both the enrolment's event and its own");
        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromMinutes(1), "in the trail before the sweep would have published them");
    }

    private async Task<List<string>> TrailTypesAsync(string serial)
    {
        var page = await backend.GetJsonAsync<JsonElement>($"api/audit?serialNumber={serial}&pageSize=500");
        return page.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("type").GetString()!).ToList();
    }
}
