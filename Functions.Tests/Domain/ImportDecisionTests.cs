using System.Net.Http;
using Microsoft.Kiota.Abstractions;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Graph;
using Sarthe.Enrolment.Registration;

namespace Sarthe.Enrolment.Tests.Domain;

/// <summary>
/// What Intune answered → what happens to the device: <see cref="ImportDecisions"/> as a table, plain objects, no
/// Azurite and no emulator. Each row is one answer Microsoft documents (or the product's own), with its decision.
/// </summary>
public sealed class ImportDecisionTests
{
    private static readonly RegistrationOptions Limits = new() { MaxPolls = 3, MaxImportRounds = 2, MaxVisibilityScans = 2, MaxProfileScans = 2 };

    /// <summary>(status, error code, error name) → the decision's kind and, for a failure, the lastError code.</summary>
    public static TheoryData<string, int?, string?, string, string?> ImportStates => new()
    {
        { "complete", 0, null, nameof(ImportDecision.LookUp), null },
        { "error", 806, "ZtdDeviceAlreadyAssigned", nameof(ImportDecision.LookUp), null },
        { "error", 806, null, nameof(ImportDecision.LookUp), null },
        { "error", 808, "ZtdDeviceAssignedToOtherTenant", nameof(ImportDecision.Fail), ImportDecisions.AssignedToOtherTenant },
        { "error", 808, "ZtdDeviceAssignedToAnotherTenant", nameof(ImportDecision.Fail), ImportDecisions.AssignedToOtherTenant },
        { "error", 0, "ZtdDeviceAssignedToAnotherTenant", nameof(ImportDecision.Fail), ImportDecisions.AssignedToOtherTenant },
        { "error", 808, null, nameof(ImportDecision.Fail), ImportDecisions.AssignedToOtherTenant },
        { "error", 802, "InvalidZtdHardwareHash", nameof(ImportDecision.Fail), ImportDecisions.InvalidHardwareHash },
        { "error", 803, "MissingZtdSerialNumberAndProductKey", nameof(ImportDecision.Fail), ImportDecisions.MissingSerialNumber },
        { "error", 0, "ZtdDeviceDuplicated", nameof(ImportDecision.Fail), ImportDecisions.Duplicated },
        { "error", 0, "StorageError", nameof(ImportDecision.Resend), null },
        { "error", 999, "SomethingNew", nameof(ImportDecision.Fail), "SomethingNew" },
        { "error", 999, null, nameof(ImportDecision.Fail), "Error999" },
        { "unknown", null, null, nameof(ImportDecision.StillProcessing), null },
        { "pending", null, null, nameof(ImportDecision.StillProcessing), null },
        { "partial", null, null, nameof(ImportDecision.StillProcessing), null },
        { "missing", null, null, nameof(ImportDecision.Resend), null },
    };

    [Theory]
    [MemberData(nameof(ImportStates))]
    public void Each_import_state_intune_documents_has_one_decision(string status, int? code, string? name, string expected, string? failureCode)
    {
        var decision = ImportDecisions.OnImportState(Posted(), new AutopilotImportState("identity-1", "import.0", "SERIAL1", status, code, name), Limits);

        Assert.Equal(expected, decision.GetType().Name);
        if (failureCode is not null)
        {
            var fail = Assert.IsType<ImportDecision.Fail>(decision);
            Assert.Equal(failureCode, fail.Code);
            Assert.False(string.IsNullOrWhiteSpace(fail.Message));
        }
    }

    [Fact]
    public void Error_806_says_the_device_is_already_in_this_tenant_so_that_its_absence_from_autopilot_fails_it_with_806()
    {
        var entry = Posted();
        var decision = ImportDecisions.OnImportState(entry, new AutopilotImportState("identity-1", "import.0", "SERIAL1", "error", 806, null), Limits);
        entry.Apply(decision);

        Assert.True(Assert.IsType<ImportDecision.LookUp>(decision).AlreadyInTenant);
        Assert.Equal(ImportedDeviceStage.Imported, entry.Stage);
        var lastLook = LookUntilGivenUp(entry);
        Assert.Equal(ImportDecisions.AlreadyAssigned, lastLook.Code);
    }

    [Fact]
    public void An_unknown_code_fails_the_device_with_intunes_number_and_name()
    {
        var decision = ImportDecisions.OnImportState(Posted(), new AutopilotImportState("identity-1", "import.0", "SERIAL1", "error", 4321, "ZtdSomethingUnheardOf"), Limits);

        var fail = Assert.IsType<ImportDecision.Fail>(decision);
        Assert.Contains("4321", fail.Message, StringComparison.Ordinal);
        Assert.Contains("ZtdSomethingUnheardOf", fail.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_number_decides_when_intune_gives_a_known_number_with_another_name()
    {
        Assert.Equal(ImportDecisions.AssignedToOtherTenant, ImportDecisions.Classify(808, "ZtdDeviceAssignedToSomeoneElse"));
        Assert.Equal(ImportDecisions.AlreadyAssigned, ImportDecisions.Classify(806, "Whatever"));
    }

    [Fact]
    public void A_storage_error_is_sent_again_until_the_rounds_run_out_then_fails_and_is_transient()
    {
        var entry = Posted();
        var storageError = new AutopilotImportState("identity-1", "import.0", "SERIAL1", "error", 0, "StorageError");
        Assert.IsType<ImportDecision.Resend>(ImportDecisions.OnImportState(entry, storageError, Limits));

        var again = Posted(sends: Limits.MaxImportRounds);
        var fail = Assert.IsType<ImportDecision.Fail>(ImportDecisions.OnImportState(again, storageError, Limits));
        Assert.Equal(ImportDecisions.StorageError, fail.Code);
        Assert.Contains(fail.Code, ImportDecisions.TransientFailures);
    }

    [Fact]
    public void A_lost_identity_is_sent_again_and_is_no_longer_to_be_deleted()
    {
        var entry = Posted();
        var missing = AutopilotImportState.MissingFor("identity-1");
        var decision = ImportDecisions.OnImportState(entry, missing, Limits);
        entry.RecordState(missing);

        Assert.Equal(ImportDecisions.IdentityNotFound, Assert.IsType<ImportDecision.Resend>(decision).Reason);
        Assert.Empty(entry.IdentitiesToDelete);
    }

    [Fact]
    public void An_identity_still_processing_after_the_last_poll_times_out()
    {
        var entry = Posted();
        var pending = new AutopilotImportState("identity-1", "import.0", "SERIAL1", "pending", null, null);
        for (var i = 0; i < Limits.MaxPolls; i++)
        {
            var decision = ImportDecisions.OnImportState(entry, pending, Limits);
            Assert.IsType<ImportDecision.StillProcessing>(decision);
            entry.Apply(decision);
        }

        var timedOut = Assert.IsType<ImportDecision.Fail>(ImportDecisions.OnImportState(entry, pending, Limits));
        Assert.Equal(ImportDecisions.TimedOut, timedOut.Code);
    }

    [Fact]
    public void A_device_listed_in_autopilot_is_registered_and_its_profile_followed_when_read_and_not_yet_assigned()
    {
        var entry = Imported();
        var seen = new AutopilotDevice("autopilot-1", "SERIAL1", "0720001K", "pending", null);

        var decision = Assert.IsType<ImportDecision.Registered>(ImportDecisions.OnAutopilotLook(entry, seen, Limits, readProfileStatus: true));
        entry.Apply(decision);

        Assert.True(decision.FollowProfile);
        Assert.Equal(ImportedDeviceStage.Registered, entry.Stage);
        Assert.Equal("autopilot-1", entry.AutopilotDeviceId);
        Assert.False(Assert.IsType<ImportDecision.Registered>(ImportDecisions.OnAutopilotLook(Imported(), seen, Limits, readProfileStatus: false)).FollowProfile);
    }

    [Fact]
    public void A_device_never_listed_fails_not_visible_after_the_last_scan()
    {
        var fail = LookUntilGivenUp(Imported());

        Assert.Equal(ImportDecisions.NotVisible, fail.Code);
        Assert.Contains(fail.Code, ImportDecisions.TransientFailures);
    }

    [Fact]
    public void A_registered_devices_profile_is_settled_when_assigned_or_when_no_longer_worth_asking()
    {
        var assigned = new AutopilotDevice("autopilot-1", "SERIAL1", "0720001K", "assignedInSync", DateTimeOffset.UnixEpoch);
        Assert.True(Assert.IsType<ImportDecision.ProfileSeen>(ImportDecisions.OnAutopilotLook(Registered(), assigned, Limits, true)).Settled);

        var entry = Registered();
        var pending = assigned with { ProfileAssignmentStatus = "pending" };
        for (var i = 0; i < Limits.MaxProfileScans; i++)
        {
            var decision = Assert.IsType<ImportDecision.ProfileSeen>(ImportDecisions.OnAutopilotLook(entry, pending, Limits, true));
            Assert.False(decision.Settled);
            entry.Apply(decision);
        }

        Assert.True(Assert.IsType<ImportDecision.ProfileSeen>(ImportDecisions.OnAutopilotLook(entry, pending, Limits, true)).Settled);
    }

    [Fact]
    public void A_profile_shown_under_another_tag_is_not_the_schools_so_the_device_waits_for_its_own()
    {
        // A reseller's device: Autopilot shows its profile, assigned under the reseller's tag.
        var underResellerTag = new AutopilotDevice("autopilot-1", "SERIAL1", "RESELLER-LOT-42", "assignedInSync", DateTimeOffset.UnixEpoch);

        var found = Assert.IsType<ImportDecision.Registered>(ImportDecisions.OnAutopilotLook(Imported(), underResellerTag, Limits, readProfileStatus: true));
        var followed = Assert.IsType<ImportDecision.ProfileSeen>(ImportDecisions.OnAutopilotLook(Registered(), underResellerTag, Limits, true));
        var retagged = Assert.IsType<ImportDecision.ProfileSeen>(ImportDecisions.OnAutopilotLook(Registered(), underResellerTag with { GroupTag = "0720001K" }, Limits, true));

        Assert.Equal(DeploymentProfileStatus.Pending, found.ProfileStatus);
        Assert.True(found.FollowProfile);
        Assert.Equal(DeploymentProfileStatus.Pending, followed.ProfileStatus);
        Assert.False(followed.Settled);
        Assert.Equal(DeploymentProfileStatus.Assigned, retagged.ProfileStatus);
        Assert.True(retagged.Settled);
    }

    /// <summary>A Graph call that failed: throttling, a 5xx, a timeout or no answer makes the sync wait; any other 4xx does not.</summary>
    public static TheoryData<Exception, bool> GraphFailures => new()
    {
        { new ApiException("Too many requests") { ResponseStatusCode = 429 }, true },
        { new ApiException("Service unavailable") { ResponseStatusCode = 503 }, true },
        { new ApiException("Gateway timeout") { ResponseStatusCode = 504 }, true },
        { new ApiException("Internal error") { ResponseStatusCode = 500 }, true },
        { new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout"), true },
        { new TimeoutException(), true },
        { new HttpRequestException("Connection refused"), true },
        { new AggregateException(new ApiException { ResponseStatusCode = 429 }, new ApiException { ResponseStatusCode = 503 }), true },
        { new ApiException("Forbidden") { ResponseStatusCode = 403 }, false },
        { new ApiException("Bad request") { ResponseStatusCode = 400 }, false },
        { new AggregateException(new ApiException { ResponseStatusCode = 429 }, new ApiException { ResponseStatusCode = 400 }), false },
    };

    [Theory]
    [MemberData(nameof(GraphFailures))]
    public void A_graph_failure_that_passes_makes_the_sync_wait_and_fails_no_device(Exception failure, bool waits) =>
        Assert.Equal(waits, ImportDecisions.IsGraphUnavailable(failure));

    [Fact]
    public void A_device_belongs_to_its_import_only_while_registering_in_it_in_the_same_attempt()
    {
        var import = AutopilotImport.Plan("import-1", [new DeviceRef("5CG1234XYZ", "0720001K", 1)], DeviceLifecycleTests.T0);
        var entry = import.Devices[0];

        Assert.True(ImportDecisions.Belongs(DeviceLifecycleTests.Registering(), import, entry));
        Assert.False(ImportDecisions.Belongs(DeviceLifecycleTests.Received(), import, entry));
        Assert.False(ImportDecisions.Belongs(DeviceLifecycleTests.Failed(), import, entry));
        Assert.False(ImportDecisions.Belongs(null, import, entry));
        var elsewhere = AutopilotImport.Plan("import-2", [new DeviceRef("5CG1234XYZ", "0720001K", 1)], DeviceLifecycleTests.T0);
        Assert.False(ImportDecisions.Belongs(DeviceLifecycleTests.Registering(), elsewhere, elsewhere.Devices[0]));
    }

    private static ImportDecision.Fail LookUntilGivenUp(ImportedDevice entry)
    {
        for (var i = 0; i < Limits.MaxVisibilityScans; i++)
        {
            var decision = ImportDecisions.OnAutopilotLook(entry, null, Limits, readProfileStatus: true);
            Assert.IsType<ImportDecision.NotListedYet>(decision);
            entry.Apply(decision);
        }

        return Assert.IsType<ImportDecision.Fail>(ImportDecisions.OnAutopilotLook(entry, null, Limits, readProfileStatus: true));
    }

    private static ImportedDevice Posted(int sends = 1)
    {
        var import = AutopilotImport.Plan("import", [new DeviceRef("SERIAL1", "0720001K", 1)], DeviceLifecycleTests.T0);
        for (var i = 0; i < sends; i++)
        {
            Assert.True(import.TryMarkReady() || import.Stage == ImportStage.Ready);
            Assert.True(import.TryStartPosting());
            import.RecordPosted([(import.Devices[0], $"identity-{i + 1}")], DeviceLifecycleTests.T0);
            if (i < sends - 1)
            {
                import.Requeue([import.Devices[0]]);
            }
        }

        return import.Devices[0];
    }

    private static ImportedDevice Imported()
    {
        var entry = Posted();
        entry.Apply(new ImportDecision.LookUp(AlreadyInTenant: false));
        return entry;
    }

    private static ImportedDevice Registered()
    {
        var entry = Imported();
        entry.Apply(new ImportDecision.Registered(new AutopilotDevice("autopilot-1", "SERIAL1", "0720001K", "pending", null), "pending", FollowProfile: true));
        return entry;
    }
}
