using System.Collections.Concurrent;
using Sarthe.Enrolment.Keys;

namespace Sarthe.Enrolment.Schools;

/// <summary>
/// Keeps the hot path of a first-boot storm off storage for data that changes rarely: the school registry
/// (refreshed every minute) and each school's key ids (refreshed every 30 s, and at once when a signature
/// fails against the cached ids, so a freshly issued key works immediately). Expiry of a previous key is
/// checked on every request against its stored date, never cached.
/// </summary>
public sealed class SchoolCache(SchoolDirectory schools, SchoolKeyStore keys, TimeProvider time)
{
    private static readonly TimeSpan SchoolsLifetime = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan KeysLifetime = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, (SchoolKeySet? Keys, DateTimeOffset Expires)> _keys = new(StringComparer.Ordinal);
    private (IReadOnlyDictionary<string, School> Schools, DateTimeOffset Expires)? _schools;

    public async Task<School?> GetSchoolAsync(string uai, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        // An unknown UAI is answered from the cache too: requests naming no real school cost no storage read.
        if (_schools is not { } cached || cached.Expires <= now)
        {
            var all = await schools.ListAsync(cancellationToken);
            _schools = cached = (all.ToDictionary(s => s.Uai, StringComparer.Ordinal), now + SchoolsLifetime);
        }

        return cached.Schools.GetValueOrDefault(uai);
    }

    public async Task<SchoolKeySet?> GetKeysAsync(string uai, bool refresh, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!refresh && _keys.TryGetValue(uai, out var cached) && cached.Expires > now)
        {
            return cached.Keys;
        }

        var fresh = await keys.GetAsync(uai, cancellationToken);
        _keys[uai] = (fresh, now + KeysLifetime);
        return fresh;
    }
}
