using System.Globalization;
using Sarthe.FloodBenchmark;
using Sarthe.Tools;

var command = new CommandLine("dotnet run -c Release --project tools/FloodBenchmark --",
    "A flood of forged enrolments (fresh timestamps, wrong signatures, real UAIs) from many clients while a storm of real\n" +
    "enrolments runs, against one dev host; rounds without and with the flood alternate (ABBA) so drift cancels out.\n" +
    "Prints the table of docs/benchmarks.md: the real devices' accept latency and throughput, the forged answers, the\n" +
    "audit entries the flood left.",
    "--devices 2000 --forged 20000 --flood-clients 64");
var devices = command.Int("--devices", 2000, "real enrolments per round, spread over the 56 collèges, each school from its own address");
var clients = command.Int("--clients", 32, "concurrent real enrolment clients");
var forged = command.Int("--forged", 20000, "forged requests per flooded round");
var floodClients = command.Int("--flood-clients", 64, "concurrent flood clients, each from its own address");
var seed = command.Int("--seed", 12, "seed of the generated devices and forgeries");
if (!command.TryParse(args, out var exitCode))
{
    return exitCode;
}

if (devices.Value < 1 || clients.Value < 1 || floodClients.Value < 1)
{
    return command.Reject("--devices, --clients and --flood-clients must be at least 1");
}

var settings = new FloodSettings(devices.Value, clients.Value, forged.Value, floodClients.Value, seed.Value);
using var stop = new StopSignal("flood benchmark, its dev host and Azurite");
return await stop.RunAsync(cancellationToken => FloodRun.RunAsync(settings, cancellationToken));
