using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Graph;

namespace Sarthe.Enrolment.Registration;

/// <summary>
/// The registration queue's work: import a batch into Autopilot (register), then follow the import until each
/// device is settled (check). Every step is idempotent: a redelivered or stale message (lower attempt, device
/// already moved on) changes nothing. Throttling never spends a delivery: the message comes back after the wait.
/// </summary>
public sealed class ImportHandler(
    DeviceStore devices,
    AutopilotClient autopilot,
    RegistrationQueue queue,
    RegistrationOutcomes outcomes,
    AuditPublisher audit,
    IOptions<RegistrationOptions> options,
    TimeProvider time,
    ILogger<ImportHandler> logger)
{
    /// <summary>Autopilot's "already registered" error: in this tenant it is a success, so it is checked before failing.</summary>
    public const string AlreadyAssignedName = "ZtdDeviceAlreadyAssigned";

    public Task HandleAsync(RegistrationMessage message, CancellationToken cancellationToken) => message switch
    {
        RegisterBatchCommand register => RegisterAsync(register, cancellationToken),
        CheckImportCommand check => CheckAsync(check, cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(message)),
    };

    private async Task RegisterAsync(RegisterBatchCommand command, CancellationToken cancellationToken)
    {
        var batch = new List<(DeviceRef Item, AutopilotImportItem Import)>(command.Items.Count);
        foreach (var item in command.Items)
        {
            // Stale, already imported by an earlier delivery, or settled: nothing to do for it.
            if (await devices.GetAsync(item.Key, cancellationToken) is { Status: DeviceStatus.Received } device && device.Attempt == item.Attempt)
            {
                batch.Add((item, new AutopilotImportItem(device.SerialNumber, device.HardwareHash, device.SchoolUai)));
            }
        }

        if (batch.Count == 0)
        {
            return;
        }

        IReadOnlyList<string> ids;
        var importId = command.BatchId;
        try
        {
            ids = await autopilot.ImportAsync(batch.Select(b => b.Import).ToList(), importId, cancellationToken);
        }
        catch (Exception ex) when (GraphThrottle.IsThrottled(ex))
        {
            // The batch waits in the queue: nothing dropped, no delivery spent (this message completes; its copy runs later).
            var wait = Backoff(ex, command.Throttled);
            logger.LogInformation("Graph throttled import {ImportId}; batch of {DeviceCount} re-queued for {WaitSeconds:F1} s", importId, batch.Count, wait.TotalSeconds);
            await queue.SendAsync(command with { Throttled = command.Throttled + 1 }, wait, cancellationToken);
            return;
        }

        var imported = batch.Select((b, i) => b.Item with { ImportedIdentityId = ids[i] }).ToList();
        await queue.SendAsync(new CheckImportCommand(importId, 1, imported), options.Value.FirstPollDelay, cancellationToken);

        var events = new List<AuditEvent>(imported.Count);
        foreach (var item in imported)
        {
            var (device, changed) = await devices.UpdateAsync(item.Key, d => d.TryStartRegistration(item.Attempt, item.ImportedIdentityId!, time.GetUtcNow()), cancellationToken);
            if (changed)
            {
                events.Add(AuditEvents.RegistrationStarted(device!, importId));
            }
        }

        logger.LogInformation("Imported {DeviceCount} devices into Autopilot as import {ImportId}", imported.Count, importId);
        await audit.PublishAsync(events, cancellationToken);
    }

    private async Task CheckAsync(CheckImportCommand check, CancellationToken cancellationToken)
    {
        IReadOnlyList<AutopilotImportState> states;
        try
        {
            states = await autopilot.GetStatesAsync(check.ImportId, check.Items.Select(i => i.ImportedIdentityId!).ToList(), cancellationToken);
        }
        catch (Exception ex) when (GraphThrottle.IsThrottled(ex))
        {
            // Look again later, same poll number: throttling is not the import's fault.
            await queue.SendAsync(check with { Throttled = check.Throttled + 1 }, Backoff(ex, check.Throttled), cancellationToken);
            return;
        }

        var byId = states.DistinctBy(s => s.ImportedIdentityId, StringComparer.OrdinalIgnoreCase).ToDictionary(s => s.ImportedIdentityId, StringComparer.OrdinalIgnoreCase);
        var pending = new List<DeviceRef>();
        var events = new List<AuditEvent?>();
        foreach (var item in check.Items)
        {
            var state = byId.GetValueOrDefault(item.ImportedIdentityId!);
            switch (state?.Status)
            {
                case AutopilotImportState.Complete:
                    events.Add(await outcomes.MarkRegisteredAsync(item, state.RegistrationId, cancellationToken));
                    break;
                case AutopilotImportState.Error:
                    events.Add(await SettleErrorAsync(item, state, cancellationToken));
                    break;
                case AutopilotImportState.Missing:
                    events.Add(await outcomes.MarkFailedAsync(item, "ImportedIdentityNotFound", "The imported Autopilot identity no longer exists in Intune.", cancellationToken));
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
                events.Add(await outcomes.MarkFailedAsync(item, "ImportTimedOut", $"Intune had not processed the import after {check.Poll} checks.", cancellationToken));
            }

            pending.Clear();
        }

        if (pending.Count > 0)
        {
            await queue.SendAsync(check with { Poll = check.Poll + 1, Items = pending }, options.Value.PollInterval, cancellationToken);
        }

        // One audit message for every device this check settled.
        await audit.PublishAsync(events.OfType<AuditEvent>().ToList(), cancellationToken);
    }

    private async Task<AuditEvent?> SettleErrorAsync(DeviceRef item, AutopilotImportState state, CancellationToken cancellationToken)
    {
        if (string.Equals(state.ErrorName, AlreadyAssignedName, StringComparison.Ordinal)
            && await autopilot.FindRegisteredDeviceIdAsync(item.SerialNumber, cancellationToken) is { } registeredId)
        {
            // Already in *this* tenant (an earlier delivery of ours, or registered by hand) is a success.
            return await outcomes.MarkRegisteredAsync(item, registeredId, cancellationToken);
        }

        var name = state.ErrorName ?? "ImportError";
        return await outcomes.MarkFailedAsync(item, name, $"Autopilot import error {state.ErrorCode} ({name}).", cancellationToken);
    }

    private TimeSpan Backoff(Exception throttled, int throttledSoFar) =>
        GraphThrottle.Delay(throttled, throttledSoFar, options.Value.ThrottleBackoff, options.Value.MaxThrottleBackoff);
}
