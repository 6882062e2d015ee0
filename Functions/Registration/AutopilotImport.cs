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

/// <summary>One device of an import, and what the import has learnt of it.</summary>
public sealed class ImportedDevice
{
    public required string SerialNumber { get; init; }

    public required string SchoolUai { get; init; }

    public required int Attempt { get; init; }

    public ImportedDeviceStage Stage { get; set; }

    /// <summary>The round (a POST of the import) its current identity belongs to.</summary>
    public int Round { get; set; }

    /// <summary>How many times it was sent (a StorageError or a lost identity sends it again).</summary>
    public int Sends { get; set; }

    public string? IdentityId { get; set; }

    public string? ImportStatus { get; set; }

    public string? ErrorName { get; set; }

    public int? ErrorCode { get; set; }

    /// <summary>Intune said 806: the device is already registered in this tenant, to be found in Autopilot.</summary>
    public bool AlreadyInTenant { get; set; }

    public string? AutopilotDeviceId { get; set; }

    /// <summary>Identities of this device that Graph still holds and that we must delete (every round's).</summary>
    public List<string> IdentitiesToDelete { get; set; } = [];

    /// <summary>Checks of the import state that found it still processing.</summary>
    public int Polls { get; set; }

    /// <summary>Scans of Autopilot that did not find the device (or did not find its profile settled).</summary>
    public int Scans { get; set; }

    public DeviceKey Key => new(SchoolUai, SerialNumber);

    public bool AwaitsImportState => Stage == ImportedDeviceStage.Posted;

    public bool AwaitsAutopilot => Stage is ImportedDeviceStage.Imported or ImportedDeviceStage.Registered;
}

/// <summary>
/// One Autopilot import of the pipeline: its devices and what Graph said of each. It is written before anything is
/// sent (its id and devices), marked before each POST and after it, so a crash at any point is followed by the
/// right step: a POST is never made twice without first finding out, with a documented list, whether Graph has it.
/// Graph's <c>importId</c> of round r is <see cref="GraphImportId"/>: each round is told apart.
/// </summary>
public sealed class AutopilotImport
{
    public required string ImportId { get; init; }

    public ImportStage Stage { get; set; }

    public int Round { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? PostedAt { get; set; }

    public List<ImportedDevice> Devices { get; init; } = [];

    /// <summary>The store's version of the row (ETag), for conditional updates.</summary>
    public string? Version { get; set; }

    /// <summary>The import as the store last wrote or read it (to skip writing what did not change).</summary>
    internal string? Stored { get; set; }

    public string GraphImportId => $"{ImportId}.{Round}";

    public IEnumerable<ImportedDevice> Queued => Devices.Where(d => d.Stage == ImportedDeviceStage.Queued);

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
            .Select(d => new ImportedDevice { SerialNumber = d.SerialNumber, SchoolUai = d.SchoolUai, Attempt = d.Attempt, Stage = ImportedDeviceStage.Queued })
            .ToList(),
    };

    /// <summary>Graph answered the POST of the current round with these identities (in the order of <see cref="Queued"/>).</summary>
    public void RecordPosted(IReadOnlyList<(ImportedDevice Device, string IdentityId)> identities, DateTimeOffset now)
    {
        foreach (var (device, identityId) in identities)
        {
            device.Stage = ImportedDeviceStage.Posted;
            device.IdentityId = identityId;
            device.Round = Round;
            device.Sends++;
            device.ImportStatus = Device.ImportUnknown;
            device.IdentitiesToDelete.Add(identityId);
        }

        Stage = ImportStage.Posted;
        PostedAt = now;
    }

    /// <summary>
    /// Devices to send again, all in one new round (Intune's StorageError, "try again later", or an identity Graph
    /// lost): their old identity is deleted like any other.
    /// </summary>
    public void Requeue(IReadOnlyCollection<ImportedDevice> devices)
    {
        var any = false;
        foreach (var device in devices)
        {
            device.Stage = ImportedDeviceStage.Queued;
            device.IdentityId = null;
            device.ImportStatus = null;
            device.Polls = 0;
            any = true;
        }

        if (any)
        {
            Round++;
            Stage = ImportStage.Ready;
        }
    }

    /// <summary>The device of a Graph identity of this import, if it is one we are waiting for.</summary>
    public ImportedDevice? DeviceOfIdentity(string identityId) =>
        Devices.FirstOrDefault(d => d.IdentityId is not null && string.Equals(d.IdentityId, identityId, StringComparison.OrdinalIgnoreCase));

    public static string NewId(DateTimeOffset now) =>
        $"{now.UtcTicks.ToString("D19", System.Globalization.CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}"[..32];
}
