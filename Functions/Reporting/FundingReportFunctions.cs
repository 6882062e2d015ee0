using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.OpenApi;

namespace Sarthe.Enrolment.Reporting;

public sealed class FundingReportFunctions(FundingReportService reports, FundingReportStore store, AdminAuthenticator authenticator, TimeProvider time)
{
    /// <summary>
    /// Runs hourly by default and builds what is due (see <see cref="FundingReportService.BuildDueAsync"/>):
    /// correct across daylight-saving changes whether or not the platform honours WEBSITE_TIME_ZONE.
    /// </summary>
    [Function(nameof(BuildFundingReport))]
    public Task BuildFundingReport(
        [TimerTrigger("%FundingReportSchedule%", RunOnStartup = false)] TimerInfo timer,
        CancellationToken cancellationToken) =>
        reports.BuildDueAsync(cancellationToken);

    [ApiOperation("Built funding reports, newest first", ApiCaller.Administrator, AdminRoles.Read)]
    [ApiResponse(200, typeof(FundingReportSummary[]))]
    [ApiResponse(401)]
    [ApiResponse(403)]
    [Function(nameof(ListFundingReports))]
    public async Task<IActionResult> ListFundingReports(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/funding")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var auth = await authenticator.AuthorizeAsync(request, AdminRoles.Read, cancellationToken);
        return auth.Failure ?? new JsonBodyResult(await store.ListAsync(cancellationToken));
    }

    [ApiOperation("A funding report (a date or latest), JSON or CSV", ApiCaller.Administrator, AdminRoles.Read, Query = ["format"])]
    [ApiResponse(200, typeof(FundingReport))]
    [ApiResponse(200, null, "text/csv")]
    [ApiResponse(400)]
    [ApiResponse(401)]
    [ApiResponse(403)]
    [ApiResponse(404)]
    [Function(nameof(GetFundingReport))]
    public async Task<IActionResult> GetFundingReport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/funding/{reportDate}")] HttpRequest request,
        string reportDate,
        CancellationToken cancellationToken)
    {
        var auth = await authenticator.AuthorizeAsync(request, AdminRoles.Read, cancellationToken);
        if (!auth.Succeeded)
        {
            return auth.Failure!;
        }

        string date;
        if (string.Equals(reportDate, "latest", StringComparison.OrdinalIgnoreCase))
        {
            var newest = (await store.ListAsync(cancellationToken)).FirstOrDefault();
            if (newest is null)
            {
                return Problem.NotFound("No funding report has been built yet.");
            }

            date = newest.ReportDate;
        }
        else if (ReportCalendar.ParseDate(reportDate) is { } parsed)
        {
            date = ReportCalendar.Format(parsed);
        }
        else
        {
            return Problem.Validation("reportDate", "reportDate must be a date (yyyy-MM-dd) or 'latest'.");
        }

        var report = await store.GetAsync(date, cancellationToken);
        if (report is null)
        {
            return Problem.NotFound($"No funding report for {date}.");
        }

        return WantsCsv(request) ? Csv(report) : new JsonBodyResult(report);
    }

    [ApiOperation("Build (or rebuild) the report of a date now", ApiCaller.Administrator, AdminRoles.Admin, Query = ["date"])]
    [ApiResponse(201, typeof(FundingReport))]
    [ApiResponse(400)]
    [ApiResponse(401)]
    [ApiResponse(403)]
    [Function(nameof(BuildFundingReportNow))]
    public async Task<IActionResult> BuildFundingReportNow(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "reports/funding")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var auth = await authenticator.AuthorizeAsync(request, AdminRoles.Admin, cancellationToken);
        if (!auth.Succeeded)
        {
            return auth.Failure!;
        }

        var text = request.Query["date"].ToString();
        var date = text.Length == 0 ? reports.Calendar.Today(time.GetUtcNow()) : ReportCalendar.ParseDate(text);
        if (date is null)
        {
            return Problem.Validation("date", "date must be a date in the form yyyy-MM-dd.");
        }

        var report = await reports.BuildAsync(date.Value, new AuditActor(ActorKinds.Administrator, auth.Administrator!.Id), cancellationToken);
        var result = new JsonBodyResult(report, StatusCodes.Status201Created);
        result.Headers["Location"] = $"/api/reports/funding/{report.ReportDate}";
        return result;
    }

    private static bool WantsCsv(HttpRequest request) =>
        string.Equals(request.Query["format"].ToString(), "csv", StringComparison.OrdinalIgnoreCase)
        || request.Headers.Accept.ToString().Contains("text/csv", StringComparison.OrdinalIgnoreCase);

    private static IActionResult Csv(FundingReport report) =>
        new TextBodyResult(FundingCsv.Write(report), "text/csv; charset=utf-8", $"erdf-funding-{report.ReportDate}.csv");
}
