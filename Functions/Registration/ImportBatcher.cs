using Azure.Storage.Queues;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using System.Text.Json.Nodes;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// Groups the register commands that queue-trigger invocations are handling at the same moment into one
/// Autopilot import. Each invocation waits for its batch, so its queue message stays leased (and is
/// redelivered if anything fails) until its device has been imported: nothing is dropped while Graph
/// throttles, and a batch is one Graph write instead of one per device.
/// </summary>
public sealed class ImportBatcher(
    AutopilotImporter importer,
    AuditPublisher audit,
    QueueServiceClient queues,
    IOptions<QueueNameOptions> names,
    IOptions<RegistrationOptions> options,
    ILogger<ImportBatcher> logger)
{
    private readonly object _gate = new();
    private readonly QueueClient _queue = queues.GetQueueClient(names.Value.Registration);
    private List<Pending>? _open;

    /// <summary>Returns the imported identity id Graph gave this device.</summary>
    public Task<string> SubmitAsync(ImportItem item, CancellationToken cancellationToken)
    {
        var pending = new Pending(item, new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));
        List<Pending>? full = null;
        lock (_gate)
        {
            if (_open is null)
            {
                _open = [];
                var batch = _open;
                _ = Task.Delay(options.Value.MaxBatchDelay, CancellationToken.None).ContinueWith(_ => FlushIfOpen(batch), TaskScheduler.Default);
            }

            _open.Add(pending);
            if (_open.Count >= options.Value.ImportBatchSize)
            {
                full = _open;
                _open = null;
            }
        }

        if (full is not null)
        {
            _ = Task.Run(() => SendAsync(full));
        }

        return pending.Result.Task.WaitAsync(cancellationToken);
    }

    private void FlushIfOpen(List<Pending> batch)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_open, batch))
            {
                return;
            }

            _open = null;
        }

        _ = SendAsync(batch);
    }

    private async Task SendAsync(List<Pending> batch)
    {
        var importId = Guid.NewGuid().ToString();
        var items = batch.Select(p => p.Item).ToList();
        try
        {
            var ids = await ImportWithThrottlingAsync(items, importId);
            var check = new CheckImportCommand(importId, 1, items.Select((item, i) => item.Device with { ImportedIdentityId = ids[i] }).ToList());
            await _queue.SendMessageAsync(check.ToJson(), visibilityTimeout: options.Value.FirstPollDelay);
            await audit.PublishAsync(check.Items.Select(d => audit.Create(AuditEventTypes.DeviceRegistrationStarted, AuditActor.Registration, d.SchoolUai, d.SerialNumber,
                new JsonObject { ["importedIdentityId"] = d.ImportedIdentityId, ["importId"] = importId, ["attempt"] = d.Attempt })).ToList(), CancellationToken.None);
            logger.LogInformation("Imported {DeviceCount} devices into Autopilot as import {ImportId}", items.Count, importId);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Result.TrySetResult(ids[i]);
            }
        }
        catch (Exception ex)
        {
            // Every invocation of the batch fails, so every message is redelivered (then poisoned, then failed).
            logger.LogWarning(ex, "Autopilot import {ImportId} of {DeviceCount} devices failed", importId, items.Count);
            foreach (var pending in batch)
            {
                pending.Result.TrySetException(ex);
            }
        }
    }

    private async Task<IReadOnlyList<string>> ImportWithThrottlingAsync(IReadOnlyList<ImportItem> items, string importId)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await importer.ImportAsync(items, importId, CancellationToken.None);
            }
            catch (Exception ex) when (GraphThrottle.IsThrottled(ex))
            {
                var wait = GraphThrottle.Delay(ex, attempt, options.Value);
                logger.LogInformation("Graph throttled import {ImportId}; waiting {WaitSeconds:F1} s (attempt {Attempt})", importId, wait.TotalSeconds, attempt + 1);
                await Task.Delay(wait);
            }
        }
    }

    private sealed record Pending(ImportItem Item, TaskCompletionSource<string> Result);
}
