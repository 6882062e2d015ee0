using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Graph;
using Sarthe.Enrolment.Schools;

namespace Sarthe.Enrolment.Tenant;

/// <summary>
/// Reads what the readiness check needs (Graph through <see cref="TenantReadinessClient"/>, the active schools, the
/// devices registered without a profile for longer than the grace period) and hands it to <see cref="TenantReadinessEvaluator"/>.
/// </summary>
public sealed class TenantReadinessService(
    TenantReadinessClient tenant,
    SchoolStore schools,
    DeviceQueries devices,
    IOptions<TenantReadinessOptions> options,
    IOptions<GraphOptions> graphOptions,
    TimeProvider time)
{
    public async Task<TenantReadinessReport> CheckAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var grace = options.Value.ProfileGracePeriod;
        var probe = await tenant.ProbeAsync(cancellationToken);
        var profiles = probe.Access == TenantAccess.Granted
            ? await tenant.ReadProfilesAsync(cancellationToken)
            : new TenantRead<IReadOnlyList<DeploymentProfileFacts>>(probe.Access, null, probe.Detail);

        // One read per group a profile is assigned to; once Group.Read.All is found missing, the others are not tried.
        var groups = new Dictionary<string, TenantRead<GroupFacts?>>(StringComparer.OrdinalIgnoreCase);
        foreach (var groupId in (profiles.Value ?? []).SelectMany(p => p.GroupIds).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            groups[groupId] = groups.Values.FirstOrDefault(g => g.Access == TenantAccess.PermissionMissing)
                              ?? await tenant.ReadGroupAsync(groupId, cancellationToken);
        }

        var stale = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        var profileStatusRead = graphOptions.Value.ReadProfileStatus;
        if (profileStatusRead)
        {
            await foreach (var (uai, status) in devices.StreamWithoutProfileAsync(now - grace, cancellationToken))
            {
                (stale.TryGetValue(uai, out var list) ? list : stale[uai] = []).Add(status);
            }
        }

        var active = (await schools.ListAsync(cancellationToken)).Where(s => s.Active).Select(s => s.Uai).Order(StringComparer.Ordinal);
        return TenantReadinessEvaluator.Evaluate(
            new TenantFacts(probe, profiles, groups, profileStatusRead),
            active,
            stale.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.OrdinalIgnoreCase),
            grace,
            now);
    }
}
