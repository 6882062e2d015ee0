using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Sarthe.Enrolment.Audit;

/// <summary>
/// Counts enrolment attempts refused before anyone was authenticated (bad or missing signature, stale timestamp) per
/// school, reason and minute, and audits each count once a minute is over: one <c>device.enrolment_rejected</c>
/// entry per school, reason and minute, carrying the number of attempts, however many instances saw them (the trail
/// adds their counts up). A flood of forged requests never buries a school's real trail and costs no storage write
/// per request. Attempts naming no known school are only counted in the log.
/// </summary>
public sealed class RejectionTally(AuditPublisher audit, TimeProvider time, ILogger<RejectionTally> logger) : BackgroundService
{
    private static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<(string SchoolUai, string Reason, int Status, DateTimeOffset Minute), int> _counts = new();
    private long _unknownSchool;

    /// <summary>An unauthenticated attempt refused; <paramref name="schoolUai"/> null when it named no school of the registry.</summary>
    public void Record(string? schoolUai, string reason, int status)
    {
        if (schoolUai is null)
        {
            Interlocked.Increment(ref _unknownSchool);
            return;
        }

        var now = time.GetUtcNow();
        var minute = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero);
        _counts.AddOrUpdate((schoolUai, reason, status, minute), 1, (_, count) => count + 1);
    }

    /// <summary>Publishes the counts of the minutes that are over (all of them when <paramref name="everything"/>).</summary>
    public async Task FlushAsync(bool everything, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var taken = new List<((string SchoolUai, string Reason, int Status, DateTimeOffset Minute) Key, int Attempts)>();
        foreach (var key in _counts.Keys.Where(k => everything || k.Minute.AddMinutes(1) <= now).ToList())
        {
            if (_counts.TryRemove(key, out var attempts))
            {
                taken.Add((key, attempts));
            }
        }

        var events = taken.Select(t => AuditEvents.EnrolmentRejectedTally(t.Key.SchoolUai, t.Key.Reason, t.Key.Status, t.Key.Minute, t.Attempts, Guid.NewGuid())).ToList();

        if (Interlocked.Exchange(ref _unknownSchool, 0) is var unknown and > 0)
        {
            logger.LogWarning("{Attempts} enrolment attempts named no school of the registry (counted, not audited)", unknown);
        }

        if (events.Count == 0)
        {
            return;
        }

        var published = false;
        try
        {
            await audit.PublishAsync(events, cancellationToken);
            published = true;
        }
        finally
        {
            if (!published)
            {
                // Counted again at the next flush: nothing is lost while the queue is unreachable.
                foreach (var (key, attempts) in taken)
                {
                    _counts.AddOrUpdate(key, attempts, (_, count) => count + attempts);
                }
            }
        }

        logger.LogInformation("Refused enrolment attempts audited: {Attempts} in {Entries} entries", taken.Sum(t => t.Attempts), events.Count);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushEvery, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await FlushAsync(everything: false, stoppingToken);
                }
                catch (Exception ex) when (Http.StorageGuard.IsStorageUnavailable(ex) && !stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning("Refused attempts could not be audited now ({Error}); the next flush tries again", ex.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(everything: true, cancellationToken);
    }
}
