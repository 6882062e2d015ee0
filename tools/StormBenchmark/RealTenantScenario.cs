using Sarthe.DevHost;
using Sarthe.GraphEmulator;

namespace Sarthe.StormBenchmark;

/// <summary>
/// A real tenant's surprises (issue 20), set in the emulator before the storm: devices a reseller already registered
/// under its own group tag (their imports end in 806), records Graph cannot read (the whole POST holding one is
/// refused), import POSTs Graph takes and then answers 504. Devices are chosen from the run's seed, apart from each
/// other, so that a run can be repeated.
/// </summary>
public sealed class RealTenantScenario
{
    /// <summary>The reseller's tag on the devices it registered (as a Partner Center upload sets it).</summary>
    public const string ResellerTag = "RESELLER-LOT-42";

    private readonly Dictionary<string, string> _resellerSchools;
    private readonly HashSet<string> _unreadable;
    private readonly int _gatewayTimeouts;

    private RealTenantScenario(Dictionary<string, string> resellerSchools, HashSet<string> unreadable, int gatewayTimeouts)
    {
        _resellerSchools = resellerSchools;
        _unreadable = unreadable;
        _gatewayTimeouts = gatewayTimeouts;
    }

    public static RealTenantScenario Choose(StormSettings settings, IReadOnlyList<FleetDevice> fleet)
    {
        var order = Enumerable.Range(0, fleet.Count).ToArray();
        new Random(settings.Seed).Shuffle(order);
        var resellers = Math.Min(fleet.Count, (int)Math.Round(fleet.Count * settings.ResellerRegisteredPercent / 100));
        var unreadable = Math.Min(fleet.Count - resellers, settings.Unreadable);
        return new RealTenantScenario(
            order.Take(resellers).Select(i => fleet[i]).ToDictionary(d => d.Serial, d => d.SchoolUai, StringComparer.OrdinalIgnoreCase),
            order.Skip(resellers).Take(unreadable).Select(i => fleet[i].Serial).ToHashSet(StringComparer.OrdinalIgnoreCase),
            settings.GatewayTimeouts);
    }

    public bool IsEmpty => _resellerSchools.Count == 0 && _unreadable.Count == 0 && _gatewayTimeouts == 0;

    public string Describe() =>
        $"{_resellerSchools.Count} devices already registered by a reseller under {ResellerTag}, {_unreadable.Count} record(s) Graph cannot read, " +
        $"{_gatewayTimeouts} import POST(s) answered 504 after Graph took them";

    public bool WasResellerRegistered(string serialNumber) => _resellerSchools.ContainsKey(serialNumber);

    /// <summary>Sets the tenant up: the reseller's registrations (listed at once), the unreadable records, the 504s to come.</summary>
    public void Seed(GraphEmulatorState graph)
    {
        foreach (var serial in _resellerSchools.Keys)
        {
            graph.RegisterDevice(serial, ResellerTag);
        }

        graph.MakeUnreadable(_unreadable);
        graph.AnswerNextImportsAfterAccepting(_gatewayTimeouts);
    }

    /// <summary>The reseller's devices Autopilot does not show yet under their school's tag with the profile that tag leads to.</summary>
    public int TagsLeft(GraphEmulatorState graph) =>
        _resellerSchools.Count == 0 ? 0 : _resellerSchools.Count - Corrected(graph.Devices);

    /// <summary>What became of each surprise, from Graph's side (the emulator) and the product's (its device rows' failures).</summary>
    public RealTenantOutcome Outcome(GraphEmulatorState graph, IReadOnlyDictionary<string, string> failedCodeBySerial) => new(
        ResellerDevices: _resellerSchools.Count,
        TagsCorrected: Corrected(graph.Devices),
        ResellerFailed: _resellerSchools.Keys.Count(failedCodeBySerial.ContainsKey),
        Unreadable: _unreadable.Count,
        UnreadableFailed: _unreadable.Count(failedCodeBySerial.ContainsKey),
        OthersFailed: failedCodeBySerial.Keys.Count(s => !_unreadable.Contains(s)),
        UnreadableCodes: _unreadable.Select(s => failedCodeBySerial.GetValueOrDefault(s, "(not failed)")).Distinct().Order().ToList(),
        GatewayTimeouts: _gatewayTimeouts,
        GatewayTimeoutsNotAnswered: graph.Options.ImportsAnsweredGatewayTimeout,
        SerialsImportedMoreThanOnce: graph.ImportsBySerial.Count(s => s.Value > 1));

    private int Corrected(IEnumerable<DeviceSnapshot> devices) =>
        devices.Count(d => d.GoneAt is null && _resellerSchools.TryGetValue(d.SerialNumber, out var school)
                           && string.Equals(d.GroupTag, school, StringComparison.OrdinalIgnoreCase) && d.ProfileStatus == ProfileStatus.AssignedInSync);
}

/// <summary>What the storm made of a real tenant's surprises.</summary>
/// <param name="TagsCorrected">Reseller devices Autopilot shows under their school's tag, with that tag's profile assigned.</param>
/// <param name="GatewayTimeoutsNotAnswered">504s asked for that no import POST met (fewer imports than asked).</param>
/// <param name="SerialsImportedMoreThanOnce">Serials Graph took in more than one accepted POST: a batch sent twice shows here.</param>
public sealed record RealTenantOutcome(
    int ResellerDevices,
    int TagsCorrected,
    int ResellerFailed,
    int Unreadable,
    int UnreadableFailed,
    int OthersFailed,
    IReadOnlyList<string> UnreadableCodes,
    int GatewayTimeouts,
    int GatewayTimeoutsNotAnswered,
    int SerialsImportedMoreThanOnce)
{
    /// <summary>Every foreign tag corrected, only the unreadable records failed, no batch taken twice.</summary>
    public bool Met => TagsCorrected == ResellerDevices && ResellerFailed == 0 && UnreadableFailed == Unreadable && OthersFailed == 0 && SerialsImportedMoreThanOnce == 0;
}
