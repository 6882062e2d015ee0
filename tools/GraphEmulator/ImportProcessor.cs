namespace Sarthe.GraphEmulator;

/// <summary>One importedWindowsAutopilotDeviceIdentity record, as accepted, with the job that processes it.</summary>
internal sealed class ImportedRecord
{
    public required string Id { get; init; }

    public string GroupTag { get; init; } = "";

    public string SerialNumber { get; init; } = "";

    public string ProductKey { get; init; } = "";

    public string ImportId { get; init; } = "";

    public byte[]? HardwareIdentifier { get; init; }

    public string AssignedUserPrincipalName { get; init; } = "";

    public required ImportJob Job { get; init; }

    /// <summary>Set when the job has ended.</summary>
    public ImportOutcome? Outcome { get; set; }

    /// <summary>
    /// The status at <paramref name="moment"/>: unknown until the job starts, pending while it runs, then its outcome.
    /// Nothing documents the order (the enum page lists values only); Microsoft's tool counts only unknown as "still processing".
    /// </summary>
    public string StatusAt(DateTimeOffset moment) =>
        Outcome is { } outcome && moment >= Job.EndsAt ? outcome.Status
        : moment >= Job.StartsAt ? ImportStatus.Pending
        : ImportStatus.Unknown;
}

/// <summary>The end of one identity's import: complete with the new device's id, or an error code and name.</summary>
internal sealed record ImportOutcome(string Status, string RegistrationId, int ErrorCode, string ErrorName)
{
    /// <summary>
    /// Success reads "complete 0 None" in Microsoft's tool output (andrew-s-taylor/WindowsAutopilotInfo #22, #29); the
    /// registration id is the new windowsAutopilotDeviceIdentity's id, which Microsoft's tool relies on (Get-AutopilotDevice
    /// -id $_.state.deviceRegistrationId in Get-WindowsAutoPilotInfo.ps1) but no document states.
    /// </summary>
    public static ImportOutcome Complete(string deviceId) => new(ImportStatus.Complete, deviceId, 0, "None");

    public static ImportOutcome Failed(ImportError error) => new(ImportStatus.Error, "", error.Code, error.Name);
}

/// <summary>An Autopilot registration error: the number where a source gives one, 0 where none does.</summary>
internal sealed record ImportError(int Code, string Name)
{
    /// <summary>"One or more fields in the hardware hash are invalid or empty" (name and meaning: memdocs add-devices.md;
    /// the number 802 only from an unofficial draft, jwmurraycmu/microsoft-365-docs DeviceRegistration.md, and Niehaus' blog oofhours.com).</summary>
    public static readonly ImportError InvalidHardwareHash = new(802, "InvalidZtdHardwareHash");

    /// <summary>Serial and product key both missing (number and name only in the unofficial draft and the blog above).</summary>
    public static readonly ImportError MissingSerialAndProductKey = new(803, "MissingZtdSerialNumberAndProductKey");

    /// <summary>Already registered in this tenant (SupportArticles-docs import-windows-autopilot-device-csv-files-errors.md).</summary>
    public static readonly ImportError AlreadyAssigned = new(806, "ZtdDeviceAlreadyAssigned");

    /// <summary>Registered to another tenant: the service's and the support article's spelling (memdocs writes ...ToAnotherTenant).</summary>
    public static readonly ImportError AssignedToOtherTenant = new(808, "ZtdDeviceAssignedToOtherTenant");

    /// <summary>"Only one of the duplicates is processed, and the others result in this error" (memdocs); no number documented.</summary>
    public static readonly ImportError Duplicated = new(0, "ZtdDeviceDuplicated");

    /// <summary>"A generic error… try again later" (memdocs); no number documented.</summary>
    public static readonly ImportError StorageError = new(0, "StorageError");
}

/// <summary>One create call or import action: processed as a whole by one worker, FIFO behind earlier jobs.</summary>
internal sealed class ImportJob
{
    public long Sequence { get; init; }

    public DateTimeOffset SubmittedAt { get; init; }

    public DateTimeOffset StartsAt { get; init; }

    public DateTimeOffset EndsAt { get; init; }

    public List<ImportedRecord> Records { get; } = [];
}

/// <summary>
/// Intune's import service: jobs queue FIFO for <see cref="GraphEmulatorOptions.ImportWorkers"/> workers ("performed as a
/// background batch process by the Microsoft Intune service", WindowsAutopilotIntune help), each taking
/// <see cref="GraphEmulatorOptions.ImportJobDuration"/> plus <see cref="GraphEmulatorOptions.ImportPerIdentity"/> per identity.
/// A job's start and end are fixed when it is submitted, so the schedule depends only on submission times; outcomes are
/// decided at the job's end against the tenant at that moment, computed lazily when someone next looks.
/// Not thread-safe: <see cref="GraphEmulatorState"/> holds the lock.
/// </summary>
internal sealed class ImportProcessor(GraphEmulatorOptions options, DeviceDirectory directory)
{
    private const int MinimumHashBytes = 64;
    private const int MaximumHashBytes = 8192;

    private readonly List<DateTimeOffset> _workerFreeAt = [];
    private readonly PriorityQueue<ImportJob, (DateTimeOffset EndsAt, long Sequence)> _running = new();
    private readonly Dictionary<string, int> _storageErrorsGiven = new(StringComparer.OrdinalIgnoreCase);
    private readonly Random _storageDice = new(options.RandomSeed);
    private long _sequence;

    /// <summary>Queues one job for <paramref name="identities"/> and returns its records (ids assigned, state reset).</summary>
    public ImportJob Submit(IReadOnlyList<ImportedIdentityResource> identities, DateTimeOffset now)
    {
        var start = TakeWorker(now, out var worker);
        var length = options.Scaled(options.ImportJobDuration + options.ImportPerIdentity * identities.Count);
        var job = new ImportJob { Sequence = ++_sequence, SubmittedAt = now, StartsAt = start, EndsAt = start + length };
        _workerFreeAt[worker] = job.EndsAt;
        foreach (var identity in identities)
        {
            var id = Guid.NewGuid().ToString();
            job.Records.Add(new ImportedRecord
            {
                Id = id,
                Job = job,
                GroupTag = identity.GroupTag ?? "",
                SerialNumber = identity.SerialNumber ?? "",
                ProductKey = identity.ProductKey ?? "",
                // A record created without an import id came back with importId = id (MSEndpointMgr/Intune #71).
                ImportId = string.IsNullOrEmpty(identity.ImportId) ? id : identity.ImportId,
                HardwareIdentifier = identity.HardwareIdentifier,
                AssignedUserPrincipalName = identity.AssignedUserPrincipalName ?? "",
            });
        }

        _running.Enqueue(job, (job.EndsAt, job.Sequence));
        return job;
    }

    /// <summary>Ends, in order, every job whose end has come by <paramref name="now"/>.</summary>
    public void Advance(DateTimeOffset now)
    {
        while (_running.TryPeek(out var job, out var due) && due.EndsAt <= now)
        {
            _running.Dequeue();
            Complete(job);
        }
    }

    /// <summary>FIFO onto the worker that frees first; the worker count may change at run time.</summary>
    private DateTimeOffset TakeWorker(DateTimeOffset now, out int worker)
    {
        var workers = Math.Max(1, options.ImportWorkers);
        while (_workerFreeAt.Count < workers)
        {
            _workerFreeAt.Add(now);
        }

        while (_workerFreeAt.Count > workers)
        {
            _workerFreeAt.RemoveAt(_workerFreeAt.IndexOf(_workerFreeAt.Max()));
        }

        worker = _workerFreeAt.IndexOf(_workerFreeAt.Min());
        return _workerFreeAt[worker] > now ? _workerFreeAt[worker] : now;
    }

    private void Complete(ImportJob job)
    {
        var at = job.EndsAt;
        var hashesSeen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in job.Records)
        {
            if (Decide(record, at, hashesSeen) is { } error)
            {
                record.Outcome = ImportOutcome.Failed(error);
                continue;
            }

            var device = directory.Register(record.SerialNumber, record.ProductKey, record.GroupTag, at, at + options.Scaled(options.SyncLag));
            record.Outcome = ImportOutcome.Complete(device.Id);
        }
    }

    /// <summary>The error one identity ends in, or null for success, checked in this order.</summary>
    private ImportError? Decide(ImportedRecord record, DateTimeOffset at, HashSet<string> hashesSeen)
    {
        if (record.SerialNumber.Length == 0 && record.ProductKey.Length == 0)
        {
            return ImportError.MissingSerialAndProductKey;
        }

        // The emulator cannot parse a hash; a plain size rule stands for "invalid or empty" (README).
        if (record.HardwareIdentifier is not { Length: >= MinimumHashBytes and <= MaximumHashBytes } hash)
        {
            return ImportError.InvalidHardwareHash;
        }

        if (!hashesSeen.Add(Convert.ToBase64String(hash)))
        {
            return ImportError.Duplicated;
        }

        if (GivesStorageError(record.SerialNumber))
        {
            return ImportError.StorageError;
        }

        if (options.SerialsOwnedElsewhere.Contains(record.SerialNumber, StringComparer.OrdinalIgnoreCase))
        {
            return ImportError.AssignedToOtherTenant;
        }

        return record.SerialNumber.Length > 0 && directory.HoldsSerial(record.SerialNumber, at) ? ImportError.AlreadyAssigned : null;
    }

    private bool GivesStorageError(string serialNumber)
    {
        if (options.StorageErrorSerials.Contains(serialNumber, StringComparer.OrdinalIgnoreCase))
        {
            var given = _storageErrorsGiven.GetValueOrDefault(serialNumber);
            if (given < options.StorageErrorsPerSerial)
            {
                _storageErrorsGiven[serialNumber] = given + 1;
                return true;
            }

            return false;
        }

        return options.StorageErrorRate > 0 && _storageDice.NextDouble() < options.StorageErrorRate;
    }
}
