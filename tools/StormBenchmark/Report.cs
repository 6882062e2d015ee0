using System.Globalization;
using Sarthe.GraphEmulator;

namespace Sarthe.StormBenchmark;

/// <summary>The tables and lines of docs/benchmarks.md, from the runs' results.</summary>
public static class Report
{
    /// <summary>The issue's targets.</summary>
    private const double MaxRatio = 1.25;
    private const double MaxRequestsPerDevice = 0.1;
    private const double MaxWritesPerDevice = 0.02;

    public static void Print(StormSettings settings, RealisticModel model, IReadOnlyList<RunResult> results)
    {
        Console.WriteLine();
        Console.WriteLine("| mode | devices | accepted | accepted/s | accept p50 ms | p95 ms | p99 ms | all registered after s | all profile-assigned after s | 0 identity records after s | registered | profile assigned | failed | lost | records left |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            Console.WriteLine($"| {r.Mode} | {r.Devices} | {r.Accepted} | {F(r.AcceptedPerSecond)} | {F(r.P50Ms)} | {F(r.P95Ms)} | {F(r.P99Ms)} | {F(r.AllRegisteredAt)} | {F(r.AllAssignedAt)} | {F(r.NoRecordsLeftAt)} | {r.Registered} | {r.Assigned} | {r.Failed} | {r.Lost} | {r.RecordsLeft} |");
        }

        Console.WriteLine();
        Console.WriteLine("Times are seconds from the first acceptance (the product: its first device row; the baseline: its first POST), at time scale " +
                          $"{F(settings.TimeScale)} (× {F(settings.TimeScale)} for Intune's time). The baseline's accept latency is its POST to Graph, SDK retries included.");
        Console.WriteLine($"The product's clients send {(settings.OneAddress ? "every device from one address, 203.0.113.1" : "each school's devices from the school's own address")} (as Front Door forwards it) and try again as the device client does " +
                          $"(429, 5xx, no answer: Retry-After, else 5 s doubling; real time): {results[0].EnrolmentThrottled} × 429, {results[0].EnrolmentUnavailable} × 5xx or no answer. " +
                          "A device's accept latency runs from its first try to its 202, waits included.");
        foreach (var r in results)
        {
            Console.WriteLine($"Failed ({r.Mode}): {(r.FailedByCode.Count == 0 ? "none" : string.Join(", ", r.FailedByCode.OrderByDescending(f => f.Value).Select(f => $"{f.Key} × {f.Value}")))}");
        }

        foreach (var r in results)
        {
            Console.WriteLine($"Where the time went ({r.Mode}): imports sent from {F(r.Seconds(r.Timeline.FirstImport))} to {F(r.Seconds(r.Timeline.LastImport))} s; " +
                              $"Intune ended its last import job at {F(r.Graph.LastJobEnded)} s and listed the last device at {F(r.Graph.LastListed)} s, " +
                              $"seen registered at {F(r.AllRegisteredAt)} s (+{F(r.AllRegisteredAt - r.Graph.LastListed)} s); " +
                              $"it assigned the last profile at {F(r.Graph.LastAssigned)} s, seen at {F(r.AllAssignedAt)} s (+{F(r.AllAssignedAt - r.Graph.LastAssigned)} s).");
        }

        PrintCosts(results);
        PrintDeletes(model, results[0]);
        PrintLowerBound(model, results[0], target: true);
        if (results.Count > 1)
        {
            PrintBaseline(settings, model, results[0], results[1]);
        }

        if (results[0].Outage is { } outage)
        {
            PrintOutage(model, results[0], outage);
        }

        if (results[0].RealTenant is { } tenant)
        {
            PrintRealTenant(tenant);
        }
    }

    private static void PrintRealTenant(RealTenantOutcome t)
    {
        Console.WriteLine();
        Console.WriteLine("The tenant as found (issue 20):");
        Console.WriteLine();
        Console.WriteLine("| surprise | devices or POSTs | outcome | |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine($"| registered by a reseller under {RealTenantScenario.ResellerTag} | {t.ResellerDevices} | {t.TagsCorrected} show their school's tag with its profile assigned, {t.ResellerFailed} failed | {Verdict(t.TagsCorrected == t.ResellerDevices && t.ResellerFailed == 0)} |");
        Console.WriteLine($"| record Graph cannot read | {t.Unreadable} | {t.UnreadableFailed} failed ({string.Join(", ", t.UnreadableCodes)}); other devices failed: {t.OthersFailed} | {Verdict(t.UnreadableFailed == t.Unreadable && t.OthersFailed == 0)} |");
        Console.WriteLine($"| import POST answered 504 after Graph took it | {t.GatewayTimeouts - t.GatewayTimeoutsNotAnswered} of {t.GatewayTimeouts} | serials Graph took in more than one POST: {t.SerialsImportedMoreThanOnce} | {Verdict(t.SerialsImportedMoreThanOnce == 0)} |");
    }

    private static string Verdict(bool met) => met ? "met" : "**not met**";

    private static void PrintCosts(IReadOnlyList<RunResult> results)
    {
        Console.WriteLine();
        Console.WriteLine("Graph cost by kind, count (per device):");
        Console.WriteLine();
        Console.WriteLine("| mode | imports | status polls | Autopilot lookups (v1.0) | beta reads | identity deletes | 429 app / tenant | 503 | requests sent | writes sent | registration requests / device | registration writes / device | deletes / device | most app requests / writes in a window |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            var c = r.Counters;
            var n = Math.Max(1, r.Accepted);
            string Cell(long count) => $"{count} ({F((double)count / n, "0.####")})";
            Console.WriteLine($"| {r.Mode} | {Cell(c.ImportActions + c.IdentityCreates)} | {Cell(c.IdentityGets + c.IdentityListPages)} | " +
                              $"{Cell(c.AutopilotListPages + c.AutopilotFilteredLookups + c.AutopilotGets)} | {Cell(c.BetaReads)} | {Cell(c.IdentityDeletes)} | " +
                              $"{c.ThrottledByApp} / {c.ThrottledByTenant} | {c.Faults} | {c.Requests} | {c.Writes} | {F(RegistrationRequests(c) / (double)n, "0.####")} | " +
                              $"{F(RegistrationWrites(c) / (double)n, "0.####")} | {F(c.IdentityDeletes / (double)n, "0.####")} | {c.MaxAppRequestsInWindow} / {c.MaxAppWritesInWindow} |");
        }

        Console.WriteLine();
        Console.WriteLine("How counted (the emulator's counters): requests and writes sent are every Graph request that reached it with a token, 429 and 503");
        Console.WriteLine("answers included; the kinds count requests it served. Registration requests = requests sent − identity deletes served, and");
        Console.WriteLine("registration writes = writes sent − identity deletes served: a refused request of any kind (429, 503) counts against the registration.");
        Console.WriteLine("The product reads Autopilot (list or contains()) from Graph beta, which carries the profile: its lookups and profile reads are");
        Console.WriteLine("both under beta reads. The baseline looks devices up in v1.0 and reads the profile in beta.");
        foreach (var r in results)
        {
            var c = r.Counters;
            var n = Math.Max(1, r.Accepted);
            var served = c.ImportActions + c.IdentityCreates + c.IdentityGets + c.IdentityListPages + c.AutopilotListPages + c.AutopilotFilteredLookups + c.AutopilotGets + c.BetaReads;
            Console.WriteLine($"{r.Mode}: registration requests {RegistrationRequests(c)} sent ({F(RegistrationRequests(c) / (double)n, "0.####")}/device), {served} served " +
                              $"({F(served / (double)n, "0.####")}/device); registration writes {RegistrationWrites(c)} ({F(RegistrationWrites(c) / (double)n, "0.####")}/device)" +
                              (r.ClientErrors > 0 ? $"; {r.ClientErrors} calls failed after the SDK's retries and were asked again" : ""));
        }

        var product = results[0];
        var requests = RegistrationRequests(product.Counters) / (double)Math.Max(1, product.Accepted);
        var writes = RegistrationWrites(product.Counters) / (double)Math.Max(1, product.Accepted);
        Console.WriteLine($"Target (product): registration ≤ {F(MaxRequestsPerDevice, "0.##")} requests/device: {F(requests, "0.####")} {Verdict(requests <= MaxRequestsPerDevice)}; " +
                          $"≤ {F(MaxWritesPerDevice, "0.##")} writes/device: {F(writes, "0.####")} {Verdict(writes <= MaxWritesPerDevice)}.");
    }

    private static void PrintDeletes(RealisticModel model, RunResult product)
    {
        var t = product.Timeline;
        var c = product.Counters;
        Console.WriteLine();
        Console.WriteLine($"Deletes and registrations (product, counters sampled every 100 ms): import actions from {F(product.Seconds(t.FirstImport))} to {F(product.Seconds(t.LastImport))} s; " +
                          $"identity deletes from {F(product.Seconds(t.FirstDelete))} to {F(product.Seconds(t.LastDelete))} s; {t.DeletesBeforeLastImport} deletes served before the last import action; " +
                          $"at most {t.MostDeletesInAWindowBeforeAnImport} deletes in the {F(model.ThrottleWindow.TotalSeconds)} s budget window before an import action.");
        Console.WriteLine($"429s {c.ThrottledByApp} (app) / {c.ThrottledByTenant} (tenant); most app requests in one window {c.MaxAppRequestsInWindow} of 1000, writes {c.MaxAppWritesInWindow} of 100. " +
                          $"All registered at {F(product.AllRegisteredAt)} s, all profiles assigned at {F(product.AllAssignedAt)} s, no identity record left at {F(product.NoRecordsLeftAt)} s.");
        var polling = model.Scaled(new Sarthe.Enrolment.Registration.RegistrationOptions().AutopilotCheckInterval).TotalSeconds + model.SyncTick.TotalSeconds;
        Console.WriteLine($"Deletes share the sync's time with the Autopilot checks: the product saw the last device registered {F(product.AllRegisteredAt - product.Graph.LastListed)} s " +
                          $"after Intune listed it and the last profile assigned {F(product.AllAssignedAt - product.Graph.LastAssigned)} s after Intune assigned it " +
                          $"(AutopilotCheckInterval + one sync tick = {F(polling)} s, by default).");
        var neverDelayed = t.DeletesBeforeLastImport == 0 || (t.MostDeletesInAWindowBeforeAnImport == 0 && c.ThrottledByApp + c.ThrottledByTenant == 0);
        Console.WriteLine(neverDelayed
            ? "Deletes never delayed a registration: no delete shared a budget window with an import action (" +
              (t.DeletesBeforeLastImport == 0 ? "they began after the last one" : "none in the window before any") + "), and no request was refused for the budget."
            : "Deletes MAY have delayed a registration: deletes were served in the budget window before an import action (see above).");
    }

    private static void PrintLowerBound(RealisticModel model, RunResult r, bool target)
    {
        var lb = r.LowerBound;
        Console.WriteLine();
        Console.WriteLine($"Lower bound ({r.Mode}; emulator at time scale {F(model.TimeScale)}: W = {model.Workers} workers, B = {model.MaxImportBatch} per import, " +
                          $"J = {F(model.JobFixed.TotalSeconds)} s, p = {F(model.JobPerIdentity.TotalSeconds, "0.####")} s, D(n) = J + n·p, L = {F(model.SyncLag.TotalSeconds)} s, P = {F(model.ProfileDelay.TotalSeconds)} s):");
        Console.WriteLine("  M(n) = ceil(n/(W·B))·J + ceil(n/W)·p; LB_registered = max over acceptances i of [τ_i + M(N − i + 1)] + L; LB_assigned = LB_registered + P" +
                          (r.Outage is null ? "" : "; during the outage [s, e] nothing is sent nor seen: a device accepted after s counts from e, and a bound within [s, e) becomes e"));
        Console.WriteLine($"  N = {lb.Devices}, t_first = {F(lb.FirstAccept)} s, t_last = {F(lb.LastAccept)} s: LB_registered = {F(lb.Registered)} s, LB_assigned = {F(lb.Assigned)} s " +
                          $"(the issue's max(t_last + D(1) + L, t_first + ceil(N/(B·W))·D(B) + L) = max({F(lb.IssueLastTerm)}, {F(lb.IssueFirstTerm)}) = {F(lb.IssueFormula)} s" +
                          (r.Outage is null ? "" : ", which leaves the outage out") +
                          (r.Outage is null && lb.IssueFormula > lb.Registered + 1e-9 ? "; above the bound: ceil(N/(B·W))·D(B) overstates M(N) when N is not a multiple of W·B" : "") + ")");
        var registered = r.AllRegisteredAt / lb.Registered;
        var assigned = r.AllAssignedAt / lb.Assigned;
        Console.WriteLine($"  measured: all registered {F(r.AllRegisteredAt)} s = {F(registered, "0.###")} × LB_registered{(target ? " " + Verdict(registered <= MaxRatio, $"≤ {F(MaxRatio, "0.##")}") : "")}; " +
                          $"all profile-assigned {F(r.AllAssignedAt)} s = {F(assigned, "0.###")} × LB_assigned{(target ? " " + Verdict(assigned <= MaxRatio, $"≤ {F(MaxRatio, "0.##")}") : "")}");
    }

    private static void PrintBaseline(StormSettings settings, RealisticModel model, RunResult product, RunResult baseline)
    {
        PrintLowerBound(model, baseline, target: false);
        var n = baseline.Accepted;
        var w = model.Workers;
        var d1 = model.Job(1).TotalSeconds;
        var poll = model.ScriptPollInterval.TotalSeconds;
        var floor = Math.Ceiling((double)n / w) * d1 + model.SyncLag.TotalSeconds;
        Console.WriteLine($"  one-device imports queue FIFO on {w} workers: the baseline cannot register its last device before ceil(n/W)·D(1) + L = {F(floor)} s " +
                          $"(measured {F(baseline.AllRegisteredAt)} s)");

        // Projection to the product's fleet: the FIFO of one-device jobs grows by D(1) every W devices, and each device polls its
        // import every 30 s for as long as it waits in that queue; the other calls per device do not depend on N.
        var big = product.Accepted;
        var extra = (Math.Ceiling((double)big / w) - Math.Ceiling((double)n / w)) * d1;
        var c = baseline.Counters;
        var polls = (c.IdentityGets + c.IdentityListPages) / (double)Math.Max(1, n);
        double PollsPerDevice(int devices) => 1 + (((Math.Ceiling((double)devices / w) - 1) / 2) * d1 + d1) / poll;
        var projectedPolls = polls * PollsPerDevice(big) / PollsPerDevice(n);
        var otherRequests = (RegistrationRequests(c) - (c.IdentityGets + c.IdentityListPages)) / (double)Math.Max(1, n);
        var intune = new GraphEmulatorOptions();
        var pollRate = big / (model.ScriptPollInterval.TotalSeconds * model.TimeScale);
        var budgetRate = intune.AppRequestsPerWindow / intune.ThrottleWindow.TotalSeconds;
        Console.WriteLine($"  PROJECTION (not measured) for N = {big} devices: all registered ≈ {F(baseline.AllRegisteredAt + extra)} s, all profile-assigned ≈ {F(baseline.AllAssignedAt + extra)} s " +
                          $"(measured + (ceil(N/W) − ceil(n/W))·D(1); × {F(model.TimeScale)} = {F((baseline.AllAssignedAt + extra) * model.TimeScale / 3600, "0.#")} h of Intune's time), " +
                          $"registration ≈ {F(otherRequests + projectedPolls, "0.#")} requests/device (status polls {F(polls, "0.#")} → {F(projectedPolls, "0.#")}/device as the queue's mean wait grows), " +
                          $"{F(RegistrationWrites(c) / (double)Math.Max(1, n), "0.##")} writes/device, 1 delete/device.");
        Console.WriteLine($"  At N = {big}, waiting devices poll at {F(pollRate, "0")} requests/s of Intune's time against the app's {F(budgetRate, "0")}/s: " +
                          (pollRate > budgetRate
                              ? $"the baseline would be throttled throughout: over those {F((baseline.AllAssignedAt + extra) * model.TimeScale / 3600, "0.#")} h the app's budget serves at most " +
                                $"{F(budgetRate * (baseline.AllAssignedAt + extra) * model.TimeScale / big, "0")} requests per device, so its polls would come slower than every 30 s and the rest would be 429s."
                              : "within the budget."));
        Console.WriteLine($"  Product against the baseline projected to N: {F((baseline.AllAssignedAt + extra) / product.AllAssignedAt, "0.#")}× sooner to all profile-assigned, " +
                          $"{F((otherRequests + projectedPolls) / (RegistrationRequests(product.Counters) / (double)Math.Max(1, product.Accepted)), "0")}× fewer registration requests per device.");
    }

    private static void PrintOutage(RealisticModel model, RunResult product, OutageResult outage)
    {
        var backoff = model.MaxGraphBackoff.TotalSeconds;
        var tick = model.SyncTick.TotalSeconds;
        Console.WriteLine();
        Console.WriteLine($"Outage: {F(outage.Length.TotalMinutes * model.TimeScale)} min of Intune's time ({F(outage.Length.TotalSeconds)} s scaled) from {F(outage.StartedAt)} to {F(outage.EndedAt)} s " +
                          $"({outage.AcceptedWhenStarted} devices accepted, {outage.ImportsWhenStarted} import actions taken and {outage.IdentitiesInGraphWhenStarted} imported identity records in Graph when it began); " +
                          $"Graph answered 503 {outage.Answered503} times.");
        Console.WriteLine($"  first Graph call served after its end: {F(outage.FirstServedAfter)} s ({outage.FirstServedKind}); first import or poll: {F(outage.FirstRegistrationCallAfter)} s after; " +
                          $"MaxGraphBackoff scaled {F(backoff)} s (+ one sync tick, {F(tick)} s): " +
                          Verdict(outage.FirstRegistrationCallAfter is { } after && after <= backoff + tick, "within one back-off"));
        Console.WriteLine($"  devices failed: {product.Failed} ({(product.FailedByCode.Count == 0 ? "no code" : string.Join(", ", product.FailedByCode.Select(f => $"{f.Key} × {f.Value}")))}); " +
                          $"lost {product.Lost}; imported identity records left {product.RecordsLeft}.");
    }

    private static long RegistrationRequests(EmulatorCounters c) => c.Requests - c.IdentityDeletes;

    private static long RegistrationWrites(EmulatorCounters c) => c.Writes - c.IdentityDeletes;

    private static string Verdict(bool met, string? target = null) => (target is null ? "" : $"(target {target}) ") + (met ? "met" : "NOT MET");

    private static string F(double? value, string format = "0.0") =>
        value is { } v && double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";
}
