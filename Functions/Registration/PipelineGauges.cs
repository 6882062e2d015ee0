using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// How much is waiting: devices in the outbox and how long the oldest has waited, messages in the audit queue and
/// its poison queue. Measured by the Autopilot sync (one instance at a time) at most once a minute: a few cheap
/// reads, and what the queue alerts and the workbook chart (storage's own metrics count messages per account only).
/// </summary>
public sealed class PipelineGauges(TableServiceClient tables, QueueServiceClient queues, IOptions<TriggerOptions> triggers, TimeProvider time, ILogger<PipelineGauges> logger)
{
    private static readonly TimeSpan Every = TimeSpan.FromMinutes(1);
    private readonly TableClient _outbox = tables.GetTableClient(TableNames.RegistrationOutbox);
    private DateTimeOffset _next = DateTimeOffset.MinValue;

    public async Task MeasureIfDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (now < _next)
        {
            return;
        }

        _next = now + Every;
        try
        {
            await MeasureAsync(now, cancellationToken);
        }
        catch (RequestFailedException ex)
        {
            // A gauge missed is a point missing from a chart, never a reason to hold the pipeline back.
            logger.LogWarning("Pipeline gauges not measured: storage answered {Status} {ErrorCode}", ex.Status, ex.ErrorCode);
        }
    }

    private async Task MeasureAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        long devices = 0;
        string? oldest = null;
        // Row keys start with the enrolment's UTC ticks, in order: the first row is the oldest.
        await foreach (var row in _outbox.QueryAsync<TableEntity>(select: ["RowKey"], cancellationToken: cancellationToken))
        {
            oldest ??= row.RowKey;
            devices++;
        }

        var waited = oldest is not null && long.TryParse(oldest.Split('|')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            ? now - new DateTimeOffset(ticks, TimeSpan.Zero)
            : TimeSpan.Zero;
        EnrolmentTelemetry.Outbox(devices, waited);

        foreach (var queue in triggers.Value.Queues)
        {
            var properties = await queues.GetQueueClient(queue).GetPropertiesAsync(cancellationToken);
            EnrolmentTelemetry.Queue(queue, properties.Value.ApproximateMessagesCount);
        }
    }
}
