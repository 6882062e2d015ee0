using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Reporting;

namespace Sarthe.Enrolment.Retention;

/// <summary>
/// The daily purge: each category's rows past its rule (<see cref="RetentionOptions"/>) are deleted, and the run is
/// recorded in the audit trail as one <c>retention.purged</c> entry with the counts per category (itself an audit
/// entry, kept under <see cref="RetentionOptions.AuditEntries"/>). Running again deletes nothing more.
/// </summary>
public sealed class RetentionPurge(
    TableServiceClient tables,
    SerialClaims claims,
    AuditPublisher audit,
    IOptions<RetentionOptions> options,
    IOptions<FundingOptions> funding,
    TimeProvider time,
    ILogger<RetentionPurge> logger)
{
    public async Task<RetentionRun> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var rules = RetentionCategory.Rules(options.Value).ToDictionary(r => r.Category, r => r.Rule, StringComparer.Ordinal);
        var closing = funding.Value.ProgrammeClosingDate;
        var deleter = new ExpiredRowDeleter(options.Value.Concurrency);
        var deleted = rules.Keys.ToDictionary(c => c, _ => 0L, StringComparer.Ordinal);

        foreach (var target in RetentionTargets.All)
        {
            if (rules[target.Category].ExpiredBefore(now, closing) is not { } before)
            {
                continue;
            }

            var table = tables.GetTableClient(target.Table);
            deleted[target.Category] += await deleter.DeleteAsync(table, target.ExpiredBefore(before), target.UnderETag, cancellationToken);
        }

        // The claims of deregistered rows deleted now or by a run cut short.
        var releasedClaims = await claims.DeleteOrphanedReleasesAsync(cancellationToken);

        var run = new RetentionRun(now, closing, rules, deleted, releasedClaims);
        logger.LogInformation("Retention purge deleted {Deleted} rows ({AuditEntries} audit entries, {RejectedAttempts} refused attempts, {DeregisteredDevices} deregistered devices, {Archive} archived rows, {Inventory} inventory lines, {Reports} report rows)",
            deleted.Values.Sum(), deleted[RetentionCategory.AuditEntries], deleted[RetentionCategory.RejectedAttempts], deleted[RetentionCategory.DeregisteredDevices],
            deleted[RetentionCategory.Archive], deleted[RetentionCategory.Inventory], deleted[RetentionCategory.Reports]);

        // Logged first: should the queue be unreachable, the run fails (and is retried tomorrow) but its counts are known.
        await audit.PublishAsync(RetentionAuditEvents.Purged(run), cancellationToken);
        return run;
    }
}

/// <summary>What one purge run did: the rules it applied and the rows it deleted per category.</summary>
public sealed record RetentionRun(
    DateTimeOffset RanAt,
    DateOnly? ProgrammeClosingDate,
    IReadOnlyDictionary<string, RetentionRule> Rules,
    IReadOnlyDictionary<string, long> Deleted,
    long ReleasedClaims);
