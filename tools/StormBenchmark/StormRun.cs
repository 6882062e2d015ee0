using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Sarthe.DevHost;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Hosting;
using Sarthe.Tools;

namespace Sarthe.StormBenchmark;

/// <summary>
/// The product's storm: a fresh dev host (Azurite, the Graph emulator under Intune's model), N signed enrolments from C
/// clients (each school's devices from the school's address, tried again as the device client does), an optional Graph
/// outage once half the fleet is accepted or once Graph has taken so many imports, then the drain until every device is settled, every
/// profile assigned and every imported identity record deleted. Times come from the device rows (the product's clock);
/// the emulator's counters are sampled every 100 ms beside it.
/// </summary>
public static class StormRun
{
    private const string Mode = "product";

    public static async Task<RunResult> RunAsync(StormSettings settings, RealisticModel model, IReadOnlyList<FleetDevice> fleet, CancellationToken cancellationToken)
    {
        // Errors logged while the host stops (cancelled invocations) are noise here; failures show up in the device rows.
        // Schools' addresses as Azure Front Door forwards them (the product never reads X-Forwarded-For).
        var options = SimulatedFrontDoor.Configure(new DevHostOptions { Port = 0, MinimumLogLevel = LogLevel.Critical, GraphEmulator = model.Emulator() });
        foreach (var (name, value) in model.ProductSettings())
        {
            options.Settings[name] = value;
        }

        Console.WriteLine($"[{Mode}] starting dev host (Azurite, Graph emulator under Intune's model at time scale {F(settings.TimeScale)})...");
        await using var host = await RunningDevHost.StartAsync(options, cancellationToken);
        var graph = host.Graph!.State;
        var tenant = RealTenantScenario.Choose(settings, fleet);
        if (!tenant.IsEmpty)
        {
            tenant.Seed(graph);
            Console.WriteLine($"[{Mode}] the tenant as found: {tenant.Describe()}");
        }

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = settings.Concurrency * 2 }) { BaseAddress = host.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        var keys = await BenchmarkKeys.IssueAsync(http, host.Tokens.CreateToken(["Enrolment.Admin"]), fleet.Select(d => d.SchoolUai).Distinct(), cancellationToken);

        Console.WriteLine($"[{Mode}] storm: {fleet.Count} devices, {settings.Concurrency} concurrent clients, import batch size {settings.BatchSize}");
        await using var sampler = new CounterSampler(graph);
        var addresses = SchoolAddresses(fleet, settings.OneAddress);
        var refusals = new Refusals();
        var latencies = new double[fleet.Count];
        var accepted = 0;
        var next = -1;
        var outageAt = settings.OutageMinutes > 0 && settings.OutageAfterImports == 0 ? Math.Max(1, fleet.Count / 2) : -1;
        var acceptedWhenOutage = outageAt;
        DateTimeOffset? outageStarted = null;
        void StartOutage(string when)
        {
            acceptedWhenOutage = Volatile.Read(ref accepted);
            outageStarted = DateTimeOffset.UtcNow;
            graph.StartOutage(TimeSpan.FromMinutes(settings.OutageMinutes));
            Console.WriteLine($"[{Mode}]   Graph outage of {F(settings.OutageMinutes)} min ({F(model.Scaled(TimeSpan.FromMinutes(settings.OutageMinutes)).TotalSeconds)} s scaled) begins, " +
                              $"{when}: {acceptedWhenOutage} devices accepted, {graph.Counters.ImportActions} import actions taken");
        }

        // Or in the middle of Graph's work: once it has taken that many import actions.
        using var stopWatching = new CancellationTokenSource();
        var outageWatch = settings.OutageMinutes > 0 && settings.OutageAfterImports > 0
            ? Task.Run(async () =>
            {
                while (graph.Counters.ImportActions < settings.OutageAfterImports)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50), stopWatching.Token);
                }

                StartOutage($"after import action {settings.OutageAfterImports}");
            }, stopWatching.Token)
            : Task.CompletedTask;
        var progress = new DrainProgress();
        var clock = Stopwatch.StartNew();
        await using var heartbeat = new Heartbeat(() => $"[{Mode}] {clock.Elapsed.TotalSeconds,6:F0} s  accepted {Volatile.Read(ref accepted)}/{fleet.Count}  {progress}  {Describe(graph)}");
        await Task.WhenAll(Enumerable.Range(0, settings.Concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < fleet.Count)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await EnrolAsync(http, fleet[i], keys[fleet[i].SchoolUai], addresses[fleet[i].SchoolUai], refusals, cancellationToken);
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                // 200: the device was already enrolled (a try that got a 503 had been stored after all); the contract answers a repeat with 200.
                if (response.StatusCode is not (HttpStatusCode.Accepted or HttpStatusCode.OK))
                {
                    Console.WriteLine($"[{Mode}]   unexpected {(int)response.StatusCode} for {fleet[i].Serial}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                    continue;
                }

                if (Interlocked.Increment(ref accepted) == outageAt)
                {
                    StartOutage("half the fleet accepted");
                }
            }
        }));
        var acceptSeconds = clock.Elapsed.TotalSeconds;

        var table = new TableServiceClient(host.StorageConnectionString).GetTableClient(TableNames.Devices);
        var deadline = clock.Elapsed + settings.Timeout;
        while (true)
        {
            var counts = await CountAsync(table, cancellationToken);
            progress.Set(counts);
            if (counts.Registered + counts.Failed >= accepted && counts.Assigned >= counts.Registered && graph.ImportedIdentitiesStored == 0 && tenant.TagsLeft(graph) == 0)
            {
                break;
            }

            if (clock.Elapsed > deadline)
            {
                Console.WriteLine($"[{Mode}]   stopped waiting after {settings.Timeout.TotalMinutes:F0} min: {progress}");
                break;
            }

            await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
        }

        await stopWatching.CancelAsync();
        try
        {
            await outageWatch;
        }
        catch (OperationCanceledException)
        {
        }
        if (settings.OutageMinutes > 0 && outageStarted is null)
        {
            Console.WriteLine($"[{Mode}]   no outage: Graph took fewer than {settings.OutageAfterImports} import actions");
        }

        sampler.Take();
        var rows = await ReadDevicesAsync(table, cancellationToken);
        var origin = rows.Count > 0 ? rows.Min(r => r.EnrolledAt) : DateTimeOffset.UtcNow;
        var acceptTimes = rows.Select(r => (r.EnrolledAt - origin).TotalSeconds).ToList();
        var outageLength = model.Scaled(TimeSpan.FromMinutes(settings.OutageMinutes));
        (double, double)? outageWindow = outageStarted is { } began ? ((began - origin).TotalSeconds, (began + outageLength - origin).TotalSeconds) : null;

        var samples = sampler.Samples;
        var timeline = Timeline.From(samples, model.Scaled(TimeSpan.FromSeconds(20)));
        Array.Sort(latencies);
        var registered = rows.Where(r => r.Status == DeviceStatus.Registered.ToName()).ToList();
        var assigned = registered.Where(r => r.ProfileStatus == DeploymentProfileStatus.Assigned).ToList();
        var counters = graph.Counters;
        if (assigned.Count > 0 && assigned.MaxBy(r => r.UpdatedAt) is { } last)
        {
            // The device that set "all profile-assigned": when Intune assigned its profile, and whether it came with a reseller's tag.
            var inGraph = graph.Devices.FirstOrDefault(d => d.GoneAt is null && string.Equals(d.SerialNumber, last.SerialNumber, StringComparison.OrdinalIgnoreCase));
            Console.WriteLine($"[{Mode}]   last device seen ready: {last.SerialNumber} at {F((last.UpdatedAt - origin).TotalSeconds)} s; Intune assigned its profile at " +
                              $"{(inGraph?.ProfileAssignedAt is { } at ? F((at - origin).TotalSeconds) : "?")} s{(tenant.WasResellerRegistered(last.SerialNumber) ? " (registered by the reseller)" : "")}");
        }

        if (refusals.Count > 0)
        {
            Console.WriteLine($"[{Mode}]   tried again as the device client does: {refusals.Throttled} × 429, {refusals.Unavailable} × 5xx, {refusals.Unanswered} without an answer " +
                              $"(longest wait {F(refusals.LongestWait.TotalSeconds)} s)");
        }

        return new RunResult
        {
            Mode = Mode,
            Devices = fleet.Count,
            Accepted = accepted,
            EnrolmentThrottled = refusals.Throttled,
            EnrolmentUnavailable = refusals.Unavailable + refusals.Unanswered,
            AcceptSeconds = acceptSeconds,
            P50Ms = Percentile(latencies, 0.50),
            P95Ms = Percentile(latencies, 0.95),
            P99Ms = Percentile(latencies, 0.99),
            AllRegisteredAt = registered.Count > 0 ? (registered.Max(r => r.RegisteredAt!.Value) - origin).TotalSeconds : null,
            // Once assigned, a device row changes no more: its UpdatedAt is when the product recorded the assignment.
            AllAssignedAt = assigned.Count > 0 && assigned.Count == registered.Count ? (assigned.Max(r => r.UpdatedAt) - origin).TotalSeconds : null,
            NoRecordsLeftAt = counters.ImportedIdentitiesStored == 0 && timeline.NoRecordsLeft is { } none ? (none - origin).TotalSeconds : null,
            Registered = registered.Count,
            Assigned = assigned.Count,
            Failed = rows.Count(r => r.Status == DeviceStatus.Failed.ToName()),
            FailedByCode = rows.Where(r => r.Status == DeviceStatus.Failed.ToName()).GroupBy(r => r.LastErrorCode ?? "(none)").ToDictionary(g => g.Key, g => g.Count()),
            RecordsLeft = counters.ImportedIdentitiesStored,
            Counters = counters,
            Timeline = timeline,
            LowerBound = LowerBound.Compute(model, acceptTimes, outageWindow),
            AcceptTimes = acceptTimes,
            Origin = origin,
            Outage = outageStarted is { } start ? Outages.Describe(samples, start, outageLength, origin, acceptedWhenOutage) : null,
            Graph = GraphMoments.From(graph.Devices, origin),
            RealTenant = tenant.IsEmpty ? null : tenant.Outcome(graph,
                rows.Where(r => r.Status == DeviceStatus.Failed.ToName()).ToDictionary(r => r.SerialNumber, r => r.LastErrorCode ?? "(none)", StringComparer.OrdinalIgnoreCase)),
        };
    }

    /// <summary>The drain's counts from the last scan of the device table, for the progress lines.</summary>
    private sealed class DrainProgress
    {
        private volatile string _text = "";

        public void Set(DeviceCounts counts) =>
            _text = $"registered {counts.Registered}, profile assigned {counts.Assigned}, failed {counts.Failed}";

        public override string ToString() => _text;
    }

    private sealed record DeviceCounts(int Registered, int Assigned, int Failed);

    /// <summary>A device row as the drain reads it; ProfileStatus is "assigned" only once the device is ready (no group tag still to set).</summary>
    private sealed record DeviceRow(string SerialNumber, string Status, DateTimeOffset EnrolledAt, DateTimeOffset? RegisteredAt, DateTimeOffset UpdatedAt, string? ProfileStatus, string? LastErrorCode);

    internal static string Describe(Sarthe.GraphEmulator.GraphEmulatorState graph)
    {
        var c = graph.Counters;
        return $"| Graph: imports {c.ImportActions + c.IdentityCreates}, records {c.ImportedIdentitiesStored}, deletes {c.IdentityDeletes}, " +
               $"requests {c.Requests}, 429s {c.Throttled}{(graph.InOutage ? ", OUTAGE" : "")}";
    }

    private static async Task<DeviceCounts> CountAsync(TableClient devices, CancellationToken cancellationToken)
    {
        var (registered, assigned, failed) = (0, 0, 0);
        await foreach (var row in devices.QueryAsync<TableEntity>(maxPerPage: 1000, select: ["Status", "ProfileStatus", "GroupTagWanted"], cancellationToken: cancellationToken))
        {
            switch (row.GetString("Status"))
            {
                case "registered":
                    registered++;
                    assigned += ProfileStatusWhenReady(row) == DeploymentProfileStatus.Assigned ? 1 : 0;
                    break;
                case "failed":
                    failed++;
                    break;
            }
        }

        return new DeviceCounts(registered, assigned, failed);
    }

    private static async Task<List<DeviceRow>> ReadDevicesAsync(TableClient devices, CancellationToken cancellationToken)
    {
        var rows = new List<DeviceRow>();
        string[] columns = [nameof(DeviceEntity.RowKey), nameof(DeviceEntity.GroupTagWanted), nameof(DeviceEntity.Status), nameof(DeviceEntity.EnrolledAt), nameof(DeviceEntity.RegisteredAt), nameof(DeviceEntity.UpdatedAt),
            nameof(DeviceEntity.ProfileStatus), nameof(DeviceEntity.LastErrorCode)];
        await foreach (var row in devices.QueryAsync<TableEntity>(maxPerPage: 1000, select: columns, cancellationToken: cancellationToken))
        {
            rows.Add(new DeviceRow(
                row.RowKey,
                row.GetString(nameof(DeviceEntity.Status)),
                row.GetDateTimeOffset(nameof(DeviceEntity.EnrolledAt)) ?? DateTimeOffset.MinValue,
                row.GetDateTimeOffset(nameof(DeviceEntity.RegisteredAt)),
                row.GetDateTimeOffset(nameof(DeviceEntity.UpdatedAt)) ?? DateTimeOffset.MinValue,
                ProfileStatusWhenReady(row),
                row.GetString(nameof(DeviceEntity.LastErrorCode))));
        }

        return rows;
    }

    /// <summary>The profile status, as not yet assigned while the device waits for its school's tag (it is not ready: Device.ReadyToProvision).</summary>
    private static string? ProfileStatusWhenReady(TableEntity row) =>
        string.IsNullOrEmpty(row.GetString(nameof(DeviceEntity.GroupTagWanted))) ? row.GetString(nameof(DeviceEntity.ProfileStatus)) : DeploymentProfileStatus.Pending;

    /// <summary>
    /// Each school's devices reach the front end from the school's own public address (its network's NAT), one per school
    /// from 203.0.113.0/24 (TEST-NET-3), or all from the first of them (one network for every school), stamped as Azure
    /// Front Door forwards them (the dev host runs in Front Door mode).
    /// </summary>
    private static Dictionary<string, string> SchoolAddresses(IReadOnlyList<FleetDevice> fleet, bool oneAddress) =>
        fleet.Select(d => d.SchoolUai).Distinct().Order(StringComparer.Ordinal)
            .Select((uai, i) => (uai, Address: oneAddress ? "203.0.113.1" : $"203.0.{113 + (i + 1) / 256}.{(i + 1) % 256}"))
            .ToDictionary(s => s.uai, s => s.Address);

    /// <summary>The enrolment route's answers that the clients tried again (429, 5xx, no answer), and the longest wait among them.</summary>
    private sealed class Refusals
    {
        private long _throttled;
        private long _unavailable;
        private long _unanswered;
        private long _longestTicks;

        /// <summary>429s (the per-source or per-school limit).</summary>
        public long Throttled => Interlocked.Read(ref _throttled);

        /// <summary>5xx answers (e.g. 503 when storage does not answer in time).</summary>
        public long Unavailable => Interlocked.Read(ref _unavailable);

        /// <summary>Requests that got no answer (connection error, client timeout).</summary>
        public long Unanswered => Interlocked.Read(ref _unanswered);

        public long Count => Throttled + Unavailable + Unanswered;

        public TimeSpan LongestWait => TimeSpan.FromTicks(Interlocked.Read(ref _longestTicks));

        public void Add(HttpStatusCode? status, TimeSpan wait)
        {
            if (status == HttpStatusCode.TooManyRequests)
            {
                Interlocked.Increment(ref _throttled);
            }
            else if (status is null)
            {
                Interlocked.Increment(ref _unanswered);
            }
            else
            {
                Interlocked.Increment(ref _unavailable);
            }

            long seen;
            while (wait.Ticks > (seen = Interlocked.Read(ref _longestTicks)) && Interlocked.CompareExchange(ref _longestTicks, wait.Ticks, seen) != seen)
            {
            }
        }
    }

    /// <summary>The device client's tries (client/Enrol-Device.ps1: maxAttempts 8).</summary>
    private const int MaxAttempts = 8;

    /// <summary>
    /// One device's enrolment as the device client does it (client/Enrol-Device.ps1, Invoke-WithRetry and Get-Wait): a
    /// 429, a 5xx or no answer is tried again, newly signed, after the server's Retry-After (at least 1 s, at most 300 s)
    /// or, without one, 5 s doubling up to 60 s; at most 8 tries. These waits are the device's own, in real time (not
    /// scaled). Any other answer, or the last try's, is the outcome.
    /// </summary>
    private static async Task<HttpResponseMessage> EnrolAsync(HttpClient http, FleetDevice device, byte[] key, string address, Refusals refusals, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            HttpResponseMessage? response = null;
            try
            {
                response = await http.SendAsync(SignedEnrolment.Create(device, key, address), cancellationToken);
            }
            catch (HttpRequestException) when (attempt < MaxAttempts)
            {
            }
            catch (TaskCanceledException) when (attempt < MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
            }

            if (response is not null && (attempt == MaxAttempts || (response.StatusCode != HttpStatusCode.TooManyRequests && (int)response.StatusCode < 500)))
            {
                return response;
            }

            var wait = response?.Headers.RetryAfter?.Delta is { } delta
                ? TimeSpan.FromSeconds(Math.Clamp(Math.Ceiling(delta.TotalSeconds), 1, 300))
                : TimeSpan.FromSeconds(Math.Min(60, 5 * Math.Pow(2, attempt - 1)));
            refusals.Add(response?.StatusCode, wait);
            response?.Dispose();
            await Task.Delay(wait, cancellationToken);
        }
    }

    internal static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static string F(double value) => value.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);
}
