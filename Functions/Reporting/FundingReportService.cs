using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Schools;

namespace Sarthe.Enrolment.Reporting;

/// <summary>Builds, stores and audits ERDF funding reports; decides which nightly reports are due.</summary>
public sealed class FundingReportService(
    TableServiceClient tables,
    SchoolDirectory schools,
    FundingReportStore store,
    AuditPublisher audit,
    IOptions<FundingOptions> options,
    TimeProvider time,
    ILogger<FundingReportService> logger)
{
    private static readonly string[] Projection = ["PartitionKey", "DeviceType", "StatusHistory", "Status", "EnrolledAt", "RegisteringAt", "RegisteredAt", "FailedAt"];
    private readonly ReportCalendar _calendar = ReportCalendar.For(options.Value.TimeZone);

    public ReportCalendar Calendar => _calendar;

    /// <summary>Builds the report of <paramref name="date"/> from every device, streamed, and replaces any earlier build.</summary>
    public async Task<FundingReport> BuildAsync(DateOnly date, AuditActor actor, CancellationToken cancellationToken)
    {
        var cutOff = _calendar.CutOff(date);
        var builder = new FundingReportBuilder(options.Value);
        var devices = tables.GetTableClient(TableNames.Devices);
        await foreach (var row in devices.QueryAsync<TableEntity>(maxPerPage: 1000, select: Projection, cancellationToken: cancellationToken))
        {
            builder.Add(new DeviceFacts(row.PartitionKey, row.GetString("DeviceType") ?? "", HistoryOf(row)), cutOff);
        }

        var reportDate = ReportCalendar.Format(date);
        var report = builder.Build(reportDate, time.GetUtcNow(), await schools.ListAsync(cancellationToken));
        await store.SaveAsync(report, cancellationToken);
        await audit.PublishAsync(AuditEventTypes.ReportFundingBuilt, actor, null, null, new JsonObject
        {
            ["reportDate"] = reportDate,
            ["devicesRegistered"] = report.Totals.DevicesRegistered,
            ["erdfAmountEur"] = report.Totals.ErdfAmountEur,
        }, cancellationToken);
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
        var now = time.GetUtcNow();
        var local = _calendar.Local(now);
        var today = DateOnly.FromDateTime(local.DateTime);
        var lastEnded = local.Hour >= options.Value.BuildHour ? today.AddDays(-1) : today.AddDays(-2);
        var newest = (await store.ListAsync(cancellationToken)).Select(r => ReportCalendar.ParseDate(r.ReportDate)).FirstOrDefault();
        var first = newest is { } n && n < lastEnded ? n.AddDays(1) : lastEnded;
        if (lastEnded.DayNumber - first.DayNumber > options.Value.CatchUpDays)
        {
            first = lastEnded.AddDays(-options.Value.CatchUpDays);
        }

        var built = new List<string>();
        for (var date = first; date <= lastEnded; date = date.AddDays(1))
        {
            if (!await store.ExistsAsync(ReportCalendar.Format(date), cancellationToken))
            {
                await BuildAsync(date, new AuditActor(ActorKinds.System, "nightly-report"), cancellationToken);
                built.Add(ReportCalendar.Format(date));
            }
        }

        return built;
    }

    /// <summary>Rows written before the history existed: rebuilt from their recorded timestamps.</summary>
    private static string HistoryOf(TableEntity row)
    {
        if (row.GetString("StatusHistory") is { Length: > 0 } history)
        {
            return history;
        }

        var device = new DeviceEntity();
        var steps = new (string Status, DateTimeOffset? At)[]
        {
            (DeviceStatus.Received, row.GetDateTimeOffset("EnrolledAt")),
            (DeviceStatus.Registering, row.GetDateTimeOffset("RegisteringAt")),
            (DeviceStatus.Registered, row.GetDateTimeOffset("RegisteredAt")),
            (DeviceStatus.Failed, row.GetDateTimeOffset("FailedAt")),
        };
        foreach (var (status, at) in steps.Where(s => s.At is not null).OrderBy(s => s.At))
        {
            device.SetStatus(status, at!.Value);
        }

        return device.StatusHistory;
    }
}
