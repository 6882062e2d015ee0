namespace Sarthe.StormBenchmark;

/// <summary>Reads, from the sampled counters, what happened around an outage's end.</summary>
public static class Outages
{
    public static OutageResult Describe(IReadOnlyList<CounterSample> samples, DateTimeOffset started, TimeSpan length, DateTimeOffset origin, int acceptedWhenStarted)
    {
        var ended = started + length;
        // While Graph is down it serves nothing: the last sample before the end is the count to beat.
        var before = samples.LastOrDefault(s => s.At < ended) ?? samples[0];
        var after = samples.Where(s => s.At >= ended).ToList();
        var firstServed = after.FirstOrDefault(s => s.Served > before.Served);
        var firstRegistration = after.FirstOrDefault(s => s.RegistrationServed > before.RegistrationServed);
        var answered503 = samples.Count > 0 ? samples[^1].Counters.Faults : 0;
        // Graph serves nothing once the outage began: the first sample after its start holds what came before it.
        var atStart = samples.FirstOrDefault(s => s.At >= started) ?? samples[^1];
        return new OutageResult(
            length,
            (started - origin).TotalSeconds,
            (ended - origin).TotalSeconds,
            acceptedWhenStarted,
            atStart.Counters.ImportActions + atStart.Counters.IdentityCreates,
            atStart.Counters.ImportedIdentitiesStored,
            answered503,
            firstServed is null ? null : (firstServed.At - ended).TotalSeconds,
            firstServed is null ? "none" : KindOf(before, firstServed),
            firstRegistration is null ? null : (firstRegistration.At - ended).TotalSeconds);
    }

    private static string KindOf(CounterSample before, CounterSample after)
    {
        var (b, a) = (before.Counters, after.Counters);
        var kinds = new List<string>();
        if (a.ImportActions + a.IdentityCreates > b.ImportActions + b.IdentityCreates)
        {
            kinds.Add("import");
        }

        if (a.IdentityGets + a.IdentityListPages > b.IdentityGets + b.IdentityListPages)
        {
            kinds.Add("status poll");
        }

        if (a.AutopilotListPages + a.AutopilotFilteredLookups + a.AutopilotGets > b.AutopilotListPages + b.AutopilotFilteredLookups + b.AutopilotGets)
        {
            kinds.Add("Autopilot lookup");
        }

        if (a.BetaReads > b.BetaReads)
        {
            kinds.Add("beta read");
        }

        if (a.IdentityDeletes > b.IdentityDeletes)
        {
            kinds.Add("delete");
        }

        return kinds.Count == 0 ? "other" : string.Join(" + ", kinds);
    }
}
