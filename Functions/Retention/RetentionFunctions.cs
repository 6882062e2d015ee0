using Microsoft.Azure.Functions.Worker;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Retention;

/// <summary>The daily retention purge (see <see cref="RetentionPurge"/>).</summary>
public sealed class RetentionFunctions(RetentionPurge purge)
{
    [Function(nameof(PurgeExpiredData))]
    public async Task PurgeExpiredData(
        [TimerTrigger(TriggerOptions.RetentionScheduleExpression)] TimerInfo timer,
        CancellationToken cancellationToken)
    {
        try
        {
            await purge.RunAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host stopped: what was deleted is deleted, and the next run goes on from there.
        }
    }
}
