using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.OpenApi;

namespace Sarthe.Enrolment.Reporting;

/// <summary>The ERDF funding report: the nightly timer and the administrators' routes.</summary>
public sealed class FundingReportFunctions(FundingReportService reports, FundingReportStore store, AdminAuthenticator admins, TimeProvider time)
{
    /// <summary>
    /// Runs hourly by default and builds what is due (see <see cref="FundingReportService.BuildDueAsync"/>):
    /// correct across daylight-saving changes whether or not the platform honours WEBSITE_TIME_ZONE.
    /// </summary>
    [Function(nameof(BuildFundingReport))]
    public Task BuildFundingReport(
        [TimerTrigger(TriggerOptions.FundingReportScheduleExpression, RunOnStartup = false)] TimerInfo timer,
        CancellationToken cancellationToken) =>
        reports.BuildDueAsync(cancellationToken);

    [ApiOperation("Built funding reports, newest first")]
    [RequiresRole(AdminRoles.Read)]
    [ApiResponse(200, typeof(FundingReportSummary[]))]
    [Function(nameof(ListFundingReports))]
    public Task<IActionResult> ListFundingReports(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/funding")] HttpRequest request,
        CancellationToken cancellationToken) =>
        admins.RunAsync(ListFundingReports, request, async (_, ct) => ApiResult.Json(await store.ListAsync(ct)), cancellationToken);

    [ApiOperation("A funding report (a date or latest), JSON or CSV (per school, or per purchase with view=purchases)", Query = ["format", "view"])]
    [RequiresRole(AdminRoles.Read)]
    [ApiResponse(200, typeof(FundingReport))]
    [ApiResponse(200, null, "text/csv")]
    [ApiResponse(400)]
    [ApiResponse(404)]
    [Function(nameof(GetFundingReport))]
    public Task<IActionResult> GetFundingReport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/funding/{reportDate}")] HttpRequest request,
        string reportDate,
        CancellationToken cancellationToken) =>
        admins.RunAsync(GetFundingReport, request, (_, ct) => GetReportAsync(request, reportDate, ct), cancellationToken);

    private async Task<ApiResult> GetReportAsync(HttpRequest request, string reportDate, CancellationToken cancellationToken)
    {
        var view = request.Query["view"].ToString();
        if (view is not ("" or "schools" or "purchases"))
        {
            return Problem.Validation("view", "view must be schools (the default) or purchases.");
        }

        string date;
        if (string.Equals(reportDate, "latest", StringComparison.OrdinalIgnoreCase))
        {
            if ((await store.ListAsync(cancellationToken)).FirstOrDefault() is not { } newest)
            {
                return Problem.NotFound("No funding report has been built yet.");
            }

            date = newest.ReportDate;
        }
        else if (ReportCalendar.ParseDate(reportDate) is { } parsed && reports.IsReportDay(parsed))
        {
            date = ReportCalendar.Format(parsed);
        }
        else
        {
            return Problem.Validation("reportDate", $"reportDate {reports.ReportDayRule[..^1]}, or 'latest'.");
        }

        if (await store.GetAsync(date, cancellationToken) is not { } report)
        {
            return Problem.NotFound($"No funding report for {date}.");
        }

        if (!WantsCsv(request))
        {
            return ApiResult.Json(report);
        }

        var (csv, file) = view switch
        {
            "purchases" => (FundingCsv.WritePurchases(report), $"erdf-purchases-{report.ReportDate}.csv"),
            _ => (FundingCsv.Write(report), $"erdf-funding-{report.ReportDate}.csv"),
        };
        return ApiResult.Text(csv, "text/csv; charset=utf-8").WithHeader("Content-Disposition", $"attachment; filename=\"{file}\"");
    }

    [ApiOperation("Build (or rebuild) the report of a date now", Query = ["date"])]
    [RequiresRole(AdminRoles.Admin)]
    [ApiResponse(201, typeof(FundingReport))]
    [ApiResponse(400)]
    [Function(nameof(BuildFundingReportNow))]
    public Task<IActionResult> BuildFundingReportNow(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "reports/funding")] HttpRequest request,
        CancellationToken cancellationToken) =>
        admins.RunAsync(BuildFundingReportNow, request, async (administrator, ct) =>
        {
            var text = request.Query["date"].ToString();
            if ((text.Length == 0 ? reports.Calendar.Today(time.GetUtcNow()) : ReportCalendar.ParseDate(text)) is not { } date || !reports.IsReportDay(date))
            {
                return Problem.Validation("date", "date " + reports.ReportDayRule);
            }

            var report = await reports.BuildAsync(date, administrator.Actor, ct);
            return ApiResult.Json(report, StatusCodes.Status201Created).WithHeader("Location", $"/api/reports/funding/{report.ReportDate}");
        },
        cancellationToken);

    private static bool WantsCsv(HttpRequest request) =>
        string.Equals(request.Query["format"].ToString(), "csv", StringComparison.OrdinalIgnoreCase)
        || request.Headers.Accept.ToString().Contains("text/csv", StringComparison.OrdinalIgnoreCase);
}
