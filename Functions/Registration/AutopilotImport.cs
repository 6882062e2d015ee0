using System.Text.Json.Serialization;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Graph;

namespace Sarthe.Enrolment.Registration;

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

    /// <summary>The entry of a serial number in this import, if it has one.</summary>
    public ImportedDevice? DeviceOfSerial(string? serialNumber) =>
        Devices.FirstOrDefault(d => string.Equals(d.SerialNumber, serialNumber, StringComparison.OrdinalIgnoreCase));

    public static string NewId(DateTimeOffset now) =>
        $"{now.UtcTicks.ToString("D19", System.Globalization.CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}"[..32];
}
