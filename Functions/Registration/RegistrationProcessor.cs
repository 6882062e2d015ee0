using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// Drives each device from <c>received</c> to <c>registered</c> or <c>failed</c>. Every step is idempotent:
/// a redelivered or stale message (lower attempt, device already settled) changes nothing.
/// </summary>
public sealed class RegistrationProcessor(
    DeviceStore devices,
    RegistrationOutbox outbox,
    AutopilotImporter importer,
    AuditPublisher audit,
    QueueServiceClient queues,
    IOptions<QueueNameOptions> names,
    IOptions<RegistrationOptions> options,
    TimeProvider time,
    ILogger<RegistrationProcessor> logger)
{
    public const string AlreadyAssignedName = "ZtdDeviceAlreadyAssigned";
    private readonly QueueClient _queue = queues.GetQueueClient(names.Value.Registration);

    public Task HandleAsync(RegistrationMessage message, CancellationToken cancellationToken) => message switch
    {
        RegisterBatchCommand register => RegisterAsync(register, cancellationToken),
        CheckImportCommand check => CheckAsync(check, cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(message)),
    };

    /// <summary>Puts a device in line for registration (first enrolment, or a new attempt after a retry).</summary>
    public Task RequestAsync(DeviceRef device, AuditEvent? enrolled, CancellationToken cancellationToken) =>
        outbox.AddAsync(device, enrolled, time.GetUtcNow(), cancellationToken);

    /// <summary>
    /// Timer-driven: turns waiting devices into import batches, oldest first, one queue message per batch,
    /// while the queue is shallow. Returns how many devices were dispatched.
    /// </summary>
    public async Task<int> DispatchAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var started = time.GetTimestamp();
        var dispatched = 0;
        while (time.GetElapsedTime(started) < settings.MaxDispatchRun)
        {
            var properties = await _queue.GetPropertiesAsync(cancellationToken);
            if (properties.Value.ApproximateMessagesCount >= settings.MaxQueuedMessages)
            {
                break;
            }

            var batch = await outbox.TakeOldestAsync(settings.ImportBatchSize, cancellationToken);
            if (batch.Count == 0)
            {
                break;
            }

            // Message first, then the audit, then the outbox rows: a crash in between sends a batch twice,
            // which the register step recognises (devices no longer received), never loses one.
            await _queue.SendMessageAsync(new RegisterBatchCommand(Guid.NewGuid().ToString("N"), batch.Select(p => p.Device).ToList()).ToJson(), cancellationToken);
            await audit.PublishAsync(batch.Select(p => p.Enrolled).OfType<AuditEvent>().ToList(), cancellationToken);
            await outbox.RemoveAsync(batch, cancellationToken);
            dispatched += batch.Count;
        }

        return dispatched;
    }

    private async Task RegisterAsync(RegisterBatchCommand command, CancellationToken cancellationToken)
    {
        var items = new List<ImportItem>(command.Items.Count);
        foreach (var reference in command.Items)
        {
            var device = await devices.GetAsync(reference.SchoolUai, reference.SerialNumber, cancellationToken);
            if (device is not null && device.Attempt == reference.Attempt && device.Status is DeviceStatus.Received)
            {
                items.Add(new ImportItem(reference, device.HardwareHash, device.SchoolUai));
            }

            // Otherwise stale, already imported by an earlier delivery, or settled: nothing to do for it.
        }

        if (items.Count == 0)
        {
            return;
        }

        IReadOnlyList<string> ids;
        var importId = command.BatchId;
        try
        {
            ids = await importer.ImportAsync(items, importId, cancellationToken);
        }
        catch (Exception ex) when (GraphThrottle.IsThrottled(ex))
        {
            // Come back when Graph allows it: the batch waits in the queue, nothing is dropped, and no
            // delivery is spent (this message completes; its copy is the one that will run).
            var wait = GraphThrottle.Delay(ex, command.Throttled, options.Value);
            logger.LogInformation("Graph throttled import {ImportId}; batch of {DeviceCount} re-queued for {WaitSeconds:F1} s", importId, items.Count, wait.TotalSeconds);
            await _queue.SendMessageAsync((command with { Throttled = command.Throttled + 1 }).ToJson(), visibilityTimeout: wait, cancellationToken: cancellationToken);
            return;
        }

        var imported = items.Select((item, i) => item.Device with { ImportedIdentityId = ids[i] }).ToList();
        await _queue.SendMessageAsync(new CheckImportCommand(importId, 1, imported).ToJson(), visibilityTimeout: options.Value.FirstPollDelay, cancellationToken: cancellationToken);

        var events = new List<AuditEvent>(imported.Count);
        foreach (var reference in imported)
        {
            var changed = false;
            await devices.UpdateAsync(reference.SchoolUai, reference.SerialNumber, d =>
            {
                if (d.Attempt != reference.Attempt || d.Status is not DeviceStatus.Received)
                {
                    return false;
                }

                var now = time.GetUtcNow();
                d.SetStatus(DeviceStatus.Registering, now);
                d.RegisteringAt = now;
                d.ImportedIdentityId = reference.ImportedIdentityId;
                d.ImportStatus = "unknown";
                d.GroupTag = d.SchoolUai;
                return changed = true;
            }, cancellationToken);
            if (changed)
            {
                events.Add(audit.Create(AuditEventTypes.DeviceRegistrationStarted, AuditActor.Registration, reference.SchoolUai, reference.SerialNumber,
                    new JsonObject { ["importedIdentityId"] = reference.ImportedIdentityId, ["importId"] = importId, ["attempt"] = reference.Attempt }));
            }
        }

        logger.LogInformation("Imported {DeviceCount} devices into Autopilot as import {ImportId}", imported.Count, importId);
        await audit.PublishAsync(events, cancellationToken);
    }

    private async Task CheckAsync(CheckImportCommand check, CancellationToken cancellationToken)
    {
        IReadOnlyList<ImportState> states;
        try
        {
            states = await importer.GetStatesAsync(check.ImportId, check.Items.Select(i => i.ImportedIdentityId!).ToList(), cancellationToken);
        }
        catch (Exception ex) when (GraphThrottle.IsThrottled(ex))
        {
            // Look again later, same poll number: throttling is not the import's fault.
            var wait = GraphThrottle.Delay(ex, check.Throttled, options.Value);
            await _queue.SendMessageAsync((check with { Throttled = check.Throttled + 1 }).ToJson(), visibilityTimeout: wait, cancellationToken: cancellationToken);
            return;
        }

        var byId = states.ToDictionary(s => s.ImportedIdentityId, StringComparer.OrdinalIgnoreCase);
        var pending = new List<DeviceRef>();
        var events = new List<AuditEvent>();
        foreach (var item in check.Items)
        {
            var state = byId.GetValueOrDefault(item.ImportedIdentityId!);
            switch (state?.Status)
            {
                case "complete":
                    await MarkRegisteredAsync(item, state.RegistrationId, events, cancellationToken);
                    break;
                case "error":
                    await SettleErrorAsync(item, state, events, cancellationToken);
                    break;
                case "missing":
                    await MarkFailedAsync(item, "ImportedIdentityNotFound", "The imported Autopilot identity no longer exists in Intune.", events, cancellationToken);
                    break;
                default:
                    pending.Add(item);
                    break;
            }
        }

        if (pending.Count > 0 && check.Poll >= options.Value.MaxPolls)
        {
            foreach (var item in pending)
            {
                await MarkFailedAsync(item, "ImportTimedOut", $"Intune had not processed the import after {check.Poll} checks.", events, cancellationToken);
            }

            pending.Clear();
        }

        if (pending.Count > 0)
        {
            var next = check with { Poll = check.Poll + 1, Items = pending };
            await _queue.SendMessageAsync(next.ToJson(), visibilityTimeout: options.Value.PollInterval, cancellationToken: cancellationToken);
        }

        // One audit message for every device this check settled.
        await audit.PublishAsync(events, cancellationToken);
    }

    private async Task SettleErrorAsync(DeviceRef item, ImportState state, List<AuditEvent> events, CancellationToken cancellationToken)
    {
        if (string.Equals(state.ErrorName, AlreadyAssignedName, StringComparison.Ordinal))
        {
            // Already in *this* tenant (an earlier delivery of ours, or registered by hand) is a success.
            var registeredId = await importer.FindRegisteredDeviceIdAsync(item.SerialNumber, cancellationToken);
            if (registeredId is not null)
            {
                await MarkRegisteredAsync(item, registeredId, events, cancellationToken);
                return;
            }
        }

        var name = state.ErrorName ?? "ImportError";
        await MarkFailedAsync(item, name, $"Autopilot import error {state.ErrorCode} ({name}).", events, cancellationToken);
    }

    private async Task MarkRegisteredAsync(DeviceRef item, string? autopilotDeviceId, List<AuditEvent> events, CancellationToken cancellationToken)
    {
        var device = await devices.UpdateAsync(item.SchoolUai, item.SerialNumber, d =>
        {
            if (d.Attempt != item.Attempt || d.Status is DeviceStatus.Registered or DeviceStatus.Failed)
            {
                return false;
            }

            var now = time.GetUtcNow();
            d.SetStatus(DeviceStatus.Registered, now);
            d.RegisteredAt = now;
            d.RegisteringAt ??= now;
            d.ImportedIdentityId ??= item.ImportedIdentityId;
            d.ImportStatus = "complete";
            d.GroupTag = d.SchoolUai;
            d.AutopilotDeviceId = autopilotDeviceId;
            d.LastErrorCode = null;
            d.LastErrorMessage = null;
            d.LastErrorAt = null;
            return true;
        }, cancellationToken);

        // Audited whenever the row is in this state for this attempt, changed now or by an earlier delivery
        // whose audit message may not have gone out: the stable event id makes the repeat harmless.
        if (device is { Status: DeviceStatus.Registered, RegisteredAt: { } at } && device.Attempt == item.Attempt)
        {
            events.Add(AuditPublisher.ForState(AuditEventTypes.DeviceRegistered, AuditActor.Registration, item.SchoolUai, item.SerialNumber, item.Attempt, at,
                new JsonObject { ["autopilotDeviceId"] = device.AutopilotDeviceId, ["attempt"] = item.Attempt }));
        }
    }

    /// <summary>Settles a device as failed with a reason (no-op when it is already settled or the attempt is stale); its audit event joins <paramref name="events"/>.</summary>
    private async Task MarkFailedAsync(DeviceRef item, string code, string message, List<AuditEvent> events, CancellationToken cancellationToken)
    {
        var changed = false;
        var device = await devices.UpdateAsync(item.SchoolUai, item.SerialNumber, d =>
        {
            if (d.Attempt != item.Attempt || d.Status is DeviceStatus.Registered or DeviceStatus.Failed)
            {
                return false;
            }

            var now = time.GetUtcNow();
            d.SetStatus(DeviceStatus.Failed, now);
            d.FailedAt = now;
            d.ImportStatus = d.ImportedIdentityId is null ? null : "error";
            d.LastErrorCode = code;
            d.LastErrorMessage = message;
            d.LastErrorAt = now;
            return changed = true;
        }, cancellationToken);

        if (changed)
        {
            logger.LogWarning("Device {SerialNumber} of {SchoolUai} failed registration: {ErrorCode}", item.SerialNumber, item.SchoolUai, code);
        }

        if (device is { Status: DeviceStatus.Failed, FailedAt: { } at } && device.Attempt == item.Attempt)
        {
            events.Add(AuditPublisher.ForState(AuditEventTypes.DeviceRegistrationFailed, AuditActor.Registration, item.SchoolUai, item.SerialNumber, item.Attempt, at,
                new JsonObject { ["code"] = device.LastErrorCode, ["message"] = device.LastErrorMessage, ["attempt"] = item.Attempt }));
        }
    }

    /// <summary>A message that exhausted its deliveries: its devices end failed, never silently lost.</summary>
    public async Task AbandonAsync(RegistrationMessage message, CancellationToken cancellationToken)
    {
        var events = new List<AuditEvent>();
        foreach (var device in message.Devices)
        {
            await MarkFailedAsync(device, "RegistrationAbandoned", "Registration failed on every delivery of its queue message (Graph or storage errors); an administrator can retry it.", events, cancellationToken);
        }

        await audit.PublishAsync(events, cancellationToken);
    }

    /// <summary>Re-drives devices that have not moved for <see cref="RegistrationOptions.StuckAfter"/>.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var redriven = 0;
        await foreach (var stuck in devices.FindUnsettledAsync(now - options.Value.StuckAfter, cancellationToken))
        {
            // Touch the row first (ETag): two sweeps never both re-drive it, and it waits StuckAfter again.
            var touched = false;
            var device = await devices.UpdateAsync(stuck.SchoolUai, stuck.SerialNumber, d =>
            {
                if (d.Status is not (DeviceStatus.Received or DeviceStatus.Registering) || d.UpdatedAt != stuck.UpdatedAt)
                {
                    return false;
                }

                d.UpdatedAt = now;
                return touched = true;
            }, cancellationToken);
            if (!touched || device is null)
            {
                continue;
            }

            var reference = new DeviceRef(device.SerialNumber, device.SchoolUai, device.Attempt, device.ImportedIdentityId);
            if (device.Status == DeviceStatus.Received || device.ImportedIdentityId is null)
            {
                await RequestAsync(reference, null, cancellationToken);
            }
            else
            {
                await _queue.SendMessageAsync(new CheckImportCommand("sweep-" + device.ImportedIdentityId, 1, [reference]).ToJson(), cancellationToken);
            }

            redriven++;
        }

        if (redriven > 0)
        {
            logger.LogWarning("Sweep re-drove {DeviceCount} devices unchanged since {Cutoff}", redriven, now - options.Value.StuckAfter);
        }

        return redriven;
    }
}
