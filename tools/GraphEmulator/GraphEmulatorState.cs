namespace Sarthe.GraphEmulator;

/// <summary>What a DELETE of an Autopilot device came to.</summary>
public enum DeviceDeletion
{
    Accepted,
    NotFound,
    Enrolled,
}

/// <summary>
/// The tenant the emulator pretends to be, and the state API tests use. Holds the import records, the
/// <see cref="ImportProcessor"/> and the <see cref="DeviceDirectory"/> under one lock, the <see cref="ThrottleBudgets"/>,
/// the outage switch, the fault dice and the counters. Every answer is computed from <see cref="Time"/> when asked:
/// nothing runs in the background, so a test that drives a fake clock gets the same answers every run.
/// </summary>
public sealed class GraphEmulatorState
{
    /// <summary>Stands for the Intune account id in Intune's "Cannot find device" message (microsoft-graph-docs #7128).</summary>
    public const string AccountId = "5a7b6e1c-0d2f-4c3e-9a8b-7c6d5e4f3a2b";

    private readonly object _gate = new();
    private readonly OrderedDictionary<string, ImportedRecord> _records = new(StringComparer.OrdinalIgnoreCase);
    private readonly DeviceDirectory _directory;
    private readonly ImportProcessor _processor;
    private readonly EmulatorCounterSet _counters = new();
    private readonly Random _faultDice;
    private readonly Random _retryAfterDice;
    private DateTimeOffset? _outageUntil;

    private readonly Dictionary<string, int> _importsBySerial = new(StringComparer.OrdinalIgnoreCase);

    public GraphEmulatorState(GraphEmulatorOptions options, TimeProvider time)
    {
        Options = options;
        Time = time;
        Throttle = new ThrottleBudgets(options, time);
        _directory = new DeviceDirectory(options);
        _processor = new ImportProcessor(options, _directory);
        _faultDice = new Random(options.RandomSeed);
        _retryAfterDice = new Random(options.RandomSeed + 1);
        Tenant = new TenantDirectory(options, time);
    }

    public GraphEmulatorOptions Options { get; }

    /// <summary>The emulator's clock: a fake one in tests.</summary>
    public TimeProvider Time { get; }

    public ThrottleBudgets Throttle { get; }

    /// <summary>Groups, deployment profiles and their assignments (<see cref="TenantDirectory"/>).</summary>
    public TenantDirectory Tenant { get; }

    private DateTimeOffset Now => Time.GetUtcNow();

    // ---- Counters ----------------------------------------------------------------------------------------------

    public EmulatorCounters Counters => new()
    {
        Requests = _counters[CounterKind.Requests],
        Writes = _counters[CounterKind.Writes],
        ThrottledByApp = _counters[CounterKind.ThrottledByApp],
        ThrottledByTenant = _counters[CounterKind.ThrottledByTenant],
        Faults = _counters[CounterKind.Faults],
        ImportActions = _counters[CounterKind.ImportActions],
        IdentitiesImported = _counters[CounterKind.IdentitiesImported],
        IdentityCreates = _counters[CounterKind.IdentityCreates],
        IdentityGets = _counters[CounterKind.IdentityGets],
        IdentityListPages = _counters[CounterKind.IdentityListPages],
        IdentityDeletes = _counters[CounterKind.IdentityDeletes],
        AutopilotListPages = _counters[CounterKind.AutopilotListPages],
        AutopilotFilteredLookups = _counters[CounterKind.AutopilotFilteredLookups],
        AutopilotGets = _counters[CounterKind.AutopilotGets],
        BetaReads = _counters[CounterKind.BetaReads],
        DeviceUpdates = _counters[CounterKind.DeviceUpdates],
        DeviceDeletes = _counters[CounterKind.DeviceDeletes],
        MaxAppRequestsInWindow = Throttle.MaxAppRequestsInWindow,
        MaxAppWritesInWindow = Throttle.MaxAppWritesInWindow,
        ImportedIdentitiesStored = ImportedIdentitiesStored,
        ImportAnswersDelayed = _counters[CounterKind.ImportAnswersDelayed],
        ImportAnswersHeld = _counters[CounterKind.ImportAnswersHeld],
        StatusReadsDelayed = _counters[CounterKind.StatusReadsDelayed],
        StatusReadsHeld = _counters[CounterKind.StatusReadsHeld],
    };

    public void Count(CounterKind kind, long amount = 1) => _counters.Add(kind, amount);

    public int ImportedIdentitiesStored
    {
        get
        {
            lock (_gate)
            {
                return _records.Count;
            }
        }
    }

    // ---- Faults and outage -------------------------------------------------------------------------------------

    /// <summary>Rolls the fault dice: 503, 504, or null for no fault.</summary>
    public int? RollFault()
    {
        if (Options.FaultRate <= 0)
        {
            return null;
        }

        lock (_faultDice)
        {
            return _faultDice.NextDouble() < Options.FaultRate ? (_faultDice.Next(2) == 0 ? 503 : 504) : null;
        }
    }

    private volatile bool _appRefused;

    /// <summary>
    /// Every request of the app answers 403, as Intune does for an app without DeviceManagementServiceConfig permission
    /// or in a tenant without an Intune licence (<see cref="AppRefused"/>); false lifts it.
    /// </summary>
    public void RefuseApp(bool refused) => _appRefused = refused;

    public bool AppRefused => _appRefused;

    /// <summary>Every Graph request answers 503 from now on: for <paramref name="duration"/> (emulated, scaled), or until <see cref="EndOutage"/>.</summary>
    public void StartOutage(TimeSpan? duration = null)
    {
        lock (_gate)
        {
            _outageUntil = duration is { } length ? Now + Options.Scaled(length) : DateTimeOffset.MaxValue;
        }
    }

    public void EndOutage()
    {
        lock (_gate)
        {
            _outageUntil = null;
        }
    }

    public bool InOutage
    {
        get
        {
            lock (_gate)
            {
                return _outageUntil is { } until && Now < until;
            }
        }
    }

    /// <summary>Whether this 429 carries Retry-After, by <see cref="GraphEmulatorOptions.RetryAfter"/>.</summary>
    public bool SendsRetryAfter()
    {
        switch (Options.RetryAfter)
        {
            case RetryAfterMode.Never:
                return false;
            case RetryAfterMode.Share:
                lock (_retryAfterDice)
                {
                    return _retryAfterDice.NextDouble() < Options.RetryAfterShare;
                }

            default:
                return true;
        }
    }

    // ---- Graph operations: importedWindowsAutopilotDeviceIdentities --------------------------------------------

    /// <summary>
    /// One create call or import action: one job. The answer shows each record as accepted, <c>unknown</c>, whatever the
    /// client sent as state (MSEndpointMgr/Intune #71).
    /// </summary>
    public IReadOnlyList<ImportedIdentityResource> Import(IReadOnlyList<ImportedIdentityResource> identities)
    {
        lock (_gate)
        {
            var now = Advance();
            var job = _processor.Submit(identities, now);
            foreach (var record in job.Records)
            {
                _records[record.Id] = record;
                _importsBySerial[record.SerialNumber ?? ""] = _importsBySerial.GetValueOrDefault(record.SerialNumber ?? "") + 1;
            }

            Count(CounterKind.IdentitiesImported, job.Records.Count);
            return job.Records.Select(r => ToResource(r, DateTimeOffset.MinValue)).ToList();
        }
    }

    /// <summary>State API: how many identities were ever imported, per serial number (records deleted since included).</summary>
    public IReadOnlyDictionary<string, int> ImportsBySerial
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, int>(_importsBySerial, StringComparer.OrdinalIgnoreCase);
            }
        }
    }

    /// <summary>State API: how many identities were ever imported for this serial (records deleted since included).</summary>
    public int ImportsOf(string serialNumber)
    {
        lock (_gate)
        {
            return _importsBySerial.GetValueOrDefault(serialNumber);
        }
    }

    public ImportedIdentityResource? GetImported(string id)
    {
        lock (_gate)
        {
            var now = Advance();
            return _records.TryGetValue(id, out var record) ? ToResource(record, now) : null;
        }
    }

    /// <summary>Every imported identity record, as Graph lists them now (state API too).</summary>
    public IReadOnlyList<ImportedIdentityResource> ImportedIdentities
    {
        get
        {
            lock (_gate)
            {
                var now = Advance();
                return _records.Values.Select(r => ToResource(r, now)).ToList();
            }
        }
    }

    /// <summary>
    /// Removes the record. Its job goes on: whether deleting the record withdraws the submitted hash is undocumented, and
    /// Microsoft's module deletes records only once they are done (README, "Departures").
    /// </summary>
    public bool DeleteImported(string id)
    {
        lock (_gate)
        {
            Advance();
            return _records.Remove(id);
        }
    }

    // ---- Graph operations: windowsAutopilotDeviceIdentities ----------------------------------------------------

    /// <summary>The devices Graph lists now, optionally those whose serial contains <paramref name="serialContains"/>.</summary>
    public IReadOnlyList<AutopilotDeviceResource> ListDevices(bool beta, string? serialContains = null)
    {
        lock (_gate)
        {
            var now = Advance();
            return _directory.ListedAt(now)
                .Where(d => serialContains is null || d.SerialNumber.Contains(serialContains, StringComparison.OrdinalIgnoreCase))
                .Select(d => ToResource(d, now, beta))
                .ToList();
        }
    }

    public AutopilotDeviceResource? GetDevice(string id, bool beta)
    {
        lock (_gate)
        {
            var now = Advance();
            return _directory.Listed(id, now) is { } device ? ToResource(device, now, beta) : null;
        }
    }

    public DeviceDeletion DeleteDevice(string id)
    {
        lock (_gate)
        {
            return _directory.RequestDeletion(id, Advance()) switch
            {
                DeletionResult.Accepted => DeviceDeletion.Accepted,
                DeletionResult.Enrolled => DeviceDeletion.Enrolled,
                _ => DeviceDeletion.NotFound,
            };
        }
    }

    /// <summary>updateDeviceProperties; false when the device is not listed.</summary>
    public bool UpdateDevice(string id, UpdateDevicePropertiesBody body)
    {
        lock (_gate)
        {
            var now = Advance();
            if (_directory.Listed(id, now) is not { } device)
            {
                return false;
            }

            _directory.Update(device, body, now);
            return true;
        }
    }

    // ---- State API for tests -----------------------------------------------------------------------------------

    /// <summary>Registers these serial numbers to another tenant: their imports end in 808.</summary>
    public void OwnElsewhere(IEnumerable<string> serials)
    {
        lock (_gate)
        {
            Options.SerialsOwnedElsewhere.AddRange(serials);
        }
    }

    /// <summary>The next <paramref name="count"/> import POSTs are taken, then answered 504 (<see cref="GraphEmulatorOptions.ImportsAnsweredGatewayTimeout"/>).</summary>
    public void AnswerNextImportsAfterAccepting(int count)
    {
        lock (_gate)
        {
            Options.ImportsAnsweredGatewayTimeout = count;
        }
    }

    /// <summary>True (once per count) when this import POST, already taken, is to be answered 504.</summary>
    public bool TakeGatewayTimeout()
    {
        lock (_gate)
        {
            if (Options.ImportsAnsweredGatewayTimeout <= 0)
            {
                return false;
            }

            Options.ImportsAnsweredGatewayTimeout--;
            return true;
        }
    }

    /// <summary>Records with these serial numbers make an import POST unreadable (<see cref="GraphEmulatorOptions.UnreadableSerials"/>).</summary>
    public void MakeUnreadable(IEnumerable<string> serials)
    {
        lock (_gate)
        {
            Options.UnreadableSerials.AddRange(serials);
        }
    }

    /// <summary>The first record of <paramref name="identities"/> Graph could not read, if any.</summary>
    public ImportedIdentityResource? FirstUnreadable(IEnumerable<ImportedIdentityResource> identities)
    {
        lock (_gate)
        {
            return identities.FirstOrDefault(i => Options.UnreadableSerials.Contains(i.SerialNumber ?? "", StringComparer.OrdinalIgnoreCase));
        }
    }

    /// <summary>The next <see cref="GraphEmulatorOptions.StorageErrorsPerSerial"/> imports of each serial end in StorageError.</summary>
    public void FailWithStorageError(IEnumerable<string> serials)
    {
        lock (_gate)
        {
            Options.StorageErrorSerials.AddRange(serials);
        }
    }

    /// <summary>
    /// A device registered in this tenant now, listed at once (as if imported long ago, or by hand in the portal):
    /// an import of its serial ends in 806.
    /// </summary>
    public DeviceSnapshot RegisterDevice(string serialNumber, string groupTag = "")
    {
        lock (_gate)
        {
            var now = Advance();
            return ToSnapshot(_directory.Register(serialNumber, "", groupTag, now, now), now);
        }
    }

    /// <summary>Marks a device (by id or serial number) enrolled in Intune: its deletion is then refused.</summary>
    public void MarkEnrolled(string idOrSerial)
    {
        lock (_gate)
        {
            Advance();
            var device = _directory.Find(idOrSerial) ?? throw new KeyNotFoundException($"No Autopilot device '{idOrSerial}'.");
            device.EnrollmentState = EnrollmentStates.Enrolled;
        }
    }

    /// <summary>Every device the tenant holds, listed yet or not, deleted or not (until forgotten).</summary>
    public IReadOnlyList<DeviceSnapshot> Devices
    {
        get
        {
            lock (_gate)
            {
                var now = Advance();
                return _directory.All.Select(d => ToSnapshot(d, now)).ToList();
            }
        }
    }

    /// <summary>Devices Graph lists now.</summary>
    public int RegisteredCount => ListDevices(beta: false).Count;

    /// <summary>Imported identities as Graph would list them, filtered on serialNumber or importId containing a value.</summary>
    public (IReadOnlyList<ImportedIdentityResource> Page, int? Next) ListImported(int skip, int top, (string Property, string Value)? contains)
    {
        var all = ImportedIdentities.Where(i => Matches(contains, i.SerialNumber, i.ImportId)).ToList();
        return Slice(all, skip, top);
    }

    /// <summary>Devices as Graph lists them now (v1.0 shape), filtered on serialNumber containing a value.</summary>
    public (IReadOnlyList<AutopilotDeviceResource> Page, int? Next) ListRegistered(int skip, int top, (string Property, string Value)? contains)
    {
        var all = ListDevices(beta: false).Where(d => Matches(contains, d.SerialNumber, null)).ToList();
        return Slice(all, skip, top);
    }

    // ---- Internals ---------------------------------------------------------------------------------------------

    /// <summary>Called under the lock before anything is read or changed: ends due jobs, forgets deleted devices.</summary>
    private DateTimeOffset Advance()
    {
        var now = Now;
        _processor.Advance(now);
        _directory.Forget(now);
        return now;
    }

    private static bool Matches((string Property, string Value)? contains, string? serialNumber, string? importId)
    {
        if (contains is not { } filter)
        {
            return true;
        }

        var value = filter.Property.Equals("importId", StringComparison.OrdinalIgnoreCase) ? importId : serialNumber;
        return value?.Contains(filter.Value, StringComparison.OrdinalIgnoreCase) == true;
    }

    private static (IReadOnlyList<T> Page, int? Next) Slice<T>(List<T> all, int skip, int top)
    {
        var page = all.Skip(skip).Take(top).ToList();
        return (page, skip + page.Count < all.Count ? skip + page.Count : null);
    }

    private static ImportedIdentityResource ToResource(ImportedRecord record, DateTimeOffset now)
    {
        var status = record.StatusAt(now);
        var outcome = status is ImportStatus.Complete or ImportStatus.Error ? record.Outcome : null;
        return new ImportedIdentityResource
        {
            Id = record.Id,
            GroupTag = record.GroupTag,
            SerialNumber = record.SerialNumber,
            ProductKey = record.ProductKey,
            ImportId = record.ImportId,
            HardwareIdentifier = record.HardwareIdentifier,
            AssignedUserPrincipalName = record.AssignedUserPrincipalName,
            State = new ImportStateResource
            {
                DeviceImportStatus = status,
                DeviceRegistrationId = outcome?.RegistrationId ?? "",
                DeviceErrorCode = outcome?.ErrorCode ?? 0,
                DeviceErrorName = outcome?.ErrorName ?? "",
            },
        };
    }

    private static AutopilotDeviceResource ToResource(RegisteredDevice device, DateTimeOffset now, bool beta)
    {
        var resource = beta ? new BetaAutopilotDeviceResource() : new AutopilotDeviceResource();
        resource.Id = device.Id;
        resource.GroupTag = device.GroupTagAt(now);
        resource.SerialNumber = device.SerialNumber;
        resource.ProductKey = device.ProductKey;
        resource.EnrollmentState = device.EnrollmentState;
        resource.AddressableUserName = device.AddressableUserName;
        resource.UserPrincipalName = device.UserPrincipalName;
        resource.DisplayName = device.DisplayName;
        if (resource is BetaAutopilotDeviceResource betaResource)
        {
            var (status, assignedAt) = device.ProfileAt(now);
            betaResource.DeploymentProfileAssignmentStatus = status;
            betaResource.DeploymentProfileAssignedDateTime = assignedAt;
        }

        return resource;
    }

    private static DeviceSnapshot ToSnapshot(RegisteredDevice device, DateTimeOffset now) => new(
        device.Id, device.SerialNumber, device.GroupTagAt(now), device.EnrollmentState, device.RegisteredAt, device.ListedFrom,
        device.GoneAt, device.ProfileName, device.ProfileAt(now).Status, device.ProfileAssignedAt);
}
