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

/// <summary>
/// One Autopilot import of the pipeline: its devices and what Graph said of each. It is written before anything is
/// sent (its id and devices), marked before each POST and after it, so a crash at any point is followed by the
/// right step: a POST is never made twice without first finding out, with a documented list, whether Graph has it.
/// Graph's <c>importId</c> of round r is <see cref="GraphImportId"/>: each round is told apart. Changed only through
/// its transitions, saved only by <see cref="ImportStore.SaveAsync"/> (ETag).
/// </summary>
public sealed class AutopilotImport
{
    public required string ImportId { get; init; }

    public ImportStage Stage { get; private set; }

    public int Round { get; private set; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? PostedAt { get; private set; }

    public IReadOnlyList<ImportedDevice> Devices { get; private init; } = [];

    /// <summary>The store's version of the row (ETag), for conditional updates.</summary>
    internal string? Version { get; set; }

    /// <summary>The import as the store last wrote or read it (to skip writing what did not change).</summary>
    internal string? Stored { get; set; }

    public string GraphImportId => $"{ImportId}.{Round}";

    public IEnumerable<ImportedDevice> Queued => Devices.Where(d => d.Stage == ImportedDeviceStage.Queued);

    /// <summary>The devices the next POST sends: the queued devices of one part (all of them until Graph refuses a POST).</summary>
    public IReadOnlyList<ImportedDevice> NextToSend =>
        Queued.GroupBy(d => d.Part).OrderBy(g => g.Key).FirstOrDefault()?.ToList() ?? [];

    /// <summary>Devices still to be sent: ready, or cut short while being sent.</summary>
    public bool HasDevicesToSend => Stage is ImportStage.Ready or ImportStage.Posting && Queued.Any();

    /// <summary>Every device is done and every identity deleted: the import can go.</summary>
    public bool IsFinished => Devices.All(d => d.Stage == ImportedDeviceStage.Done && d.IdentitiesToDelete.Count == 0);

    /// <summary>A new import of these devices (one entry per device: a device twice in the outbox is imported once).</summary>
    public static AutopilotImport Plan(string importId, IEnumerable<DeviceRef> devices, DateTimeOffset now) => new()
    {
        ImportId = importId,
        Stage = ImportStage.Planned,
        CreatedAt = now,
        Devices = devices
            .GroupBy(d => d.Key)
            .Select(g => g.MaxBy(d => d.Attempt)!)
            .Select(d => new ImportedDevice { SerialNumber = d.SerialNumber, SchoolUai = d.SchoolUai, Attempt = d.Attempt })
            .ToList(),
    };

    /// <summary>The import as its row holds it (<see cref="ImportStore"/>).</summary>
    internal static AutopilotImport Restore(string importId, ImportStage stage, int round, DateTimeOffset createdAt, DateTimeOffset? postedAt, List<ImportedDevice> devices) => new()
    {
        ImportId = importId,
        Stage = stage,
        Round = round,
        CreatedAt = createdAt,
        PostedAt = postedAt,
        Devices = devices,
    };

    /// <summary>Every device points at this import (or was let go): it can be sent. False when it is past planning.</summary>
    public bool TryMarkReady()
    {
        if (Stage != ImportStage.Planned)
        {
            return false;
        }

        Stage = ImportStage.Ready;
        return true;
    }

    /// <summary>About to POST its queued devices: marked first, so a crash or a lost answer is found out before sending again.</summary>
    public bool TryStartPosting()
    {
        if (!HasDevicesToSend)
        {
            return false;
        }

        Stage = ImportStage.Posting;
        return true;
    }

    /// <summary>
    /// Graph answered the POST of the current round with these identities. Devices of the import still queued (other
    /// parts) go in the next round.
    /// </summary>
    public void RecordPosted(IReadOnlyList<(ImportedDevice Device, string IdentityId)> identities, DateTimeOffset now)
    {
        foreach (var (device, identityId) in identities)
        {
            device.RecordSent(identityId, Round);
        }

        PostedAt = now;
        NextRoundOrPosted();
    }

    /// <summary>
    /// Graph refused the POST of <paramref name="sent"/> whole (a deterministic 4xx: nothing of it was stored). As
    /// <see cref="ImportDecisions.OnPostRefused"/> decided: the devices are split in two parts sent apart, or the one
    /// device fails. False when the import was not being sent.
    /// </summary>
    public bool RecordRefused(IReadOnlyList<ImportedDevice> sent, ImportDecision decision)
    {
        if (Stage != ImportStage.Posting || sent.Count == 0)
        {
            return false;
        }

        if (decision is ImportDecision.Resend && sent.Count > 1)
        {
            var next = Devices.Max(d => d.Part) + 1;
            for (var i = 0; i < sent.Count; i++)
            {
                sent[i].MoveToPart(i < sent.Count / 2 ? next : next + 1);
            }
        }
        else
        {
            foreach (var device in sent)
            {
                device.Apply(decision);
            }
        }

        NextRoundOrPosted();
        return true;
    }

    /// <summary>Nothing of it is left to send (every queued device was let go, or Graph had them all): it is followed as posted.</summary>
    public bool TryFinishSending()
    {
        if (Queued.Any() || Stage == ImportStage.Posted)
        {
            return false;
        }

        Stage = ImportStage.Posted;
        return true;
    }

    /// <summary>
    /// Devices to send again, all in one new round (Intune's StorageError, "try again later", or an identity Graph
    /// lost): their old identity is deleted like any other.
    /// </summary>
    public void Requeue(IReadOnlyCollection<ImportedDevice> devices)
    {
        foreach (var device in devices)
        {
            device.Queue();
        }

        if (devices.Count > 0)
        {
            Round++;
            Stage = ImportStage.Ready;
        }
    }

    /// <summary>Once a POST is answered: what is still queued goes in a new round (a new Graph importId), else the import is followed as posted.</summary>
    private void NextRoundOrPosted()
    {
        if (Queued.Any())
        {
            Round++;
            Stage = ImportStage.Ready;
        }
        else
        {
            Stage = ImportStage.Posted;
        }
    }

    /// <summary>The device of a Graph identity of this import, if it is one we are waiting for.</summary>
    public ImportedDevice? DeviceOfIdentity(string identityId) =>
        Devices.FirstOrDefault(d => d.IdentityId is not null && string.Equals(d.IdentityId, identityId, StringComparison.OrdinalIgnoreCase));

    /// <summary>The entry of a serial number in this import, if it has one.</summary>
    public ImportedDevice? DeviceOfSerial(string? serialNumber) =>
        Devices.FirstOrDefault(d => string.Equals(d.SerialNumber, serialNumber, StringComparison.OrdinalIgnoreCase));

    public static string NewId(DateTimeOffset now) =>
        $"{now.UtcTicks.ToString("D19", System.Globalization.CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}"[..32];
}
