using Microsoft.Extensions.Options;

namespace Sarthe.Enrolment.Graph;

/// <summary>
/// What this app may still spend of Intune's Graph budget: per app and tenant, 100 writes and 1,000 requests per
/// 20 s for the enrollment service (learn.microsoft.com/graph/throttling-limits, "Intune enrollment service limits"),
/// shared by every instance of the product. Only the Autopilot sync (a singleton timer) calls Graph, so one
/// process's sliding log is the app's spend; a 429 (another app used the tenant's budget) stops all calls until
/// its Retry-After. Every HTTP request is counted by <see cref="GraphBudgetHandler"/>, SDK retries included.
/// </summary>
public sealed class GraphBudget(IOptions<GraphOptions> options, TimeProvider time)
{
    private readonly Queue<(DateTimeOffset At, bool Write)> _spent = new();
    private readonly object _gate = new();
    private DateTimeOffset _blockedUntil = DateTimeOffset.MinValue;

    private GraphOptions Options => options.Value;

    public int RequestsLeft
    {
        get
        {
            lock (_gate)
            {
                Expire();
                return Math.Max(0, (int)(Options.RequestsPerWindow * Options.BudgetShare) - _spent.Count);
            }
        }
    }

    public int WritesLeft
    {
        get
        {
            lock (_gate)
            {
                Expire();
                return Math.Max(0, Math.Min((int)(Options.WritesPerWindow * Options.BudgetShare) - _spent.Count(s => s.Write), RequestsLeft));
            }
        }
    }

    /// <summary>How long Graph asked us to wait (after a 429), or zero.</summary>
    public TimeSpan BlockedFor => _blockedUntil - time.GetUtcNow() is { Ticks: > 0 } wait ? wait : TimeSpan.Zero;

    /// <summary>Whether <paramref name="requests"/> requests, <paramref name="writes"/> of them writes, fit in what is left now.</summary>
    public bool Affords(int requests, int writes = 0) => BlockedFor == TimeSpan.Zero && RequestsLeft >= requests && WritesLeft >= writes;

    public void Record(bool write)
    {
        lock (_gate)
        {
            _spent.Enqueue((time.GetUtcNow(), write));
        }
    }

    public void Throttled(TimeSpan wait)
    {
        lock (_gate)
        {
            var until = time.GetUtcNow() + wait;
            if (until > _blockedUntil)
            {
                _blockedUntil = until;
            }
        }
    }

    private void Expire()
    {
        var since = time.GetUtcNow() - Options.BudgetWindow;
        while (_spent.TryPeek(out var oldest) && oldest.At <= since)
        {
            _spent.Dequeue();
        }
    }
}
