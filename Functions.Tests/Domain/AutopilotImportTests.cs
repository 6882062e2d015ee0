using Sarthe.Enrolment.Graph;
using Sarthe.Enrolment.Registration;

namespace Sarthe.Enrolment.Tests.Domain;

/// <summary>Every transition of <see cref="AutopilotImport"/> and its entries, allowed and refused: plain objects, no storage.</summary>
public sealed class AutopilotImportTests
{
    private static AutopilotImport Planned(params string[] serials) =>
        AutopilotImport.Plan("import-1", serials.Select(s => new DeviceRef(s, "0720001K", 1)), DeviceLifecycleTests.T0);

    [Fact]
    public void A_device_twice_in_the_outbox_is_planned_once_with_its_latest_attempt()
    {
        var import = AutopilotImport.Plan("import-1", [new DeviceRef("A", "0720001K", 1), new DeviceRef("A", "0720001K", 2), new DeviceRef("B", "0720001K", 1)], DeviceLifecycleTests.T0);

        Assert.Equal(2, import.Devices.Count);
        Assert.Equal(2, import.DeviceOfSerial("A")!.Attempt);
        Assert.All(import.Devices, d => Assert.Equal(ImportedDeviceStage.Queued, d.Stage));
    }

    [Fact]
    public void An_import_is_marked_ready_once_and_only_from_planned()
    {
        var import = Planned("A");

        Assert.False(import.TryStartPosting());
        Assert.True(import.TryMarkReady());
        Assert.False(import.TryMarkReady());
        Assert.Equal(ImportStage.Ready, import.Stage);
    }

    [Fact]
    public void Posting_needs_devices_to_send_and_an_import_whose_devices_all_went_elsewhere_is_followed_as_posted()
    {
        var import = Planned("A");
        import.TryMarkReady();
        Assert.True(import.Devices[0].Release());
        Assert.False(import.Devices[0].Release());

        Assert.False(import.TryStartPosting());
        Assert.True(import.TryFinishSending());
        Assert.False(import.TryFinishSending());
        Assert.True(import.IsFinished);
    }

    [Fact]
    public void Graphs_answer_records_each_identity_in_the_round_and_keeps_it_to_delete()
    {
        var import = Planned("A", "B");
        import.TryMarkReady();
        Assert.True(import.TryStartPosting());

        import.RecordPosted([(import.Devices[0], "id-a"), (import.Devices[1], "id-b")], DeviceLifecycleTests.T0);

        Assert.Equal(ImportStage.Posted, import.Stage);
        Assert.Equal(DeviceLifecycleTests.T0, import.PostedAt);
        Assert.Equal("import-1.0", import.GraphImportId);
        Assert.Equal(["id-a", "id-b"], import.Devices.Select(d => d.IdentityId));
        Assert.All(import.Devices, d => Assert.Equal(1, d.Sends));
        // The identity being processed is kept until Intune has decided: its state is what the device waits for.
        Assert.Empty(import.Devices[0].DeletableIdentities);
        Assert.False(import.IsFinished);
    }

    [Fact]
    public void Devices_sent_again_go_in_a_new_round_and_their_old_identity_is_deleted()
    {
        var import = Planned("A");
        import.TryMarkReady();
        import.TryStartPosting();
        import.RecordPosted([(import.Devices[0], "id-1")], DeviceLifecycleTests.T0);

        import.Requeue([import.Devices[0]]);

        Assert.Equal(1, import.Round);
        Assert.Equal("import-1.1", import.GraphImportId);
        Assert.Equal(ImportStage.Ready, import.Stage);
        Assert.True(import.HasDevicesToSend);
        Assert.Equal(["id-1"], import.Devices[0].DeletableIdentities);
        Assert.True(import.Devices[0].RecordDeleted("id-1"));
        Assert.Empty(import.Devices[0].IdentitiesToDelete);
    }

    [Fact]
    public void An_import_is_finished_only_when_every_device_is_done_and_every_identity_deleted()
    {
        var import = Planned("A");
        import.TryMarkReady();
        import.TryStartPosting();
        import.RecordPosted([(import.Devices[0], "id-1")], DeviceLifecycleTests.T0);
        var entry = import.Devices[0];
        entry.RecordState(new AutopilotImportState("id-1", "import-1.0", "A", "error", 808, null));
        entry.Apply(new ImportDecision.Fail(ImportDecisions.AssignedToOtherTenant, "808"));

        Assert.Equal(808, entry.ErrorCode);
        Assert.False(import.IsFinished);
        Assert.True(entry.RecordDeleted("id-1"));
        Assert.True(import.IsFinished);
    }
}
