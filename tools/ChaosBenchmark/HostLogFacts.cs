namespace Sarthe.ChaosBenchmark;

/// <summary>What the host's own log says it repaired (all incarnations): the evidence behind the recovery figures.</summary>
public sealed record HostLogFacts(
    int ImportsReconciled, int HalfPlannedImportsFinished, int DevicesRedriven, int SweepsThatActed, int SyncResumed, int ErrorLines, IReadOnlySet<string> RedrivenSerials)
{
    private const string Redriven = "had stopped moving";

    public static HostLogFacts Read(string path)
    {
        if (!File.Exists(path))
        {
            return new HostLogFacts(0, 0, 0, 0, 0, 0, new HashSet<string>());
        }

        int reconciled = 0, halfPlanned = 0, redriven = 0, sweeps = 0, resumed = 0, errors = 0;
        var serials = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in File.ReadLines(path))
        {
            // The messages of ImportPoster, AutopilotSync, RegistrationRedriver and RegistrationSweeper.
            reconciled += line.Contains("was cut short while being sent", StringComparison.Ordinal) ? 1 : 0;
            halfPlanned += line.Contains("was left half-planned", StringComparison.Ordinal) ? 1 : 0;
            if (line.Contains(Redriven, StringComparison.Ordinal))
            {
                // "Device {serial} of {uai} had stopped moving (...); back in line"
                redriven++;
                var words = line[line.IndexOf("Device ", StringComparison.Ordinal)..].Split(' ');
                serials.Add(words[1]);
            }

            sweeps += line.Contains("Sweep: ", StringComparison.Ordinal) ? 1 : 0;
            resumed += line.Contains("Autopilot sync resumes on this instance", StringComparison.Ordinal) ? 1 : 0;
            errors += line.Contains(" fail: ", StringComparison.Ordinal) || line.Contains(" crit: ", StringComparison.Ordinal) ? 1 : 0;
        }

        return new HostLogFacts(reconciled, halfPlanned, redriven, sweeps, resumed, errors, serials);
    }
}
