namespace Sarthe.StormBenchmark;

/// <summary>
/// The soonest any client could have every device listed in Autopilot, and its profile assigned, under the emulator's
/// model: imports run FIFO on W workers, a job of n identities (n ≤ B) takes D(n) = J + n·p once started, a device is
/// listed L after its job ends and assigned P after it is listed. Graph's latency, polling and storage are left out.
/// </summary>
/// <remarks>
/// M(n) = ceil(n/(W·B))·J + ceil(n/W)·p is the least time n identities need on W idle workers: the worker that gets the
/// most identities gets at least ceil(n/W) of them, so at least ceil(n/(W·B)) jobs. The devices accepted from the i-th on
/// cannot be imported before the i-th was accepted (τ_i), hence
/// LB_registered = max_i [τ_i + M(N − i + 1)] + L and LB_assigned = LB_registered + P.
/// The issue's form, max(t_last + D(1) + L, t_first + ceil(N/(B·W))·D(B) + L), is the two ends of that maximum with
/// ceil(N/(B·W))·D(B) in place of M(N). The two agree when N is a multiple of W·B (8,000 = 4 × 2,000), but otherwise
/// ceil(N/(B·W))·D(B) exceeds what Intune can do, so it is not a lower bound: 500 devices as 4 jobs of 125 finish in
/// D(125) = 72.5 s, not D(500) = 110 s. During an outage [s, e] nothing can be sent: a device accepted after the outage
/// began counts as accepted when it ended; and nothing can be seen: a listing or an assignment that falls within the
/// outage is seen at e at the soonest (f(t) = e for s ≤ t &lt; e, else t; f grows with t, so f(bound) stays a bound).
/// Imports sent before the outage go on in Intune meanwhile, so an outage that begins once every device is in an import
/// costs the bound nothing but that.
/// </remarks>
public sealed record LowerBound(
    double Registered,
    double Assigned,
    double IssueLastTerm,
    double IssueFirstTerm,
    double FirstAccept,
    double LastAccept,
    int Devices)
{
    /// <summary>The issue's formula (not a valid bound when N is not a multiple of W·B: see remarks).</summary>
    public double IssueFormula => Math.Max(IssueLastTerm, IssueFirstTerm);

    /// <param name="acceptSeconds">Each device's acceptance, seconds from the origin.</param>
    /// <param name="outage">An outage (start, end) in the same seconds, or null.</param>
    public static LowerBound Compute(RealisticModel model, IEnumerable<double> acceptSeconds, (double Start, double End)? outage = null)
    {
        var accepted = acceptSeconds.Order().ToArray();
        if (accepted.Length == 0)
        {
            return new LowerBound(0, 0, 0, 0, 0, 0, 0);
        }

        var n = accepted.Length;
        var w = model.Workers;
        var b = model.MaxImportBatch;
        var j = model.JobFixed.TotalSeconds;
        var p = model.JobPerIdentity.TotalSeconds;
        var lag = model.SyncLag.TotalSeconds;

        var latest = 0.0;
        for (var i = 0; i < n; i++)
        {
            var from = accepted[i];
            if (outage is { } o && from >= o.Start)
            {
                from = Math.Max(from, o.End);
            }

            var left = n - i;
            var least = Math.Ceiling((double)left / (w * b)) * j + Math.Ceiling((double)left / w) * p;
            latest = Math.Max(latest, from + least);
        }

        var registered = latest + lag;
        var assigned = registered + model.ProfileDelay.TotalSeconds;
        double Seen(double t) => outage is { } window && t >= window.Start && t < window.End ? window.End : t;
        var issueLast = accepted[^1] + model.Job(1).TotalSeconds + lag;
        var issueFirst = accepted[0] + Math.Ceiling((double)n / (b * w)) * model.Job(b).TotalSeconds + lag;
        return new LowerBound(Seen(registered), Seen(assigned), issueLast, issueFirst, accepted[0], accepted[^1], n);
    }
}
