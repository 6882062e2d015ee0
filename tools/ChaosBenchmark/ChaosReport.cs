using System.Globalization;
using System.Text;

namespace Sarthe.ChaosBenchmark;

/// <summary>The run's results as the markdown tables of docs/benchmarks.md.</summary>
public static class ChaosReport
{
    public static string Markdown(ChaosResult result)
    {
        var o = result.Outcome;
        var text = new StringBuilder();
        text.AppendLine("| # | fault | wave devices | at s | what was hit | host up s | HTTP back s | sync back s | pipeline moving s | re-driven devices | their slowest enrolment→settled s |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        var number = 0;
        foreach (var f in result.Faults)
        {
            text.AppendLine($"| {++number} | {f.Fault.Title()} | {f.WaveDevices} | {F(f.AtSeconds, "F0")} | {f.Detail} | {S(f.HostUp)} | {S(f.HttpBack)} | {S(f.SyncBack)} | {S(f.PipelineMoving)} | {f.Redriven} | {S(f.SlowestRedriven)} |");
        }

        text.AppendLine();
        text.AppendLine("| devices | accepted | registered | failed (codes) | lost | duplicate imports | identities left | imports left | audit anomalies | all settled after s | audit complete after last kill s |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        var codes = o.FailedByCode.Count == 0 ? "" : $" ({string.Join(", ", o.FailedByCode.Select(c => $"{c.Key} {c.Value}"))})";
        text.AppendLine($"| {o.Devices} | {o.Accepted} | {o.Registered} | {o.Failed}{codes} | {o.Lost} | {o.DuplicateImports} | {o.IdentitiesLeft} | {o.ImportsLeft} | {o.AuditAnomalies} | " +
                        $"{F(result.AllSettledAfterSeconds)} | {F(result.AuditCompleteAfterLastKillSeconds)} |");
        text.AppendLine();
        var log = result.HostLog;
        text.AppendLine($"Host: {result.HostIncarnations} incarnations; its log: {log.ImportsReconciled} imports found cut short and reconciled by listing, " +
                        $"{log.HalfPlannedImportsFinished} half-planned imports finished, {log.DevicesRedriven} devices driven again (sweep or repeat enrolment), " +
                        $"{log.SweepsThatActed} sweeps that acted, {log.ErrorLines} error lines.");
        text.AppendLine($"Devices' answers: {string.Join(", ", result.ClientAnswers.Select(a => $"{a.Key} ×{a.Value}"))}; {result.ClientRetries} retries; " +
                        $"{result.FirstTryAlreadyEnrolled} devices answered 200 (already enrolled) to their first request; {result.Refusals.Count} refused (another 4xx)" +
                        (result.Refusals.Count == 0 ? "." : $": {string.Join(" | ", result.Refusals.Take(5))}"));
        text.AppendLine($"Audit: queue left {o.AuditQueueLeft}, poison {o.PoisonMessages}, rows still holding events {o.RowsWithPendingAudit}; " +
                        $"device rows without an accepted enrolment {o.RowsOfUnacceptedDevices}; registered without an import {o.RegisteredWithoutImport}.");
        foreach (var (title, examples) in new[] { ("Lost", o.LostExamples), ("Duplicate imports", o.DuplicateExamples), ("Audit anomalies", o.AnomalyExamples) })
        {
            if (examples.Count > 0)
            {
                text.AppendLine($"{title} (first {examples.Count}): {string.Join(" | ", examples)}");
            }
        }

        if (o.AnomalyKinds.Count > 0)
        {
            text.AppendLine($"Anomaly kinds: {string.Join(", ", o.AnomalyKinds.Select(k => $"{k.Key} ×{k.Value}"))}");
        }

        return text.ToString();
    }

    private static string S(TimeSpan? value) => value is { } v ? F(v.TotalSeconds) : "—";

    private static string F(double? value, string format = "F1") => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "—";
}
