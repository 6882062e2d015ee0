using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Abstractions;
using Sarthe.DevHost;
using Sarthe.Enrolment.Graph;
using Sarthe.GraphEmulator;
using Sarthe.Tools;

namespace Sarthe.StormBenchmark;

/// <summary>
/// The per-device baseline: every device does what Get-WindowsAutopilotInfo -Online -Assign does for it, with the real
/// Microsoft.Graph client against a fresh emulator under the same model: one POST of an importedWindowsAutopilotDeviceIdentity
/// (one import job of one device), a GET of it every 30 s until it is no longer unknown or pending, a contains() lookup
/// of its serial every 30 s until Autopilot lists it, a beta read of the device every 30 s until its profile is
/// assigned, then a DELETE of the imported identity. All 30 s waits are divided by the time scale.
/// </summary>
/// <remarks>
/// Microsoft's script waits for the device with a GET by id (deviceRegistrationId) and reads the profile with
/// <c>$expand</c>; the lookup by contains() and the plain beta GET cost the same one request each.
/// </remarks>
public static class BaselineRun
{
    private const string Mode = "baseline";

    public static async Task<RunResult> RunAsync(StormSettings settings, RealisticModel model, IReadOnlyList<FleetDevice> fleet, CancellationToken cancellationToken)
    {
        Console.WriteLine($"[{Mode}] starting a fresh Graph emulator (same model, time scale {settings.TimeScale.ToString(System.Globalization.CultureInfo.InvariantCulture)})...");
        await using var emulator = await RunningGraphEmulator.StartAsync(model.Emulator());
        var graph = GraphClientRegistration.CreateClient(new GraphOptions
        {
            BaseUrl = emulator.GraphBaseUrl,
            Credential = GraphCredentialKind.Emulator,
            ClientId = "get-windowsautopilotinfo",
            MaxRetries = 3,
            RetryDelaySeconds = model.RetryDelaySeconds,
        });
        var client = new ScriptClient(graph, emulator.Root, model.ScriptPollInterval);

        Console.WriteLine($"[{Mode}] {fleet.Count} devices, {Math.Min(fleet.Count, settings.BaselineConcurrency)} running the script at once, a look every {model.ScriptPollInterval.TotalSeconds:0.##} s");
        await using var sampler = new CounterSampler(emulator.State);
        var outcomes = new DeviceOutcome?[fleet.Count];
        using var gate = new SemaphoreSlim(settings.BaselineConcurrency);
        var started = DateTimeOffset.UtcNow;
        await using var heartbeat = new Heartbeat(() =>
            $"[{Mode}] {(DateTimeOffset.UtcNow - started).TotalSeconds,6:F0} s  {client.Progress}  {StormRun.Describe(emulator.State)}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.Timeout);
        try
        {
            await Task.WhenAll(fleet.Select(async (device, i) =>
            {
                await gate.WaitAsync(timeout.Token);
                try
                {
                    outcomes[i] = await client.RunAsync(device, timeout.Token);
                }
                finally
                {
                    gate.Release();
                }
            }));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Console.WriteLine($"[{Mode}]   stopped waiting after {settings.Timeout.TotalMinutes:F0} min: {client.Progress}");
        }

        sampler.Take();
        var done = outcomes.OfType<DeviceOutcome>().ToList();
        var posted = client.Posted.ToList();
        var origin = posted.Count > 0 ? posted.Min(p => p.Started) : started;
        var acceptTimes = posted.Select(p => (p.Started - origin).TotalSeconds).ToList();
        var latencies = posted.Select(p => (p.Answered - p.Started).TotalMilliseconds).Order().ToArray();
        var registered = done.Where(d => d.RegisteredAt is not null).ToList();
        var assigned = registered.Where(d => d.AssignedAt is not null).ToList();
        var failed = done.Where(d => d.FailedCode is not null).ToList();
        var counters = emulator.State.Counters;
        var timeline = Timeline.From(sampler.Samples, model.ThrottleWindow);
        return new RunResult
        {
            Mode = Mode,
            Devices = fleet.Count,
            Accepted = posted.Count,
            AcceptSeconds = posted.Count > 0 ? (posted.Max(p => p.Answered) - origin).TotalSeconds : 0,
            P50Ms = StormRun.Percentile(latencies, 0.50),
            P95Ms = StormRun.Percentile(latencies, 0.95),
            P99Ms = StormRun.Percentile(latencies, 0.99),
            AllRegisteredAt = registered.Count > 0 ? (registered.Max(d => d.RegisteredAt!.Value) - origin).TotalSeconds : null,
            AllAssignedAt = assigned.Count > 0 && assigned.Count == registered.Count ? (assigned.Max(d => d.AssignedAt!.Value) - origin).TotalSeconds : null,
            NoRecordsLeftAt = counters.ImportedIdentitiesStored == 0 && timeline.NoRecordsLeft is { } none ? (none - origin).TotalSeconds : null,
            Registered = registered.Count,
            Assigned = assigned.Count,
            Failed = failed.Count,
            FailedByCode = failed.GroupBy(d => d.FailedCode!).ToDictionary(g => g.Key, g => g.Count()),
            RecordsLeft = counters.ImportedIdentitiesStored,
            Counters = counters,
            Timeline = timeline,
            LowerBound = LowerBound.Compute(model, acceptTimes),
            AcceptTimes = acceptTimes,
            Origin = origin,
            ClientErrors = client.Errors,
            Graph = GraphMoments.From(emulator.State.Devices, origin),
        };
    }

    /// <summary>What became of one device: when it was seen listed, assigned, its identity deleted; or Intune's error.</summary>
    private sealed record DeviceOutcome(DateTimeOffset? RegisteredAt, DateTimeOffset? AssignedAt, DateTimeOffset? DeletedAt, string? FailedCode);

    private sealed record Post(DateTimeOffset Started, DateTimeOffset Answered);

    /// <summary>The script's steps for one device, on the SDK's request builders.</summary>
    private sealed class ScriptClient(GraphServiceClient graph, Uri root, TimeSpan poll)
    {
        private readonly System.Collections.Concurrent.ConcurrentBag<Post> _posted = [];
        private int _imported;
        private int _registered;
        private int _assigned;
        private int _deleted;
        private int _failed;
        private long _errors;

        public IEnumerable<Post> Posted => _posted;

        /// <summary>Graph calls that failed after the SDK's own retries (429, 5xx): the script waits and asks again.</summary>
        public long Errors => Interlocked.Read(ref _errors);

        public string Progress =>
            $"posted {_posted.Count}, imported {Volatile.Read(ref _imported)}, registered {Volatile.Read(ref _registered)}, " +
            $"profile assigned {Volatile.Read(ref _assigned)}, deleted {Volatile.Read(ref _deleted)}, failed {Volatile.Read(ref _failed)}";

        public async Task<DeviceOutcome> RunAsync(FleetDevice device, CancellationToken cancellationToken)
        {
            var identities = graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities;
            var postStarted = DateTimeOffset.UtcNow;
            var identity = await AskAsync(() => identities.PostAsync(new ImportedWindowsAutopilotDeviceIdentity
            {
                SerialNumber = device.Serial,
                GroupTag = device.SchoolUai,
                HardwareIdentifier = Convert.FromBase64String(device.HardwareHash),
                // The script posts a state; Intune ignores it (the record reads unknown).
                State = new ImportedWindowsAutopilotDeviceIdentityState { DeviceImportStatus = ImportedWindowsAutopilotDeviceIdentityImportStatus.Pending },
            }, cancellationToken: cancellationToken), cancellationToken);
            _posted.Add(new Post(postStarted, DateTimeOffset.UtcNow));
            var identityId = identity?.Id ?? throw new InvalidOperationException("Graph created an identity without an id.");

            // "Waiting for … to be imported": a look at once, then every 30 s while unknown (or pending).
            while (true)
            {
                identity = await AskAsync(() => identities[identityId].GetAsync(cancellationToken: cancellationToken), cancellationToken);
                if (identity?.State?.DeviceImportStatus is not (null or ImportedWindowsAutopilotDeviceIdentityImportStatus.Unknown or ImportedWindowsAutopilotDeviceIdentityImportStatus.Pending))
                {
                    break;
                }

                await Task.Delay(poll, cancellationToken);
            }

            Interlocked.Increment(ref _imported);
            if (identity.State.DeviceImportStatus != ImportedWindowsAutopilotDeviceIdentityImportStatus.Complete)
            {
                Interlocked.Increment(ref _failed);
                await DeleteAsync(identityId, cancellationToken);
                var code = identity.State.DeviceErrorName is { Length: > 0 } name ? name : $"{identity.State.DeviceImportStatus} {identity.State.DeviceErrorCode}";
                return new DeviceOutcome(null, null, DateTimeOffset.UtcNow, code);
            }

            // Wait until Autopilot lists the device.
            WindowsAutopilotDeviceIdentity? listed;
            while (true)
            {
                var page = await AskAsync(() => graph.DeviceManagement.WindowsAutopilotDeviceIdentities.GetAsync(
                    r => r.QueryParameters.Filter = $"contains(serialNumber,'{device.Serial}')", cancellationToken), cancellationToken);
                listed = page?.Value?.FirstOrDefault(d => string.Equals(d.SerialNumber, device.Serial, StringComparison.OrdinalIgnoreCase));
                if (listed?.Id is not null)
                {
                    break;
                }

                await Task.Delay(poll, cancellationToken);
            }

            var registeredAt = DateTimeOffset.UtcNow;
            Interlocked.Increment(ref _registered);

            // -Assign: wait until the profile is assigned (Graph beta; the property lands in AdditionalData of the v1.0 model).
            var beta = new Uri(root, $"beta/deviceManagement/windowsAutopilotDeviceIdentities/{listed.Id}").ToString();
            while (true)
            {
                var read = await AskAsync(() => graph.DeviceManagement.WindowsAutopilotDeviceIdentities[listed.Id].WithUrl(beta).GetAsync(cancellationToken: cancellationToken), cancellationToken);
                var status = read?.AdditionalData.TryGetValue("deploymentProfileAssignmentStatus", out var value) == true ? value?.ToString() : null;
                if (status?.StartsWith("assigned", StringComparison.OrdinalIgnoreCase) == true)
                {
                    break;
                }

                await Task.Delay(poll, cancellationToken);
            }

            var assignedAt = DateTimeOffset.UtcNow;
            Interlocked.Increment(ref _assigned);
            await DeleteAsync(identityId, cancellationToken);
            return new DeviceOutcome(registeredAt, assignedAt, DateTimeOffset.UtcNow, null);
        }

        private async Task DeleteAsync(string identityId, CancellationToken cancellationToken)
        {
            await AskAsync<object?>(async () =>
            {
                await graph.DeviceManagement.ImportedWindowsAutopilotDeviceIdentities[identityId].DeleteAsync(cancellationToken: cancellationToken);
                return null;
            }, cancellationToken);
            Interlocked.Increment(ref _deleted);
        }

        /// <summary>One Graph call; when it still fails after the SDK's retries (throttled, unavailable), the script waits a poll interval and asks again.</summary>
        private async Task<T> AskAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
        {
            while (true)
            {
                try
                {
                    return await call();
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && IsTransient(ex))
                {
                    Interlocked.Increment(ref _errors);
                    await Task.Delay(poll, cancellationToken);
                }
            }
        }

        private static bool IsTransient(Exception ex) => ex switch
        {
            AggregateException aggregate => aggregate.Flatten().InnerExceptions.All(IsTransient),
            ApiException api => api.ResponseStatusCode is 429 or >= 500 or 0,
            HttpRequestException or TimeoutException or TaskCanceledException => true,
            _ => false,
        };
    }
}
