using Sarthe.GraphEmulator;

namespace Sarthe.StormBenchmark;

/// <summary>One mode's run (the product, or the per-device baseline), its times in seconds from its first acceptance.</summary>
public sealed record RunResult
{
    public required string Mode { get; init; }

    public required int Devices { get; init; }

    public required int Accepted { get; init; }

    /// <summary>429s the product's enrolment route answered (each honoured: the client waited Retry-After and sent again).</summary>
    public long EnrolmentThrottled { get; init; }

    /// <summary>5xx answers of the enrolment route, and requests without an answer (each tried again with back-off).</summary>
    public long EnrolmentUnavailable { get; init; }

    /// <summary>From the first request sent to the last answer of the accepting phase.</summary>
    public required double AcceptSeconds { get; init; }

    /// <summary>Accept latencies (the product: POST /api/enrolments; the baseline: its POST to Graph, SDK retries included).</summary>
    public required double P50Ms { get; init; }

    public required double P95Ms { get; init; }

    public required double P99Ms { get; init; }

    public double AcceptedPerSecond => AcceptSeconds > 0 ? Accepted / AcceptSeconds : 0;

    /// <summary>When every registered device was registered (null when none was).</summary>
    public required double? AllRegisteredAt { get; init; }

    /// <summary>When every registered device had its profile assigned (null when some never did).</summary>
    public required double? AllAssignedAt { get; init; }

    /// <summary>When the last imported identity record was deleted (null when some are left).</summary>
    public required double? NoRecordsLeftAt { get; init; }

    public required int Registered { get; init; }

    public required int Assigned { get; init; }

    public required int Failed { get; init; }

    /// <summary>Failed devices by Intune's code (lastError.code), e.g. ZtdDeviceAlreadyAssigned: 3.</summary>
    public required IReadOnlyDictionary<string, int> FailedByCode { get; init; }

    /// <summary>Accepted but neither registered nor failed when the run stopped waiting.</summary>
    public int Lost => Accepted - Registered - Failed;

    public required long RecordsLeft { get; init; }

    public required EmulatorCounters Counters { get; init; }

    public required Timeline Timeline { get; init; }

    public required LowerBound LowerBound { get; init; }

    /// <summary>Seconds from the origin to each acceptance, for the lower bound and projections.</summary>
    public required IReadOnlyList<double> AcceptTimes { get; init; }

    /// <summary>The origin of every time above.</summary>
    public required DateTimeOffset Origin { get; init; }

    public OutageResult? Outage { get; init; }

    /// <summary>What became of the real tenant's surprises (--reseller-registered, --unreadable, --gateway-timeouts), if any.</summary>
    public RealTenantOutcome? RealTenant { get; init; }

    /// <summary>What Graph itself did, from the emulator's devices: the last job's end, the last listing, the last profile assigned.</summary>
    public required GraphMoments Graph { get; init; }

    /// <summary>Graph calls the baseline client saw fail after the SDK's own retries, and tried again.</summary>
    public long ClientErrors { get; init; }

    public double Seconds(DateTimeOffset? at) => at is { } moment ? (moment - Origin).TotalSeconds : double.NaN;
}

/// <summary>The outage of the run and what followed it.</summary>
/// <param name="AcceptedWhenStarted">Devices accepted when it began.</param>
/// <param name="ImportsWhenStarted">Import actions Graph had taken when it began.</param>
/// <param name="IdentitiesInGraphWhenStarted">Imported identity records Graph held when it began (imports in flight or not yet deleted).</param>
/// <param name="FirstServedAfter">The first Graph call served after its end, and its kind.</param>
public sealed record OutageResult(
    TimeSpan Length,
    double StartedAt,
    double EndedAt,
    int AcceptedWhenStarted,
    long ImportsWhenStarted,
    long IdentitiesInGraphWhenStarted,
    long Answered503,
    double? FirstServedAfter,
    string FirstServedKind,
    double? FirstRegistrationCallAfter);

/// <summary>Seconds from the origin to the moments Intune decided (the emulator's device times), so that the product's delays show.</summary>
public sealed record GraphMoments(double? LastJobEnded, double? LastListed, double? LastAssigned)
{
    public static GraphMoments From(IReadOnlyList<DeviceSnapshot> devices, DateTimeOffset origin)
    {
        double? Latest(Func<DeviceSnapshot, DateTimeOffset?> moment) =>
            devices.Select(moment).OfType<DateTimeOffset>().Select(m => (m - origin).TotalSeconds).DefaultIfEmpty(double.NaN).Max() is var v && double.IsFinite(v) ? v : null;

        return new GraphMoments(Latest(d => d.RegisteredAt), Latest(d => d.ListedFrom), Latest(d => d.ProfileAssignedAt));
    }
}
