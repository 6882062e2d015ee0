using System.Collections.Concurrent;

namespace Sarthe.GraphEmulator;

/// <summary>
/// The tenant the emulator pretends to be: imported identities, registered Autopilot devices,
/// per-app throttling windows and counters. Thread-safe; imports resolve lazily when their time is due.
/// </summary>
public sealed class GraphEmulatorState(GraphEmulatorOptions options, TimeProvider time)
{
    public const int AlreadyAssignedCode = 806;
    public const string AlreadyAssignedName = "ZtdDeviceAlreadyAssigned";
    public const int MalformedHashCode = 400;
    public const string MalformedHashName = "MalformedHardwareHash";

    private readonly object _gate = new();
    private readonly Dictionary<string, ImportedIdentity> _imported = [];
    private readonly List<string> _importedOrder = [];
    private readonly Dictionary<string, AutopilotIdentity> _registered = [];
    private readonly List<string> _registeredOrder = [];
    private readonly HashSet<string> _registeredSerials = new(StringComparer.OrdinalIgnoreCase);
    private readonly Queue<ImportedIdentity> _pending = new();
    private readonly ConcurrentDictionary<string, ThrottleWindow> _windows = new();
    private readonly Random _dice = new(options.RandomSeed);
    private long _requests;
    private long _writes;
    private long _throttled;
    private long _faults;
    private long _importActions;
    private long _identitiesImported;

    public GraphEmulatorOptions Options { get; } = options;

    public EmulatorCounters Counters => new(
        Interlocked.Read(ref _requests), Interlocked.Read(ref _writes), Interlocked.Read(ref _throttled),
        Interlocked.Read(ref _faults), Interlocked.Read(ref _importActions), Interlocked.Read(ref _identitiesImported));

    /// <summary>Counts a request against the app's budgets; returns how long to wait when over budget.</summary>
    public TimeSpan? Admit(string appId, bool isWrite)
    {
        Interlocked.Increment(ref _requests);
        var now = time.GetUtcNow();
        var window = _windows.GetOrAdd(appId, _ => new ThrottleWindow());
        lock (window)
        {
            var length = Options.Scaled(Options.ThrottleWindow);
            if (now - window.Start >= length)
            {
                window.Start = now;
                window.Requests = 0;
                window.Writes = 0;
            }

            if (window.Requests >= Options.RequestBudget || (isWrite && window.Writes >= Options.WriteBudget))
            {
                Interlocked.Increment(ref _throttled);
                return window.Start + length - now;
            }

            window.Requests++;
            if (isWrite)
            {
                window.Writes++;
                Interlocked.Increment(ref _writes);
            }

            return null;
        }
    }

    /// <summary>Rolls the fault dice: 503, 504, or null for no fault.</summary>
    public int? RollFault()
    {
        if (Options.FaultRate <= 0)
        {
            return null;
        }

        lock (_dice)
        {
            if (_dice.NextDouble() >= Options.FaultRate)
            {
                return null;
            }

            Interlocked.Increment(ref _faults);
            return _dice.Next(2) == 0 ? 503 : 504;
        }
    }

    public IReadOnlyList<ImportedIdentity> Import(IEnumerable<ImportedIdentity> identities)
    {
        Interlocked.Increment(ref _importActions);
        var now = time.GetUtcNow();
        var created = new List<ImportedIdentity>();
        lock (_gate)
        {
            foreach (var identity in identities)
            {
                identity.Id = Guid.NewGuid().ToString();
                identity.State = new ImportState();
                identity.ResolvesAt = now + Options.Scaled(Options.ImportProcessingDelay);
                _imported[identity.Id] = identity;
                _importedOrder.Add(identity.Id);
                _pending.Enqueue(identity);
                created.Add(identity);
            }
        }

        Interlocked.Add(ref _identitiesImported, created.Count);
        return created;
    }

    public ImportedIdentity? GetImported(string id)
    {
        lock (_gate)
        {
            ResolveDue();
            return _imported.GetValueOrDefault(id);
        }
    }

    public bool DeleteImported(string id)
    {
        lock (_gate)
        {
            ResolveDue();
            if (!_imported.Remove(id))
            {
                return false;
            }

            _importedOrder.Remove(id);
            return true;
        }
    }

    public (IReadOnlyList<ImportedIdentity> Page, int? Next) ListImported(int skip, int top, (string Property, string Value)? contains)
    {
        lock (_gate)
        {
            ResolveDue();
            return Page(_importedOrder.Select(id => _imported[id]), (i, property) => property.Equals("importId", StringComparison.OrdinalIgnoreCase) ? i.ImportId : i.SerialNumber, skip, top, contains);
        }
    }

    public AutopilotIdentity? GetRegistered(string id)
    {
        lock (_gate)
        {
            ResolveDue();
            return _registered.GetValueOrDefault(id);
        }
    }

    public (IReadOnlyList<AutopilotIdentity> Page, int? Next) ListRegistered(int skip, int top, (string Property, string Value)? contains)
    {
        lock (_gate)
        {
            ResolveDue();
            return Page(_registeredOrder.Select(id => _registered[id]), (d, _) => d.SerialNumber, skip, top, contains);
        }
    }

    public int RegisteredCount
    {
        get
        {
            lock (_gate)
            {
                ResolveDue();
                return _registered.Count;
            }
        }
    }

    public void OwnElsewhere(IEnumerable<string> serials)
    {
        lock (_gate)
        {
            Options.SerialsOwnedElsewhere.AddRange(serials);
        }
    }

    private static (IReadOnlyList<T> Page, int? Next) Page<T>(IEnumerable<T> items, Func<T, string, string?> property, int skip, int top, (string Property, string Value)? contains)
    {
        if (contains is { } filter)
        {
            items = items.Where(i => property(i, filter.Property)?.Contains(filter.Value, StringComparison.OrdinalIgnoreCase) == true);
        }

        var page = items.Skip(skip).Take(top + 1).ToList();
        if (page.Count <= top)
        {
            return (page, null);
        }

        page.RemoveAt(top);
        return (page, skip + top);
    }

    // Called under _gate: pending imports resolve in arrival order once their delay has passed.
    private void ResolveDue()
    {
        var now = time.GetUtcNow();
        while (_pending.TryPeek(out var next) && next.ResolvesAt <= now)
        {
            _pending.Dequeue();
            Resolve(next);
        }
    }

    private void Resolve(ImportedIdentity identity)
    {
        var serial = identity.SerialNumber ?? "";
        var ownedElsewhere = Options.SerialsOwnedElsewhere.Contains(serial, StringComparer.OrdinalIgnoreCase);
        if (ownedElsewhere || _registeredSerials.Contains(serial))
        {
            Fail(identity, AlreadyAssignedCode, AlreadyAssignedName);
            return;
        }

        if (!LooksLikeHardwareHash(identity.HardwareIdentifier) || serial.Length == 0)
        {
            Fail(identity, MalformedHashCode, MalformedHashName);
            return;
        }

        var device = new AutopilotIdentity
        {
            Id = Guid.NewGuid().ToString(),
            SerialNumber = serial,
            GroupTag = identity.GroupTag,
            ProductKey = identity.ProductKey ?? "",
            PurchaseOrderIdentifier = identity.OrderIdentifier ?? "",
        };
        _registered[device.Id] = device;
        _registeredOrder.Add(device.Id);
        _registeredSerials.Add(serial);
        identity.State.DeviceImportStatus = "complete";
        identity.State.DeviceRegistrationId = device.Id;
    }

    private static void Fail(ImportedIdentity identity, int code, string name)
    {
        identity.State.DeviceImportStatus = "error";
        identity.State.DeviceErrorCode = code;
        identity.State.DeviceErrorName = name;
    }

    /// <summary>A real hash is a few kilobytes; the emulator rejects anything under 64 bytes.</summary>
    private static bool LooksLikeHardwareHash(byte[]? hash) => hash is { Length: >= 64 and <= 8192 };

    private sealed class ThrottleWindow
    {
        public DateTimeOffset Start { get; set; } = DateTimeOffset.MinValue;

        public int Requests { get; set; }

        public int Writes { get; set; }
    }
}
