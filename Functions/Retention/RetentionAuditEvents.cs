using System.Text.Json.Nodes;
using Sarthe.Enrolment.Audit;

namespace Sarthe.Enrolment.Retention;

/// <summary>The audit event of a retention run (its own kind, <see cref="AuditEventTypes.RetentionPurged"/>).</summary>
public static class RetentionAuditEvents
{
    /// <summary>
    /// One retention purge run: the rows it deleted per category, the rule of each and the closing date it knew (null:
    /// unset, so no <c>closing+</c> rule deleted anything). Of the programme (neither school nor device).
    /// </summary>
    public static AuditEvent Purged(RetentionRun run)
    {
        var deleted = new JsonObject();
        var rules = new JsonObject();
        foreach (var (category, rule) in run.Rules)
        {
            deleted[category] = run.Deleted.TryGetValue(category, out var count) ? count : 0;
            rules[category] = rule.ToString();
        }

        return AuditEvents.New(AuditEventTypes.RetentionPurged, AuditActor.Retention, null, null, run.RanAt, new JsonObject
        {
            ["deleted"] = deleted, ["releasedClaims"] = run.ReleasedClaims, ["rules"] = rules,
            ["programmeClosingDate"] = run.ProgrammeClosingDate?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        });
    }
}
