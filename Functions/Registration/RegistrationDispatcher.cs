using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Audit;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// Timer-driven: turns devices waiting in the outbox into import batches, oldest first, one queue message per
/// batch, while the registration queue is shallow (back-pressure when Graph throttles).
/// </summary>
public sealed class RegistrationDispatcher(
    RegistrationOutbox outbox,
    RegistrationQueue queue,
    AuditPublisher audit,
    IOptions<RegistrationOptions> options,
    TimeProvider time)
{
    /// <summary>Returns how many devices were dispatched.</summary>
    public async Task<int> DispatchAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var started = time.GetTimestamp();
        var dispatched = 0;
        while (time.GetElapsedTime(started) < settings.MaxDispatchRun
               && await queue.DepthAsync(cancellationToken) < settings.MaxQueuedMessages)
        {
            var batch = await outbox.TakeOldestAsync(settings.ImportBatchSize, cancellationToken);
            if (batch.Count == 0)
            {
                break;
            }

            // Message first, then the audit, then the outbox rows: a crash in between sends a batch twice,
            // which the import step recognises (devices no longer received), never loses one.
            await queue.SendAsync(new RegisterBatchCommand(Guid.NewGuid().ToString("N"), batch.Select(p => p.Device).ToList()), cancellationToken);
            await audit.PublishAsync(batch.Select(p => p.Enrolled).OfType<AuditEvent>().ToList(), cancellationToken);
            await outbox.RemoveAsync(batch, cancellationToken);
            dispatched += batch.Count;
        }

        return dispatched;
    }
}
