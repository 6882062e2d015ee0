using System.Collections.Concurrent;

namespace Sarthe.Enrolment.Keys;

/// <summary>
/// Each school's key ids as the enrolment hot path reads them: from memory for 8 s, and again from storage when a
/// signature fails against the cached ids (at most every <c>EnrolmentLimits:KeyRefreshInterval</c> per school, so
/// that forged requests cost no storage read), so a freshly issued key works at once on the instance that issued it
/// and within that interval on the others. A key a rotation revoked
/// (rotated out twice) is refused by every instance within 8 s of the rotation's answer (the contract allows 10 s).
/// Expiry of a previous key is checked on every request against its stored date, never cached.
/// </summary>
public sealed class SchoolKeyCache(SchoolKeyStore keys, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(8);
    private readonly ConcurrentDictionary<string, (SchoolKeySet? Keys, DateTimeOffset Expires)> _keys = new(StringComparer.Ordinal);

    public async Task<SchoolKeySet?> GetAsync(string uai, bool refresh, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!refresh && _keys.TryGetValue(uai, out var cached) && cached.Expires > now)
        {
            return cached.Keys;
        }

        var fresh = await keys.GetAsync(uai, cancellationToken);
        _keys[uai] = (fresh, now + Lifetime);
        return fresh;
    }

    /// <summary>After a rotation on this instance: its next request reads the new key ids.</summary>
    public void Forget(string uai) => _keys.TryRemove(uai, out _);
}
