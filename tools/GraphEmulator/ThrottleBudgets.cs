namespace Sarthe.GraphEmulator;

/// <summary>Which budget, if any, refused a request.</summary>
public enum ThrottleVerdict
{
    Admitted,
    ThrottledByApp,
    ThrottledByTenant,
}

/// <summary>The verdict and the time left in the window (what Retry-After announces).</summary>
public readonly record struct Admission(ThrottleVerdict Verdict, TimeSpan UntilWindowEnds);

/// <summary>
/// Intune enrollment service limits (microsoft-graph-docs-contrib concepts/throttling-limits.md, includes/
/// throttling-intune-enrollment.md): per app per tenant 100 writes and 1,000 requests, per tenant for all apps 200 writes
/// and 2,000 requests, per 20 s. Applying them to the Autopilot resources is an inference: the include does not list them.
/// Windows are fixed and aligned on the emulator's start, both budgets counted per window; other apps of the tenant use
/// <see cref="GraphEmulatorOptions.BackgroundWritesPerWindow"/> and <see cref="GraphEmulatorOptions.BackgroundRequestsPerWindow"/>
/// of every window. Refused requests use no budget. Thread-safe.
/// </summary>
public sealed class ThrottleBudgets(GraphEmulatorOptions options, TimeProvider time)
{
    private readonly object _gate = new();
    private readonly DateTimeOffset _epoch = time.GetUtcNow();
    private readonly Dictionary<string, Tally> _apps = new(StringComparer.Ordinal);
    private readonly Tally _tenant = new();
    private long _maxAppRequests;
    private long _maxAppWrites;

    /// <summary>Most requests one app sent in one window, refused ones included.</summary>
    public long MaxAppRequestsInWindow => Interlocked.Read(ref _maxAppRequests);

    /// <summary>Most writes one app sent in one window, refused ones included.</summary>
    public long MaxAppWritesInWindow => Interlocked.Read(ref _maxAppWrites);

    /// <summary>Counts a request as sent by <paramref name="appId"/>, whatever its answer will be.</summary>
    public void RecordSent(string appId, bool isWrite)
    {
        lock (_gate)
        {
            var tally = Current(AppTally(appId), out _);
            tally.Sent++;
            _maxAppRequests = Math.Max(_maxAppRequests, tally.Sent);
            if (isWrite)
            {
                tally.SentWrites++;
                _maxAppWrites = Math.Max(_maxAppWrites, tally.SentWrites);
            }
        }
    }

    /// <summary>Admits the request against both budgets, or names the one it exceeds.</summary>
    public Admission Admit(string appId, bool isWrite)
    {
        lock (_gate)
        {
            var app = Current(AppTally(appId), out var windowEnd);
            var tenant = Current(_tenant, out _);
            var left = windowEnd - time.GetUtcNow();
            if (app.Requests >= options.AppRequestsPerWindow || (isWrite && app.Writes >= options.AppWritesPerWindow))
            {
                return new Admission(ThrottleVerdict.ThrottledByApp, left);
            }

            var backgroundWrites = Math.Max(0, options.BackgroundWritesPerWindow);
            var backgroundRequests = Math.Max(backgroundWrites, options.BackgroundRequestsPerWindow);
            if (tenant.Requests + backgroundRequests >= options.TenantRequestsPerWindow
                || (isWrite && tenant.Writes + backgroundWrites >= options.TenantWritesPerWindow))
            {
                return new Admission(ThrottleVerdict.ThrottledByTenant, left);
            }

            app.Requests++;
            tenant.Requests++;
            if (isWrite)
            {
                app.Writes++;
                tenant.Writes++;
            }

            return new Admission(ThrottleVerdict.Admitted, left);
        }
    }

    private Tally AppTally(string appId)
    {
        if (!_apps.TryGetValue(appId, out var tally))
        {
            tally = new Tally();
            _apps[appId] = tally;
        }

        return tally;
    }

    /// <summary>The tally reset to the window <c>now</c> falls in.</summary>
    private Tally Current(Tally tally, out DateTimeOffset windowEnd)
    {
        var length = options.Scaled(options.ThrottleWindow);
        if (length <= TimeSpan.Zero)
        {
            length = TimeSpan.FromTicks(1);
        }

        var elapsed = time.GetUtcNow() - _epoch;
        var index = elapsed.Ticks / length.Ticks;
        windowEnd = _epoch + TimeSpan.FromTicks((index + 1) * length.Ticks);
        if (tally.Window != index)
        {
            tally.Window = index;
            tally.Requests = tally.Writes = tally.Sent = tally.SentWrites = 0;
        }

        return tally;
    }

    private sealed class Tally
    {
        public long Window { get; set; } = -1;

        public long Requests { get; set; }

        public long Writes { get; set; }

        public long Sent { get; set; }

        public long SentWrites { get; set; }
    }
}
