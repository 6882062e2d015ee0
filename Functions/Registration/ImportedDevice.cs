using System.Text.Json.Serialization;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Graph;

namespace Sarthe.Enrolment.Registration;

/// <summary>Where an import stands with Graph.</summary>
public enum ImportStage
{
    /// <summary>Written (the write-ahead), its devices being moved into it.</summary>
    Planned,

    /// <summary>Every device points at this import: ready to be sent.</summary>
    Ready,

    /// <summary>About to be sent, or sent without our knowing the answer (a crash, a timeout): found out by listing before sending again.</summary>
    Posting,

    /// <summary>Sent; its identities are followed until every device is settled and every identity deleted.</summary>
    Posted,
}

/// <summary>Where one device of an import stands.</summary>
public enum ImportedDeviceStage
{
    /// <summary>To be sent in the import's current round.</summary>
    Queued,

    /// <summary>Sent: its imported identity is being processed by Intune.</summary>
    Posted,

    /// <summary>Imported (or already in this tenant, 806): waiting to be visible in Autopilot.</summary>
    Imported,

    /// <summary>Registered: its deployment profile is being followed.</summary>
    Registered,

    /// <summary>Nothing more to follow (registered with its profile settled, or failed, or no longer this import's).</summary>
    Done,
}

/// <summary>
/// One device of an import, and what the import has learnt of it: its identities in Graph (to follow, then delete),
/// Intune's answer, and the import's own counters. Changed only through its transitions (and its import's); the
/// device's progress itself is its row's (<see cref="Device"/>).
/// </summary>
public sealed class ImportedDevice
{
    public required string SerialNumber { get; init; }

    public required string SchoolUai { get; init; }

    public required int Attempt { get; init; }

    [JsonInclude]
    public ImportedDeviceStage Stage { get; private set; }

    /// <summary>The round (a POST of the import) its current identity belongs to.</summary>
    [JsonInclude]
    public int Round { get; private set; }

    /// <summary>How many times it was sent (a StorageError or a lost identity sends it again).</summary>
    [JsonInclude]
    public int Sends { get; private set; }

    [JsonInclude]
    public string? IdentityId { get; private set; }

    [JsonInclude]
    public string? ImportStatus { get; private set; }

    [JsonInclude]
    public string? ErrorName { get; private set; }

    [JsonInclude]
    public int? ErrorCode { get; private set; }

    /// <summary>Intune said 806: the device is already registered in this tenant, to be found in Autopilot.</summary>
    [JsonInclude]
    public bool AlreadyInTenant { get; private set; }

    [JsonInclude]
    public string? AutopilotDeviceId { get; private set; }

    /// <summary>The Autopilot device Intune says the import registered (<c>state.deviceRegistrationId</c>), when it says.</summary>
    [JsonInclude]
    public string? RegistrationId { get; private set; }

    /// <summary>Identities of this device that Graph still holds and that we must delete (every round's).</summary>
    [JsonInclude]
    public List<string> IdentitiesToDelete { get; private set; } = [];

    /// <summary>Checks of the import state that found it still processing.</summary>
    [JsonInclude]
    public int Polls { get; private set; }

    /// <summary>Scans of Autopilot that did not find the device (or did not find its profile settled).</summary>
    [JsonInclude]
    public int Scans { get; private set; }

    /// <summary>
    /// Which part of its import it is sent with: 0 until Graph refuses a POST of the import, then each refused part is
    /// split in two new parts, sent apart (<see cref="AutopilotImport.RecordRefused"/>).
    /// </summary>
    [JsonInclude]
    public int Part { get; private set; }

    public DeviceKey Key => new(SchoolUai, SerialNumber);

    public bool AwaitsImportState => Stage == ImportedDeviceStage.Posted;

    public bool AwaitsAutopilot => Stage is ImportedDeviceStage.Imported or ImportedDeviceStage.Registered;

    /// <summary>Identities that can be deleted now: all but the one still being processed (its state is what the device waits for).</summary>
    public IReadOnlyList<string> DeletableIdentities =>
        IdentitiesToDelete.Where(id => Stage != ImportedDeviceStage.Posted || id != IdentityId).ToList();

    /// <summary>The device is no longer this import's (retried, removed, moved on, or moving in another import): nothing more to follow.</summary>
    public bool Release()
    {
        if (Stage == ImportedDeviceStage.Done)
        {
            return false;
        }

        Stage = ImportedDeviceStage.Done;
        return true;
    }

    /// <summary>Graph deleted one of its identities.</summary>
    public bool RecordDeleted(string identityId) => IdentitiesToDelete.Remove(identityId);

    /// <summary>What Graph says of the identity being followed (a lost identity is not to be deleted: Graph has none).</summary>
    public void RecordState(AutopilotImportState state)
    {
        ImportStatus = state.Status;
        ErrorCode = state.ErrorCode;
        ErrorName = state.ErrorName;
        RegistrationId = state.RegistrationId ?? RegistrationId;
        if (state.Status == AutopilotImportState.Missing && IdentityId is not null)
        {
            IdentitiesToDelete.Remove(IdentityId);
        }
    }

    /// <summary>
    /// Carries out what <see cref="ImportDecisions"/> decided for this device (a resend is its import's:
    /// <see cref="AutopilotImport.Requeue"/>, all of a round together).
    /// </summary>
    public void Apply(ImportDecision decision)
    {
        switch (decision)
        {
            case ImportDecision.StillProcessing:
                Polls++;
                break;
            case ImportDecision.LookUp lookUp:
                Stage = ImportedDeviceStage.Imported;
                AlreadyInTenant = lookUp.AlreadyInTenant;
                break;
            case ImportDecision.Fail:
                Stage = ImportedDeviceStage.Done;
                break;
            case ImportDecision.NotListedYet:
                Scans++;
                break;
            case ImportDecision.Registered registered:
                AutopilotDeviceId = registered.Seen.Id;
                Scans = 0;
                Stage = registered.FollowProfile ? ImportedDeviceStage.Registered : ImportedDeviceStage.Done;
                break;
            case ImportDecision.ProfileSeen profile:
                Scans++;
                if (profile.Settled)
                {
                    Stage = ImportedDeviceStage.Done;
                }

                break;
        }
    }

    /// <summary>Sent in <paramref name="round"/>: its identity is followed (and deleted once processed).</summary>
    internal void RecordSent(string identityId, int round)
    {
        Stage = ImportedDeviceStage.Posted;
        IdentityId = identityId;
        Round = round;
        Sends++;
        ImportStatus = Device.ImportUnknown;
        IdentitiesToDelete.Add(identityId);
    }

    /// <summary>Another identity Graph holds for it (a round sent twice): deleted like the others.</summary>
    internal void RecordExtraIdentity(string identityId)
    {
        if (!IdentitiesToDelete.Contains(identityId, StringComparer.OrdinalIgnoreCase))
        {
            IdentitiesToDelete.Add(identityId);
        }
    }

    internal void MoveToPart(int part) => Part = part;

    internal void Queue()
    {
        Stage = ImportedDeviceStage.Queued;
        IdentityId = null;
        ImportStatus = null;
        Polls = 0;
    }
}
