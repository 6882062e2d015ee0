namespace Sarthe.Enrolment.Schools;

/// <summary>
/// The school registry as the enrolment hot path reads it: from memory, refreshed every minute, so a first-boot
/// storm does not read the <c>Schools</c> table once per request. A UAI that names no school is answered from the
/// cache too: requests naming no real school cost no storage read.
/// </summary>
public sealed class SchoolCache(SchoolStore schools, TimeProvider time)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);
    private (IReadOnlyDictionary<string, School> Schools, DateTimeOffset Expires)? _cached;

    public async Task<School?> GetAsync(string uai, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cached is not { } cached || cached.Expires <= now)
        {
            var all = await schools.ListAsync(cancellationToken);
            _cached = cached = (all.ToDictionary(s => s.Uai, StringComparer.Ordinal), now + Lifetime);
        }

        return cached.Schools.GetValueOrDefault(uai);
    }
}
