using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Sarthe.DevHost;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Schools;
using Sarthe.Tools;

namespace Sarthe.FloodBenchmark;

/// <param name="Accepted">Correctly signed enrolments per accepted phase.</param>
/// <param name="Refused">Forged requests per refused phase.</param>
/// <param name="Pairs">Pairs of phases (one accepted, one refused; the order alternates from pair to pair).</param>
/// <param name="Idle">How long each idle window lasts (before the first phase and after the last).</param>
public sealed record CpuSettings(int Accepted, int Refused, int Pairs, int Clients, int FloodClients, int Seed, TimeSpan Idle);

/// <summary>CPU time of the backend's process, of Azurite's and of this program (the clients) at one instant.</summary>
public readonly record struct CpuReading(TimeSpan Backend, TimeSpan Storage, TimeSpan Client, long Timestamp)
{
    public static CpuReading Now(int backendPid, int storagePid) =>
        new(ProcessCpu(backendPid), ProcessCpu(storagePid), ProcessCpu(Environment.ProcessId), Stopwatch.GetTimestamp());

    public CpuSpent Since(CpuReading start) =>
        new(Backend - start.Backend, Storage - start.Storage, Client - start.Client, Stopwatch.GetElapsedTime(start.Timestamp, Timestamp).TotalSeconds);

    /// <summary>User + system time of every thread the process ever ran (/proc/&lt;pid&gt;/stat's utime + stime on Linux).</summary>
    private static TimeSpan ProcessCpu(int pid)
    {
        using var process = Process.GetProcessById(pid);
        return process.TotalProcessorTime;
    }
}

/// <summary>CPU time spent between two readings, and the wall time between them.</summary>
public readonly record struct CpuSpent(TimeSpan Backend, TimeSpan Storage, TimeSpan Client, double Seconds);

/// <summary>One measured phase: its requests, the answers that were expected (202 or 401) and the rest, its CPU time.</summary>
public sealed record CpuPhase(string Name, bool Refusals, int Requests, int Expected, IReadOnlyDictionary<int, int> Others, CpuSpent Spent);

/// <summary>
/// CPU time the backend spends per refused forged request against per accepted enrolment (issue 22). The dev host runs
/// as a process of its own (<c>dotnet Sarthe.DevHost.dll</c>, as the Functions worker is one in Azure), against an Azurite
/// this program starts (so its id is known): their CPU counters hold the backend's work and the storage's, never the
/// clients' signing and HTTP, which run here and are counted apart. Phases run alone, one kind of request each, so a
/// phase's CPU per request is ΔCPU / requests, less what the processes spend idle (queue polling, timers) over as long.
/// A phase's window lasts until the processes are quiet again, so that the work its requests left behind (tier-1 JIT,
/// garbage collection, queued work) is counted with it.
/// </summary>
public static class CpuPerRequestRun
{
    /// <summary>Backend + Azurite below this over <see cref="QuietWindow"/> is quiet (idle: some 30 ms/s, queue polling and timers).</summary>
    private const double QuietMsPerSecond = 100;

    private static readonly TimeSpan QuietWindow = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan MaxSettle = TimeSpan.FromSeconds(60);

    /// <summary>Forged requests per source address in a refused phase.</summary>
    public const int RequestsPerAddress = 250;

    /// <summary>The <paramref name="n"/>th address of 198.18.0.0/15, the range set aside for benchmarks (RFC 2544).</summary>
    private static string BenchmarkAddress(int n) => $"198.{18 + ((n >> 16) & 1)}.{(n >> 8) & 255}.{n & 255}";

    public static async Task<int> RunAsync(CpuSettings settings, CancellationToken cancellationToken)
    {
        var schools = BundledSchoolRegistry.Load();
        var folder = Directory.CreateTempSubdirectory("flood-cpu-").FullName;
        Console.WriteLine();
        Console.WriteLine($"CPU per request: {settings.Pairs} pairs of phases, {settings.Accepted} accepted enrolments ({settings.Clients} clients) / " +
                          $"{settings.Refused} forged requests ({settings.FloodClients} clients, {RequestsPerAddress} from each address); the dev host as a process of its own (log: {folder}/host.log) ...");
        await using var azurite = await AzuriteProcess.StartAsync(cancellationToken);
        var hostSettings = new Dictionary<string, string>(FloodRun.TimersOff)
        {
            [StorageConnection.SettingName] = azurite.ConnectionString,
            [SimulatedFrontDoor.Setting] = SimulatedFrontDoor.Id,
            // As quiet as the rounds' host: no console line per request.
            ["Logging:LogLevel:Default"] = "Warning",
        };
        await using var host = await HostProcess.StartAsync(folder, FreePort.Next(), hostSettings, cancellationToken);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Math.Max(settings.Clients, settings.FloodClients) * 2 })
        {
            BaseAddress = host.BaseUrl,
            Timeout = TimeSpan.FromSeconds(60),
        };
        var keys = await BenchmarkKeys.IssueAsync(http, schools.Select(s => s.Uai), cancellationToken);
        var addresses = schools.Select((s, i) => (s.Uai, Address: $"10.72.{i}.1")).ToDictionary(s => s.Uai, s => s.Address);
        var random = new Random(settings.Seed);
        var read = () => CpuReading.Now(host.ProcessId, azurite.ProcessId);
        Console.WriteLine($"  dev host pid {host.ProcessId} at {host.BaseUrl}, Azurite pid {azurite.ProcessId}, this program pid {Environment.ProcessId}");

        // Not measured: JIT (tiered compilation settles within these), connection pools, Azurite's first tables.
        Console.WriteLine("[warm-up] 1,000 accepted, 10,000 forged, not measured ...");
        var phase = 0;
        await AcceptedPhaseAsync("warm-up", 1000);
        await RefusedPhaseAsync("warm-up", 10000);
        Console.WriteLine($"  backend and Azurite quiet {F(await QuietAsync())} s after the warm-up");

        var idleBefore = await IdleAsync();
        var phases = new List<CpuPhase>();
        for (var pair = 0; pair < settings.Pairs; pair++)
        {
            // ABBA: accepted first in even pairs, refused first in odd ones, so that drift falls on both alike.
            if (pair % 2 == 0)
            {
                phases.Add(await AcceptedPhaseAsync($"{pair + 1} accepted", settings.Accepted));
                phases.Add(await RefusedPhaseAsync($"{pair + 1} refused", settings.Refused));
            }
            else
            {
                phases.Add(await RefusedPhaseAsync($"{pair + 1} refused", settings.Refused));
                phases.Add(await AcceptedPhaseAsync($"{pair + 1} accepted", settings.Accepted));
            }
        }

        var idleAfter = await IdleAsync();
        Print(phases, idleBefore, idleAfter);
        return phases.All(p => p.Expected == p.Requests) ? 0 : 1;

        // Until a window of QuietWindow spends less than QuietMsPerSecond (or MaxSettle has passed): how long it took.
        async Task<double> QuietAsync()
        {
            var settling = Stopwatch.StartNew();
            while (true)
            {
                var start = read();
                await Task.Delay(QuietWindow, cancellationToken);
                var spent = read().Since(start);
                if ((spent.Backend + spent.Storage).TotalMilliseconds / spent.Seconds < QuietMsPerSecond || settling.Elapsed > MaxSettle)
                {
                    return settling.Elapsed.TotalSeconds;
                }
            }
        }

        async Task<CpuSpent> IdleAsync()
        {
            Console.WriteLine($"[idle] {settings.Idle.TotalSeconds:F0} s without requests ...");
            var start = read();
            await Task.Delay(settings.Idle, cancellationToken);
            return read().Since(start);
        }

        Task<CpuPhase> AcceptedPhaseAsync(string name, int count)
        {
            var fleet = BenchmarkFleet.Numbered(random, schools, count, $"CPU{++phase}").Select(d => (Device: d, Body: SignedEnrolment.Body(d))).ToList();
            return MeasureAsync(name, refusals: false, count, HttpStatusCode.Accepted, settings.Clients, _ => i =>
            {
                var (device, body) = fleet[i];
                return SignedEnrolment.Create(body, keys[device.SchoolUai], addresses[device.SchoolUai]);
            });
        }

        // The flood's forgeries, from addresses new for the phase, RequestsPerAddress each in turn (well under the 600
        // refusals an address may have at once, however unevenly the clients go), so that each is refused with 401
        // after its signature is checked, not with 429 before its body is read.
        Task<CpuPhase> RefusedPhaseAsync(string name, int count)
        {
            var first = ++phase << 12;
            var addresses = (count + RequestsPerAddress - 1) / RequestsPerAddress;
            var seed = random.Next();
            return MeasureAsync(name, refusals: true, count, HttpStatusCode.Unauthorized, settings.FloodClients, client =>
            {
                var forger = new Random(seed + client);
                return i => ForgedEnrolment.Create(forger, schools, BenchmarkAddress(first + (i % addresses)));
            });
        }

        async Task<CpuPhase> MeasureAsync(string name, bool refusals, int count, HttpStatusCode expected, int clients, Func<int, Func<int, HttpRequestMessage>> request)
        {
            var statuses = new ConcurrentDictionary<int, int>();
            var clock = Stopwatch.StartNew();
            CpuSpent spent;
            double answered;
            await using (new Heartbeat(() => $"  {clock.Elapsed.TotalSeconds,5:F0} s  {name}: answered {statuses.Values.Sum()}/{count}"))
            {
                var start = read();
                await ConcurrentClients.RunAsync(clients, count, client =>
                {
                    var next = request(client);
                    return async i =>
                    {
                        using var response = await http.SendAsync(next(i), cancellationToken);
                        statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                    };
                });
                answered = clock.Elapsed.TotalSeconds;
                await QuietAsync();
                spent = read().Since(start);
            }

            var result = new CpuPhase(name, refusals, count, statuses.GetValueOrDefault((int)expected),
                statuses.Where(s => s.Key != (int)expected).ToDictionary(s => s.Key, s => s.Value), spent);
            Console.WriteLine($"  {name}: {result.Expected}/{count} answered {(int)expected}{Others(result)} in {F(answered)} s, quiet again after {F(spent.Seconds)} s; " +
                              $"CPU ms backend {Ms(spent.Backend)}, Azurite {Ms(spent.Storage)}, clients {Ms(spent.Client)}");
            return result;
        }
    }

    private static void Print(IReadOnlyList<CpuPhase> phases, CpuSpent idleBefore, CpuSpent idleAfter)
    {
        // What the processes spend without requests, per second (mean of the two idle windows): taken off each phase.
        var idleSeconds = idleBefore.Seconds + idleAfter.Seconds;
        var idleBackend = (idleBefore.Backend + idleAfter.Backend).TotalMilliseconds / idleSeconds;
        var idleStorage = (idleBefore.Storage + idleAfter.Storage).TotalMilliseconds / idleSeconds;
        double Backend(CpuPhase p) => p.Spent.Backend.TotalMilliseconds - (idleBackend * p.Spent.Seconds);
        double Storage(CpuPhase p) => p.Spent.Storage.TotalMilliseconds - (idleStorage * p.Spent.Seconds);

        Console.WriteLine();
        Console.WriteLine("| phase | requests | answered as expected | window s | backend CPU ms | Azurite CPU ms | clients CPU ms | backend µs/request | backend + Azurite µs/request | clients µs/request |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var p in phases)
        {
            Console.WriteLine($"| {p.Name} | {p.Requests} | {p.Expected} ({(p.Refusals ? 401 : 202)}){Others(p)} | {F(p.Spent.Seconds)} | {Ms(p.Spent.Backend)} | {Ms(p.Spent.Storage)} | {Ms(p.Spent.Client)} | " +
                              $"{F(Backend(p) * 1000 / p.Requests)} | {F((Backend(p) + Storage(p)) * 1000 / p.Requests)} | {F(p.Spent.Client.TotalMilliseconds * 1000 / p.Requests)} |");
        }

        Console.WriteLine();
        Console.WriteLine($"Idle (no requests, {F(idleSeconds)} s in two windows): backend {F(idleBackend)} CPU ms/s, Azurite {F(idleStorage)} CPU ms/s; " +
                          "taken off each phase's CPU for its duration (the µs/request columns are net of it; the CPU ms columns are not).");
        var pairs = phases.Chunk(2).Select(pair => (Accepted: pair.Single(p => !p.Refusals), Refused: pair.Single(p => p.Refusals))).ToList();
        string Ratios(Func<CpuPhase, double> cpu)
        {
            double PerRequest(IEnumerable<CpuPhase> some) => some.Sum(cpu) / some.Sum(p => p.Requests);
            var each = pairs.Select(p => R(PerRequest([p.Refused]) / PerRequest([p.Accepted])));
            var all = PerRequest(pairs.Select(p => p.Refused)) / PerRequest(pairs.Select(p => p.Accepted));
            return $"{R(all)} (pairs: {string.Join(", ", each)}); goal ≤ 0.1 {(all <= 0.1 ? "met" : "missed")}";
        }

        Console.WriteLine($"CPU per refused forged request / CPU per accepted enrolment, backend process only: {Ratios(Backend)}");
        Console.WriteLine($"CPU per refused forged request / CPU per accepted enrolment, backend + Azurite: {Ratios(p => Backend(p) + Storage(p))}");
    }

    private static string Others(CpuPhase phase) =>
        phase.Others.Count == 0 ? "" : ", others " + string.Join(" ", phase.Others.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"));

    private static string Ms(TimeSpan cpu) => cpu.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture);

    private static string F(double value) => value.ToString("F1", CultureInfo.InvariantCulture);

    private static string R(double value) => value.ToString("F3", CultureInfo.InvariantCulture);
}
