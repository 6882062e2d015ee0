using Sarthe.Enrolment.Graph;

namespace Sarthe.Enrolment.Tests.Graph;

/// <summary>
/// What the product reads of Graph's times: Graph answers 0001-01-01T00:00:00Z for a deployment profile not assigned
/// yet, and the product must take it for what it is, no time, not a date in year 1 to repeat in its answers.
/// </summary>
public sealed class AutopilotClientTimeTests : EmulatorHarness
{
    [Fact]
    public async Task A_pending_profile_has_no_assignment_time_and_an_assigned_one_has_graphs()
    {
        await ImportListedDeviceAsync("SNPLACEHOLDER1");
        var listedAt = Clock.GetUtcNow();
        var autopilot = new AutopilotClient(Graph, Microsoft.Extensions.Options.Options.Create(new GraphOptions { BaseUrl = Emulator.GraphBaseUrl, ReadProfileStatus = true }));

        var pending = await autopilot.FindDeviceAsync("SNPLACEHOLDER1", CancellationToken.None);
        Assert.Equal("pending", pending!.ProfileAssignmentStatus);
        Assert.Null(pending.ProfileAssignedAt);

        Clock.Advance(Options.ProfileAssignmentDelay);
        var assigned = await autopilot.FindDeviceAsync("SNPLACEHOLDER1", CancellationToken.None);
        Assert.Equal(listedAt + Options.ProfileAssignmentDelay, assigned!.ProfileAssignedAt);
    }
}
