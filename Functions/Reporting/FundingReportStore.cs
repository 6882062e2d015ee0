using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Http;

namespace Sarthe.Enrolment.Reporting;

/// <summary>
/// The <c>FundingReports</c> table: partition = report date, one row per school (row key = UAI) and a
/// <c>TOTAL</c> row with the totals and the report's header, and one row per purchase order and invoice
/// (<c>PURCHASE|000001</c>…, in report order: a list of hundreds would not fit one property). Saving a date replaces it
/// completely, in entity-group transactions: no row of an earlier build is left behind.
/// </summary>
public sealed class FundingReportStore(TableServiceClient tables)
{
    private const string TotalRow = "TOTAL";
    private const string PurchasePrefix = "PURCHASE|";
    private readonly TableClient _table = tables.GetTableClient(TableNames.FundingReports);

    public async Task SaveAsync(FundingReport report, CancellationToken cancellationToken)
    {
        var rows = report.Schools.Select(s => new TableEntity(report.ReportDate, s.Uai) { ["Json"] = JsonSerializer.Serialize(s, ApiJson.Options) }).ToList();
        rows.AddRange(report.Purchases.Select((p, i) => new TableEntity(report.ReportDate, $"{PurchasePrefix}{i + 1:D6}") { ["Json"] = JsonSerializer.Serialize(p, ApiJson.Options) }));
        rows.Add(new TableEntity(report.ReportDate, TotalRow)
        {
            ["GeneratedAt"] = report.GeneratedAt,
            ["Json"] = JsonSerializer.Serialize(report with { Schools = [], Purchases = [] }, ApiJson.Options),
        });

        var existing = new List<string>();
        await foreach (var row in _table.QueryAsync<TableEntity>(e => e.PartitionKey == report.ReportDate, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            existing.Add(row.RowKey);
        }

        var keep = rows.Select(r => r.RowKey).ToHashSet(StringComparer.Ordinal);
        var actions = rows.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, r))
            .Concat(existing.Where(k => !keep.Contains(k)).Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(report.ReportDate, k), ETag.All)))
            .ToList();

        // 56 schools + TOTAL + a few dozen purchases fit one transaction: the replacement is atomic. More go 100 at a time.
        foreach (var chunk in actions.Chunk(100))
        {
            await _table.SubmitTransactionAsync(chunk, cancellationToken);
        }
    }

    public async Task<FundingReport?> GetAsync(string reportDate, CancellationToken cancellationToken)
    {
        FundingReport? header = null;
        var schools = new List<SchoolFunding>();
        var purchases = new SortedList<string, PurchaseFunding>(StringComparer.Ordinal);
        await foreach (var row in _table.QueryAsync<TableEntity>(e => e.PartitionKey == reportDate, cancellationToken: cancellationToken))
        {
            var json = row.GetString("Json")!;
            if (row.RowKey == TotalRow)
            {
                header = JsonSerializer.Deserialize<FundingReport>(json, ApiJson.Options);
            }
            else if (row.RowKey.StartsWith(PurchasePrefix, StringComparison.Ordinal))
            {
                purchases.Add(row.RowKey, JsonSerializer.Deserialize<PurchaseFunding>(json, ApiJson.Options)!);
            }
            else
            {
                schools.Add(JsonSerializer.Deserialize<SchoolFunding>(json, ApiJson.Options)!);
            }
        }

        return header is null ? null : header with { Schools = schools.OrderBy(s => s.Uai, StringComparer.Ordinal).ToList(), Purchases = purchases.Values.ToList() };
    }

    /// <summary>Every built report date, newest first (one TOTAL row per date).</summary>
    public async Task<IReadOnlyList<FundingReportSummary>> ListAsync(CancellationToken cancellationToken)
    {
        var list = new List<FundingReportSummary>();
        await foreach (var row in _table.QueryAsync<TableEntity>(e => e.RowKey == TotalRow, select: ["PartitionKey", "GeneratedAt"], cancellationToken: cancellationToken))
        {
            list.Add(new FundingReportSummary(row.PartitionKey, row.GetDateTimeOffset("GeneratedAt") ?? default));
        }

        return list.OrderByDescending(r => r.ReportDate, StringComparer.Ordinal).ToList();
    }

    public async Task<bool> ExistsAsync(string reportDate, CancellationToken cancellationToken) =>
        (await _table.GetEntityIfExistsAsync<TableEntity>(reportDate, TotalRow, select: ["RowKey"], cancellationToken: cancellationToken)).HasValue;
}
