using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Inventory;
using Sarthe.Enrolment.Schools;

namespace Sarthe.Enrolment.Reporting;

/// <summary>Builds, stores and audits ERDF funding reports; decides which nightly reports are due.</summary>
public sealed class FundingReportService(
    DeviceQueries devices,
    InventoryStore inventory,
    SchoolStore schools,
    FundingReportStore store,
    AuditPublisher audit,
    IOptions<FundingOptions> options,
    TimeProvider time,
    ILogger<FundingReportService> logger)
{
    public ReportCalendar Calendar { get; } = ReportCalendar.For(options.Value.TimeZone);

    /// <summary>The days a report can be built or read for: from the programme's start to today (in the report's time zone).</summary>
    public bool IsReportDay(DateOnly date) => date >= options.Value.ProgrammeStart && date <= Calendar.Today(time.GetUtcNow());

    public string ReportDayRule => $"must be a day from {ReportCalendar.Format(options.Value.ProgrammeStart)} (the programme's start) to today, in the form yyyy-MM-dd.";

    /// <summary>
    /// Builds the report of <paramref name="date"/> from the inventory and every device, streamed, and replaces any earlier
    /// build. Devices are classified by their state at the cut-off; purchase data are the inventory's when the report is
    /// built (an invoice loaded later counts in a rebuild).
    /// </summary>
    public async Task<FundingReport> BuildAsync(DateOnly date, AuditActor actor, CancellationToken cancellationToken)
    {
        using var span = EnrolmentTelemetry.Source.StartActivity("build funding report")?.SetTag("enrolment.report_date", ReportCalendar.Format(date));
        var cutOff = Calendar.CutOff(date);
        var builder = new FundingReportBuilder(options.Value);
        await foreach (var (serial, _, deviceType, purchase) in inventory.StreamFactsAsync(cancellationToken))
        {
            builder.AddPurchase(serial, deviceType, purchase);
        }

        await foreach (var device in devices.StreamReportFactsAsync(cancellationToken))
        {
            builder.Add(device, cutOff);
        }

        var reportDate = ReportCalendar.Format(date);
        var report = builder.Build(reportDate, time.GetUtcNow(), await schools.ListAsync(cancellationToken));
        await store.SaveAsync(report, cancellationToken);
        await audit.PublishAsync(AuditEvents.FundingReportBuilt(reportDate, report.Totals.DevicesRegistered, report.Totals.ErdfAmountEur, actor, time.GetUtcNow()), cancellationToken);
        EnrolmentTelemetry.ReportBuilt(nightly: actor == AuditActor.NightlyReport);
        logger.LogInformation("Funding report {ReportDate} built: {DevicesRegistered} devices registered, {ErdfAmount} {Currency} ERDF",
            reportDate, report.Totals.DevicesRegistered, report.Totals.ErdfAmountEur, report.Currency);
        return report;
    }

    /// <summary>
    /// Nightly: after BuildHour (local time), the report of the day that has just ended is due, and so is
    /// any day since the newest report that a stopped host missed (at most CatchUpDays back).
    /// </summary>
    public async Task<IReadOnlyList<string>> BuildDueAsync(CancellationToken cancellationToken)
    {
        var local = Calendar.Local(time.GetUtcNow());
        var today = DateOnly.FromDateTime(local.DateTime);
        var lastEnded = local.Hour >= options.Value.BuildHour ? today.AddDays(-1) : today.AddDays(-2);
        var newest = (await store.ListAsync(cancellationToken)).Select(r => ReportCalendar.ParseDate(r.ReportDate)).FirstOrDefault();
        var first = newest is { } n && n < lastEnded ? n.AddDays(1) : lastEnded;
        if (lastEnded.DayNumber - first.DayNumber > options.Value.CatchUpDays)
        {
            first = lastEnded.AddDays(-options.Value.CatchUpDays);
        }

        if (first < options.Value.ProgrammeStart)
        {
            first = options.Value.ProgrammeStart;
        }

        var built = new List<string>();
        for (var date = first; date <= lastEnded; date = date.AddDays(1))
        {
            if (!await store.ExistsAsync(ReportCalendar.Format(date), cancellationToken))
            {
                await BuildAsync(date, AuditActor.NightlyReport, cancellationToken);
                built.Add(ReportCalendar.Format(date));
            }
        }

        // What the "report not built by 03:00" alert reads: is last night's report there after this check?
        EnrolmentTelemetry.NightlyReportChecked(lastEnded < options.Value.ProgrammeStart || await store.ExistsAsync(ReportCalendar.Format(lastEnded), cancellationToken));

        return built;
    }
}
