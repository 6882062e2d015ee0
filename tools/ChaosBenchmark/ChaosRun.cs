using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Sarthe.DevHost;
using Sarthe.GraphEmulator;
using Sarthe.Tools;

namespace Sarthe.ChaosBenchmark;

/// <summary>How the pipeline came back after one fault.</summary>
/// <param name="AtSeconds">When the fault's wave was released, from the start of the run.</param>
/// <param name="HostUp">A kill: from the new process's start to its first HTTP answer.</param>
/// <param name="HttpBack">From restart (or resume) to the first enrolment accepted after it.</param>
/// <param name="SyncBack">From restart (or resume) to the first Graph request answered: the Autopilot sync runs again.</param>
/// <param name="PipelineMoving">From restart (or resume) to the next import action or newly settled device.</param>
/// <param name="Redriven">Devices of the fault's wave the host drove again (the sweep, or a repeat enrolment): their line was lost.</param>
/// <param name="SlowestRedriven">Of those, the longest from enrolment to registered or failed (the rows' own times).</param>
public sealed record FaultResult(
    FaultKind Fault, int WaveDevices, double AtSeconds, string Detail, TimeSpan? HostUp, TimeSpan? HttpBack, TimeSpan? SyncBack, TimeSpan? PipelineMoving,
    int Redriven = 0, TimeSpan? SlowestRedriven = null);

/// <summary>Everything a run measured and found.</summary>
public sealed record ChaosResult(
    ChaosPlan Plan,
    string Folder,
    IReadOnlyList<FaultResult> Faults,
    ChaosOutcome Outcome,
    HostLogFacts HostLog,
    IReadOnlyDictionary<string, int> ClientAnswers,
    long ClientRetries,
    int FirstTryAlreadyEnrolled,
    IReadOnlyCollection<string> Refusals,
    double TotalSeconds,
    double? AllSettledAfterSeconds,
    double? AuditCompleteAfterLastKillSeconds,
    int HostIncarnations)
{
    /// <summary>Lost, duplicate imports or audit anomalies: what makes the program exit with 1.</summary>
    public bool Failed => Outcome.Lost != 0 || Outcome.DuplicateImports != 0 || Outcome.AuditAnomalies != 0;
}

/// <summary>
/// One chaos run: Azurite on disk, the Graph emulator and the dev host, each a process; the fleet enrols in waves, one
/// per fault, through device clients that retry; each fault is injected at its point in its wave, the host restarted
/// after a kill, and the time the pipeline takes to move again measured. Then everything settles and is verified.
/// </summary>
public static class ChaosRun
{
    public static async Task<ChaosResult> RunAsync(ChaosPlan plan, CancellationToken cancellationToken)
    {
        var folder = plan.WorkFolder ?? Path.Combine(Path.GetTempPath(), $"sarthe-chaos-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        var runner = new Runner(plan, folder, plan.Log ?? Console.Out);
        try
        {
            return await runner.RunAsync(cancellationToken);
        }
        finally
        {
            if (!plan.KeepData)
            {
                TryDelete(Path.Combine(folder, "azurite"));
            }
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // A file still held: the temp folder's owner will clean it.
        }
    }

    private sealed class Runner(ChaosPlan plan, string folder, TextWriter log)
    {
        private static readonly TimeSpan RecoveryCap = TimeSpan.FromMinutes(10);

        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly object _logGate = new();
        private AzuriteOnDisk _azurite = null!;
        private EmulatorProcess _emulator = null!;
        private HostProcess _host = null!;
        private PipelineProbe _probe = null!;
        private DeviceClients _clients = null!;
        private string _status = "starting";
        private DateTimeOffset? _lastKill;

        public async Task<ChaosResult> RunAsync(CancellationToken cancellationToken)
        {
            var fleet = BenchmarkFleet.AtRandomActiveSchools(plan.Devices, plan.Seed);
            Say($"Chaos run: {fleet.Count} devices, {plan.Clients} clients, time scale {plan.TimeScale}, faults {string.Join(", ", plan.Faults.Select(f => f.Name()))}; " +
                $"logs in {folder}");
            await using var azurite = _azurite = await AzuriteOnDisk.StartAsync(folder, cancellationToken);
            await using var emulator = _emulator = await EmulatorProcess.StartAsync(folder, plan.TimeScale, cancellationToken);
            var settings = HostSettings(azurite.ConnectionString, emulator.GraphBaseUrl);
            await using var host = _host = await HostProcess.StartAsync(folder, FreePort.Next(), settings, cancellationToken);
            Say($"Azurite on disk ({azurite.Location}), Graph emulator {emulator.Root}, dev host {host.BaseUrl} (a process of its own)");
            _probe = new PipelineProbe(azurite.ConnectionString);
            var keys = await IssueKeysAsync(fleet.Select(d => d.SchoolUai).Distinct(), cancellationToken);
            using var clients = _clients = new DeviceClients(host.BaseUrl, fleet, keys, plan.Clients, cancellationToken);
            using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var sampler = SampleAsync(sampling.Token);
            var faults = new List<FaultResult>();
            await using (new Heartbeat(() => $"[{Now,6:F0} s]   {_status}", plan.ProgressInterval))
            {
                var waves = Waves(fleet.Count, Math.Max(1, plan.Faults.Count));
                if (plan.Faults.Count == 0)
                {
                    clients.Release(waves[0]);
                }

                for (var i = 0; i < plan.Faults.Count; i++)
                {
                    faults.Add(await RunFaultAsync(plan.Faults[i], waves[i], cancellationToken));
                }

                var (settledAfter, auditAfter) = await DrainAsync(cancellationToken);
                await sampling.CancelAsync();
                await sampler;
                Say("verifying: device rows, Graph's imports, the audit trail");
                var outcome = await ChaosVerdict.VerifyAsync(_probe, _emulator, clients.AcceptedDevices, fleet.Count, cancellationToken);
                var hostLog = HostLogFacts.Read(host.LogPath);
                faults = faults.Select((f, i) =>
                {
                    var redriven = waves[i].Select(d => fleet[d].Serial).Where(hostLog.RedrivenSerials.Contains).ToList();
                    return f with
                    {
                        Redriven = redriven.Count,
                        SlowestRedriven = redriven.Count == 0 ? null : redriven.Max(serial => outcome.SettledAfterEnrolment.GetValueOrDefault(serial)),
                    };
                }).ToList();
                return new ChaosResult(plan, folder, faults, outcome, hostLog, clients.Answers, clients.Retries, clients.FirstTryAlreadyEnrolled, clients.Refusals, Now,
                    settledAfter, auditAfter, host.Incarnation);
            }
        }

        private double Now => _clock.Elapsed.TotalSeconds;

        /// <summary>The product's settings for this run: Intune's timings scaled like the emulator's, the sweep's from the plan.</summary>
        private Dictionary<string, string> HostSettings(string storage, string graphBaseUrl)
        {
            var settings = new Dictionary<string, string>
            {
                ["AzureWebJobsStorage"] = storage,
                ["Graph:BaseUrl"] = graphBaseUrl,
                ["Graph:Credential"] = "Emulator",
                ["Graph:RetryDelaySeconds"] = "1",
                // Intune's throttle window is scaled in the emulator: the product's own budget window with it.
                ["Graph:BudgetWindow"] = Scaled(TimeSpan.FromSeconds(20)),
                // The same secret for every incarnation: school keys derive from it.
                ["Enrolment:MasterSecret"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                ["AutopilotSyncSchedule"] = "*/1 * * * * *",
                ["RegistrationSweepSchedule"] = plan.SweepSchedule,
                ["Registration:FirstCheckDelay"] = Scaled(TimeSpan.FromSeconds(60)),
                ["Registration:CheckInterval"] = Scaled(TimeSpan.FromSeconds(30)),
                ["Registration:AutopilotCheckInterval"] = Scaled(TimeSpan.FromSeconds(30)),
                ["Registration:GraphBackoff"] = Scaled(TimeSpan.FromSeconds(5)),
                ["Registration:MaxGraphBackoff"] = Scaled(TimeSpan.FromMinutes(1)),
                ["Registration:AutomaticRetryAfter"] = Scaled(TimeSpan.FromMinutes(15)),
                ["Registration:StuckAfter"] = plan.StuckAfter.ToString("c", CultureInfo.InvariantCulture),
            };
            if (plan.ListenerLock is { } lease)
            {
                // host.json "singleton" in Azure; 15 s is the shortest lease the SDK takes.
                settings["AzureWebJobs:Singleton:ListenerLockPeriod"] = lease.ToString("c", CultureInfo.InvariantCulture);
                settings["AzureWebJobs:Singleton:ListenerLockRecoveryPollingInterval"] = lease.ToString("c", CultureInfo.InvariantCulture);
            }

            return settings;
        }

        private string Scaled(TimeSpan value) => TimeSpan.FromTicks((long)(value.Ticks / plan.TimeScale)).ToString("c", CultureInfo.InvariantCulture);

        private async Task<Dictionary<string, byte[]>> IssueKeysAsync(IEnumerable<string> schools, CancellationToken cancellationToken)
        {
            using var http = new HttpClient { BaseAddress = _host.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
            return await BenchmarkKeys.IssueAsync(http, schools, cancellationToken);
        }

        private async Task<FaultResult> RunFaultAsync(FaultKind fault, IReadOnlyList<int> wave, CancellationToken cancellationToken)
        {
            var at = Now;
            Say($"{fault.Title()}: {wave.Count} more devices boot");
            var acceptedBefore = _clients.Accepted;
            switch (fault)
            {
                case FaultKind.KillAfterAccept:
                {
                    _clients.Release(wave);
                    var third = Math.Max(1, wave.Count / 3);
                    await WaitUntilAsync(() => Task.FromResult(_clients.Accepted >= acceptedBefore + third), TimeSpan.FromMinutes(2), cancellationToken);
                    return await KillAndRestartAsync(fault, wave.Count, at, $"killed after {_clients.Accepted - acceptedBefore} of the wave's accepts", null, cancellationToken);
                }

                case FaultKind.KillDuringImportPost:
                {
                    await _emulator.HoldAsync(plan.Hold, null, cancellationToken);
                    _clients.Release(wave);
                    var held = await WaitUntilAsync(async () => (await _emulator.CountersAsync(cancellationToken)).ImportAnswersHeld > 0, TimeSpan.FromMinutes(3), cancellationToken);
                    var detail = (held ? "Graph took an import; its answer held" : "no import POST came: killed anyway") + await AuditIdleAsync(cancellationToken);
                    detail += (await _emulator.CountersAsync(cancellationToken)).ImportAnswersHeld > 0 ? "" : " (the answer had gone before the kill)";
                    return await KillAndRestartAsync(fault, wave.Count, at, detail, () => _emulator.ReleaseAsync(cancellationToken), cancellationToken);
                }

                case FaultKind.KillDuringStatusCheck:
                {
                    await _emulator.HoldAsync(null, plan.Hold, cancellationToken);
                    _clients.Release(wave);
                    var held = await WaitUntilAsync(async () => (await _emulator.CountersAsync(cancellationToken)).StatusReadsHeld > 0, TimeSpan.FromMinutes(3), cancellationToken);
                    var detail = (held ? "the sync waiting on a read of imported identities" : "no status check came: killed anyway") + await AuditIdleAsync(cancellationToken);
                    return await KillAndRestartAsync(fault, wave.Count, at, detail, () => _emulator.ReleaseAsync(cancellationToken), cancellationToken);
                }

                case FaultKind.KillDuringAuditPublish:
                {
                    _clients.Release(wave);
                    // Registered rows still holding their events: the watcher is marking a batch, or publishing or clearing its events.
                    var found = await WaitUntilAsync(() => _probe.AnyRegisteredWithPendingAuditAsync(cancellationToken), TimeSpan.FromMinutes(5), cancellationToken, TimeSpan.FromMilliseconds(100));
                    return await KillAndRestartAsync(fault, wave.Count, at,
                        found ? "registered rows still held their audit events" : "no burst of settles seen: killed anyway", null, cancellationToken);
                }

                case FaultKind.StoragePause:
                {
                    // Paused while most of the wave still has to enrol: those devices meet the outage.
                    var first = wave.Take(Math.Max(1, wave.Count / 10)).ToList();
                    var rest = wave.Skip(first.Count).ToList();
                    var whileSyncWaits = plan.PauseWhileSyncWaitsOnGraph;
                    if (whileSyncWaits)
                    {
                        await _emulator.HoldAsync(plan.StoragePause + TimeSpan.FromSeconds(5), null, cancellationToken);
                        _clients.Release(first);
                        await WaitUntilAsync(async () => (await _emulator.CountersAsync(cancellationToken)).ImportAnswersHeld > 0, TimeSpan.FromMinutes(2), cancellationToken);
                    }
                    else
                    {
                        _clients.Release(wave);
                        await WaitUntilAsync(() => Task.FromResult(_clients.Accepted >= acceptedBefore + first.Count), TimeSpan.FromMinutes(2), cancellationToken);
                    }

                    var refusedBefore = _clients.Answers.GetValueOrDefault("503");
                    Say($"SIGSTOP Azurite for {plan.StoragePause.TotalSeconds:F0} s{(whileSyncWaits ? ", the sync waiting on an import answer" : "")}");
                    _azurite.Pause();
                    try
                    {
                        if (whileSyncWaits)
                        {
                            _clients.Release(rest);
                            await _emulator.ReleaseAsync(cancellationToken); // holds already begun run their course
                        }

                        await Task.Delay(plan.StoragePause, cancellationToken);
                    }
                    finally
                    {
                        _azurite.Resume();
                    }

                    var resumed = DateTimeOffset.UtcNow;
                    var counters = await _emulator.CountersAsync(cancellationToken);
                    Say("SIGCONT Azurite");
                    var (sync, moving) = await MeasureRecoveryAsync(resumed, counters, cancellationToken);
                    var httpBack = await HttpBackAsync(resumed, cancellationToken);
                    var refused = _clients.Answers.GetValueOrDefault("503") - refusedBefore;
                    return new FaultResult(fault, wave.Count, at, $"paused {plan.StoragePause.TotalSeconds:F0} s; {refused} answers 503 (Retry-After) during and after it",
                        null, httpBack, sync, moving);
                }

                case FaultKind.GraphOutage:
                {
                    _clients.Release(wave);
                    await WaitUntilAsync(() => Task.FromResult(_clients.Accepted >= acceptedBefore + Math.Max(1, wave.Count / 4)), TimeSpan.FromMinutes(2), cancellationToken);
                    var faultsBefore = (await _emulator.CountersAsync(cancellationToken)).Faults;
                    Say($"Graph outage for {plan.GraphOutage.TotalSeconds:F0} s");
                    await _emulator.StartOutageAsync(cancellationToken);
                    await Task.Delay(plan.GraphOutage, cancellationToken);
                    var counters = await _emulator.CountersAsync(cancellationToken);
                    await _emulator.EndOutageAsync(cancellationToken);
                    var ended = DateTimeOffset.UtcNow;
                    Say("Graph answers again");
                    var (sync, moving) = await MeasureRecoveryAsync(ended, counters, cancellationToken);
                    return new FaultResult(fault, wave.Count, at, $"{plan.GraphOutage.TotalSeconds:F0} s; {counters.Faults - faultsBefore} requests answered 503",
                        null, null, sync, moving);
                }

                default:
                    throw new ArgumentOutOfRangeException(nameof(fault), fault, null);
            }
        }

        /// <summary>With <see cref="ChaosPlan.KillWhenAuditQueueIdle"/>, waits (a while) until the host leases no audit message.</summary>
        private async Task<string> AuditIdleAsync(CancellationToken cancellationToken)
        {
            if (!plan.KillWhenAuditQueueIdle)
            {
                return "";
            }

            var idle = await WaitUntilAsync(async () => await _probe.AuditQueueDepthAsync(cancellationToken) == 0, plan.Hold / 2, cancellationToken);
            return idle ? ", audit queue empty" : ", audit queue still busy";
        }

        private async Task<FaultResult> KillAndRestartAsync(FaultKind fault, int wave, double at, string detail, Func<Task>? beforeRestart, CancellationToken cancellationToken)
        {
            // Messages in the audit queue at the kill: one the host had leased comes back only after the trigger's 10 minutes.
            detail += $" (audit queue {await TryAsync<int?>(async () => await _probe.AuditQueueDepthAsync(cancellationToken))})";
            Say($"kill -9 of the host: {detail}");
            await _host.KillAsync();
            _lastKill = DateTimeOffset.UtcNow;
            var counters = await _emulator.CountersAsync(cancellationToken);
            if (beforeRestart is not null)
            {
                await beforeRestart();
            }

            var started = await _host.StartOnceAsync(cancellationToken);
            var hostUp = DateTimeOffset.UtcNow - started;
            Say($"host restarted (incarnation {_host.Incarnation}), answering HTTP after {hostUp.TotalSeconds:F1} s");
            var (sync, moving) = await MeasureRecoveryAsync(started, counters, cancellationToken);
            var httpBack = await HttpBackAsync(started, cancellationToken);
            return new FaultResult(fault, wave, at, detail, hostUp, httpBack, sync, moving);
        }

        /// <summary>
        /// From <paramref name="from"/>, the first Graph request answered (the sync runs again) and the first import action or
        /// device settled (the pipeline moves again); <paramref name="counters"/> are the emulator's at <paramref name="from"/>.
        /// </summary>
        private async Task<(TimeSpan? Sync, TimeSpan? Moving)> MeasureRecoveryAsync(DateTimeOffset from, EmulatorCounters counters, CancellationToken cancellationToken)
        {
            TimeSpan? sync = null, moving = null;
            var answered = counters.Requests - counters.Faults;
            var nextLook = DateTimeOffset.MinValue;
            while ((sync is null || moving is null) && DateTimeOffset.UtcNow - from < RecoveryCap)
            {
                var now = await _emulator.CountersAsync(cancellationToken);
                var seen = DateTimeOffset.UtcNow - from;
                sync ??= now.Requests - now.Faults > answered ? seen : null;
                moving ??= now.ImportActions > counters.ImportActions ? seen : null;
                if (DateTimeOffset.UtcNow >= nextLook)
                {
                    nextLook = DateTimeOffset.UtcNow.AddSeconds(1);
                    if (await TryAsync(() => _probe.FirstSettledAfterAsync(from, cancellationToken)) is { } settled && (moving is null || settled - from < moving))
                    {
                        moving = settled - from;
                    }
                }

                await Task.Delay(250, cancellationToken);
            }

            Say($"  sync back after {Seconds(sync)} s, pipeline moving after {Seconds(moving)} s");
            return (sync, moving);
        }

        /// <summary>From <paramref name="from"/> to the first enrolment accepted after it, while devices still wait for an answer.</summary>
        private async Task<TimeSpan?> HttpBackAsync(DateTimeOffset from, CancellationToken cancellationToken)
        {
            await WaitUntilAsync(() => Task.FromResult(_clients.FirstAcceptAfter(from) is not null || _clients.Done >= _clients.Released), TimeSpan.FromMinutes(2), cancellationToken);
            return _clients.FirstAcceptAfter(from) - from;
        }

        /// <summary>Waits for every answer, every device settled, every identity deleted, the audit pipeline drained.</summary>
        private async Task<(double? SettledAfter, double? AuditAfterLastKill)> DrainAsync(CancellationToken cancellationToken)
        {
            var deadline = TimeSpan.FromSeconds(Now) + plan.Timeout;
            TimeSpan Left() => deadline - TimeSpan.FromSeconds(Now);
            Say("every wave released: waiting for the devices' answers, then for every device to settle");
            await WaitUntilAsync(() => Task.FromResult(_clients.Done >= _clients.Released), Left(), cancellationToken);
            var accepted = _clients.Accepted;
            double? settledAfter = await WaitUntilAsync(async () => await TryTallyAsync(cancellationToken) is { Unsettled: 0 } tally && tally.Settled >= accepted, Left(), cancellationToken, TimeSpan.FromSeconds(1))
                ? Now
                : null;
            Say(settledAfter is null ? "timed out waiting for every device to settle" : $"all {accepted} accepted devices settled");
            await WaitUntilAsync(async () => (await _emulator.CountersAsync(cancellationToken)).ImportedIdentitiesStored == 0 && await _probe.ImportsInFlightAsync(cancellationToken) == 0,
                Left(), cancellationToken, TimeSpan.FromSeconds(1));
            Say("waiting for the audit pipeline: queue empty (a message a killed host had leased comes back after 10 min), no events left in rows");
            var drained = await WaitUntilAsync(async () => await _probe.AuditQueueDepthAsync(cancellationToken) == 0 && await _probe.RowsWithPendingAuditAsync(cancellationToken) == 0,
                Left(), cancellationToken, TimeSpan.FromSeconds(2));
            double? auditAfter = drained && _lastKill is { } kill ? (DateTimeOffset.UtcNow - kill).TotalSeconds : null;
            Say(drained ? "audit pipeline drained" : "timed out waiting for the audit pipeline");
            return (settledAfter, auditAfter);
        }

        private async Task SampleAsync(CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    var counters = await _emulator.CountersAsync(cancellationToken);
                    var tally = await TryTallyAsync(cancellationToken);
                    var audit = _azurite.Paused ? (int?)null : await _probe.AuditQueueDepthAsync(cancellationToken);
                    _status = $"accepted {_clients.Accepted}/{_clients.Released} released, " +
                              (tally is null ? "storage not answering" : $"registered {tally.Registered}, failed {tally.Failed}, unsettled {tally.Unsettled}") +
                              $"; Graph imports {counters.ImportActions}, identities stored {counters.ImportedIdentitiesStored}; audit queue {audit?.ToString(CultureInfo.InvariantCulture) ?? "?"}; " +
                              $"host #{_host.Incarnation} {(_host.IsRunning ? "up" : "down")}";
                    await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (ex is HttpRequestException or Azure.RequestFailedException or TaskCanceledException)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
                }
            }
        }

        /// <summary>The device tally, or null while storage does not answer.</summary>
        private Task<DeviceTally?> TryTallyAsync(CancellationToken cancellationToken) => TryAsync<DeviceTally?>(async () => await _probe.TallyAsync(cancellationToken));

        /// <summary>A probe's answer, or default while storage does not answer.</summary>
        private static async Task<T?> TryAsync<T>(Func<Task<T?>> probe)
        {
            try
            {
                return await probe();
            }
            catch (Exception ex) when (ex is Azure.RequestFailedException or TaskCanceledException)
            {
                return default;
            }
        }

        /// <summary>Polls <paramref name="condition"/> until it holds (true) or <paramref name="cap"/> passes (false); a probe that throws counts as not yet.</summary>
        private static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan cap, CancellationToken cancellationToken, TimeSpan? poll = null)
        {
            var deadline = DateTimeOffset.UtcNow + cap;
            while (true)
            {
                try
                {
                    if (await condition())
                    {
                        return true;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or Azure.RequestFailedException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    // Not answering right now (storage paused, host restarting): not yet.
                }

                if (DateTimeOffset.UtcNow >= deadline)
                {
                    return false;
                }

                await Task.Delay(poll ?? TimeSpan.FromMilliseconds(200), cancellationToken);
            }
        }

        /// <summary>The fleet's indexes in <paramref name="count"/> waves of (nearly) equal size, in order.</summary>
        private static List<int[]> Waves(int devices, int count) =>
            Enumerable.Range(0, count)
                .Select(w => Enumerable.Range(devices * w / count, (devices * (w + 1) / count) - (devices * w / count)).ToArray())
                .ToList();

        private static string Seconds(TimeSpan? value) => value is { } v ? v.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) : "—";

        private void Say(string line)
        {
            lock (_logGate)
            {
                log.WriteLine($"[{Now,6:F0} s] {line}");
                log.Flush();
            }
        }
    }
}
