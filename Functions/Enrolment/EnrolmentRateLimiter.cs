using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Sarthe.Enrolment.Enrolment;

/// <summary>
/// In memory, per instance, before any device is read: a token bucket per source address that only refused enrolment
/// attempts spend (bad or missing signature, stale timestamp, unknown key or school: a correctly signed attempt never
/// does, so the schools behind one address never throttle each other; status reads in buckets of their own), one per
/// school (attempts signed with its key), and the pace at which a failing signature may send a school's key ids back to
/// storage. Idle buckets are forgotten.
/// </summary>
public sealed class EnrolmentRateLimiter(IOptions<EnrolmentLimitOptions> options, TimeProvider time)
{
    private const int MaxSources = 100_000;
    private readonly SourceBuckets _sources = new();
    private readonly SourceBuckets _statusSources = new();
    private readonly ConcurrentDictionary<string, TokenBucket> _schools = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _keyRefreshes = new(StringComparer.Ordinal);

    /// <summary>
    /// Whether an enrolment attempt from this source address may go on (its refusals have not used up its tokens): null
    /// when it may, otherwise how long it should wait. Takes nothing: only <see cref="SpendRefusal"/> does.
    /// </summary>
    public TimeSpan? SourceWait(string source)
    {
        var settings = options.Value;
        return _sources.Wait(source, settings.PerSourceBurst, settings.PerSourcePerMinute, time.GetUtcNow());
    }

    /// <summary>An enrolment attempt from this source address was refused before anyone was authenticated: it spends a token.</summary>
    public void SpendRefusal(string source)
    {
        var settings = options.Value;
        _sources.Take(source, settings.PerSourceBurst, settings.PerSourcePerMinute, time.GetUtcNow());
    }

    /// <summary>A status read from this source address (a bucket of its own): null when it may go on, otherwise how long it should wait.</summary>
    public TimeSpan? TakeStatusRead(string source)
    {
        var settings = options.Value;
        return _statusSources.Take(source, settings.StatusPerSourceBurst, settings.StatusPerSourcePerMinute, time.GetUtcNow());
    }

    /// <summary>
    /// An attempt signed with this school's key: null when it may go on, otherwise how long to wait. Forged requests
    /// never reach it (they fail the signature first), so no stranger can lock a school out; it bounds what the holder
    /// of a stolen key can do. There are 56 schools: these buckets are never forgotten.
    /// </summary>
    public TimeSpan? TakeSchoolAttempt(string schoolUai)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        return _schools.GetOrAdd(schoolUai, _ => new TokenBucket(settings.PerSchoolBurst, settings.PerSchoolPerMinute, now)).Take(now);
    }

    /// <summary>Whether this school's key ids may be read from storage again now (at most once per KeyRefreshInterval).</summary>
    public bool MayRefreshKeys(string schoolUai)
    {
        var now = time.GetUtcNow();
        var last = _keyRefreshes.GetOrAdd(schoolUai, DateTimeOffset.MinValue);
        return now - last >= options.Value.KeyRefreshInterval && _keyRefreshes.TryUpdate(schoolUai, now, last);
    }

    /// <summary>One bucket per source address, for one kind of request.</summary>
    private sealed class SourceBuckets
    {
        private readonly ConcurrentDictionary<string, TokenBucket> _buckets = new(StringComparer.Ordinal);
        private long _lastSweepTicks;

        public TimeSpan? Take(string source, int burst, int perMinute, DateTimeOffset now)
        {
            if (_buckets.Count > MaxSources)
            {
                ForgetIdleSources(now);
            }

            return _buckets.GetOrAdd(source, _ => new TokenBucket(burst, perMinute, now)).Take(now);
        }

        /// <summary>How long this source must wait for a token (null: it has one); an unknown source has a full bucket, and gets none yet.</summary>
        public TimeSpan? Wait(string source, int burst, int perMinute, DateTimeOffset now) =>
            _buckets.TryGetValue(source, out var bucket) ? bucket.Wait(now) : null;

        /// <summary>
        /// A flood spread over many addresses must not grow memory, nor cost a scan per request: at most every ten seconds,
        /// buckets that are full again (idle sources) are forgotten, and if that is not enough, all of them (a hard bound;
        /// such a flood is for the front end's DDoS protection, see docs/security.md).
        /// </summary>
        private void ForgetIdleSources(DateTimeOffset now)
        {
            var last = Interlocked.Read(ref _lastSweepTicks);
            if (now.UtcTicks - last < TimeSpan.TicksPerSecond * 10 || Interlocked.CompareExchange(ref _lastSweepTicks, now.UtcTicks, last) != last)
            {
                return;
            }

            foreach (var (source, bucket) in _buckets)
            {
                if (bucket.IsFull(now))
                {
                    _buckets.TryRemove(source, out _);
                }
            }

            if (_buckets.Count > MaxSources)
            {
                _buckets.Clear();
            }
        }
    }

    /// <summary><paramref name="burst"/> attempts at once, then <paramref name="perMinute"/> more each minute.</summary>
    private sealed class TokenBucket(int burst, int perMinute, DateTimeOffset at)
    {
        private readonly Lock _lock = new();
        private double _tokens = burst;
        private DateTimeOffset _at = at;

        public TimeSpan? Take(DateTimeOffset now)
        {
            lock (_lock)
            {
                Refill(now);
                if (_tokens >= 1)
                {
                    _tokens--;
                    return null;
                }

                return TimeSpan.FromSeconds(Math.Ceiling((1 - _tokens) * 60 / perMinute));
            }
        }

        public TimeSpan? Wait(DateTimeOffset now)
        {
            lock (_lock)
            {
                Refill(now);
                return _tokens >= 1 ? null : TimeSpan.FromSeconds(Math.Ceiling((1 - _tokens) * 60 / perMinute));
            }
        }

        public bool IsFull(DateTimeOffset now)
        {
            lock (_lock)
            {
                Refill(now);
                return _tokens >= burst;
            }
        }

        private void Refill(DateTimeOffset now)
        {
            _tokens = Math.Min(burst, _tokens + ((now - _at).TotalMinutes * perMinute));
            _at = now;
        }
    }
}
