using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Sarthe.Enrolment.Enrolment;

/// <summary>
/// In memory, per instance, before any storage read: a token bucket per source address, and the pace at which a
/// failing signature may send a school's key ids back to storage. Idle buckets are forgotten.
/// </summary>
public sealed class EnrolmentRateLimiter(IOptions<EnrolmentLimitOptions> options, TimeProvider time)
{
    private const int MaxSources = 100_000;
    private readonly ConcurrentDictionary<string, Bucket> _sources = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _keyRefreshes = new(StringComparer.Ordinal);
    private long _lastSweepTicks;

    /// <summary>Null when the source may go on; otherwise how long it should wait.</summary>
    public TimeSpan? TakeAttempt(string source)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        if (_sources.Count > MaxSources)
        {
            Forget(now, settings);
        }

        return _sources.GetOrAdd(source, _ => new Bucket(settings.PerSourceBurst, now)).Take(now, settings);
    }

    /// <summary>Whether this school's key ids may be read from storage again now (at most once per KeyRefreshInterval).</summary>
    public bool MayRefreshKeys(string schoolUai)
    {
        var now = time.GetUtcNow();
        var last = _keyRefreshes.GetOrAdd(schoolUai, DateTimeOffset.MinValue);
        return now - last >= options.Value.KeyRefreshInterval && _keyRefreshes.TryUpdate(schoolUai, now, last);
    }

    /// <summary>
    /// A flood spread over many addresses must not grow memory, nor cost a scan per request: at most every ten seconds,
    /// buckets that are full again (idle sources) are forgotten, and if that is not enough, all of them (a hard bound;
    /// such a flood is for the front end's DDoS protection, see docs/security.md).
    /// </summary>
    private void Forget(DateTimeOffset now, EnrolmentLimitOptions settings)
    {
        var last = Interlocked.Read(ref _lastSweepTicks);
        if (now.UtcTicks - last < TimeSpan.TicksPerSecond * 10 || Interlocked.CompareExchange(ref _lastSweepTicks, now.UtcTicks, last) != last)
        {
            return;
        }

        foreach (var (source, bucket) in _sources)
        {
            if (bucket.IsFull(now, settings))
            {
                _sources.TryRemove(source, out _);
            }
        }

        if (_sources.Count > MaxSources)
        {
            _sources.Clear();
        }
    }

    private sealed class Bucket(double tokens, DateTimeOffset at)
    {
        private double _tokens = tokens;
        private DateTimeOffset _at = at;

        public TimeSpan? Take(DateTimeOffset now, EnrolmentLimitOptions settings)
        {
            lock (this)
            {
                Refill(now, settings);
                if (_tokens >= 1)
                {
                    _tokens--;
                    return null;
                }

                return TimeSpan.FromSeconds(Math.Ceiling((1 - _tokens) * 60 / settings.PerSourcePerMinute));
            }
        }

        public bool IsFull(DateTimeOffset now, EnrolmentLimitOptions settings)
        {
            lock (this)
            {
                Refill(now, settings);
                return _tokens >= settings.PerSourceBurst;
            }
        }

        private void Refill(DateTimeOffset now, EnrolmentLimitOptions settings)
        {
            _tokens = Math.Min(settings.PerSourceBurst, _tokens + ((now - _at).TotalMinutes * settings.PerSourcePerMinute));
            _at = now;
        }
    }
}
