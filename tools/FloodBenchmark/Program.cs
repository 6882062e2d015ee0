using System.Globalization;
using Sarthe.FloodBenchmark;
using Sarthe.Tools;

var command = new CommandLine("dotnet run -c Release --project tools/FloodBenchmark --",
    "A flood of forged enrolments (fresh timestamps, wrong signatures, real UAIs) from many clients while a storm of real\n" +
    "enrolments runs, against one dev host; rounds without and with the flood alternate (ABBA) so drift cancels out.\n" +
    "Prints the table of docs/benchmarks.md: the real devices' accept latency and throughput, the forged answers, the\n" +
    "audit entries the flood left. Then the CPU time the backend spends per refused forged request against per accepted\n" +
    "enrolment (issue 22): the dev host as a process of its own, phases of one kind alone, its CPU counters read around each.",
    "--devices 2000 --forged 20000 --flood-clients 64");
var devices = command.Int("--devices", 2000, "real enrolments per round, spread over the 56 collèges, each school from its own address");
var clients = command.Int("--clients", 32, "concurrent real enrolment clients");
var forged = command.Int("--forged", 20000, "forged requests per flooded round");
var floodClients = command.Int("--flood-clients", 64, "concurrent flood clients, each from its own address");
var seed = command.Int("--seed", 12, "seed of the generated devices and forgeries");
var cpuPairs = command.Int("--cpu-pairs", 3, "pairs of CPU phases (accepted, refused); 0 skips the CPU measurement");
var cpuAccepted = command.Int("--cpu-accepted", 2000, "correctly signed enrolments per accepted CPU phase");
var cpuRefused = command.Int("--cpu-refused", 20000, $"forged requests per refused CPU phase, {CpuPerRequestRun.RequestsPerAddress} from each address");
var cpuIdle = command.Int("--cpu-idle-seconds", 10, "length of each of the two idle windows (the processes' CPU without requests)");
var cpuOnly = command.Flag("--cpu-only", "only the CPU measurement, not the rounds");
if (!command.TryParse(args, out var exitCode))
{
    return exitCode;
}

if (devices.Value < 1 || clients.Value < 1 || floodClients.Value < 1)
{
    return command.Reject("--devices, --clients and --flood-clients must be at least 1");
}

if (cpuPairs.Value > 0 && (cpuAccepted.Value < 1 || cpuRefused.Value < 1 || cpuIdle.Value < 1))
{
    return command.Reject("--cpu-accepted, --cpu-refused and --cpu-idle-seconds must be at least 1");
}

if (cpuOnly.Value && cpuPairs.Value == 0)
{
    return command.Reject("--cpu-only needs --cpu-pairs of at least 1");
}

var settings = new FloodSettings(devices.Value, clients.Value, forged.Value, floodClients.Value, seed.Value);
var cpu = new CpuSettings(cpuAccepted.Value, cpuRefused.Value, cpuPairs.Value, clients.Value, floodClients.Value, seed.Value, TimeSpan.FromSeconds(cpuIdle.Value));
using var stop = new StopSignal("flood benchmark, its dev hosts and Azurite");
return await stop.RunAsync(async cancellationToken =>
{
    var rounds = cpuOnly.Value ? 0 : await FloodRun.RunAsync(settings, cancellationToken);
    var cpuRun = cpu.Pairs == 0 ? 0 : await CpuPerRequestRun.RunAsync(cpu, cancellationToken);
    return Math.Max(rounds, cpuRun);
});
