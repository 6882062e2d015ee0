using System.Globalization;
using System.Text;

namespace Sarthe.Enrolment.Reporting;

/// <summary>
/// The contract's CSVs, '.' decimals, RFC 4180 quoting, no formula: the schools (one line per school in UAI order,
/// then TOTAL) and, with <c>view=purchases</c>, the purchases (one line per purchase order and invoice, then TOTAL).
/// </summary>
public static class FundingCsv
{
    public const string Header = "uai,name,commune,pupils,devicesRegistered,laptop,desktop,tablet,devicesPending,devicesFailed,devicesWithoutPurchaseRecord,supported,eligibleExpenditureEur,erdfAmountEur";

    public const string PurchasesHeader = "purchaseOrder,invoiceNumber,devicesBought,devicesRegistered,eligibleExpenditureEur";

    public static string Write(FundingReport report)
    {
        var csv = new StringBuilder().Append(Header).Append("\r\n");
        foreach (var s in report.Schools)
        {
            Line(csv, Text(s.Uai), Text(s.Name), Text(s.Commune), N(s.Pupils), N(s.DevicesRegistered), N(s.DevicesByType.Laptop), N(s.DevicesByType.Desktop),
                N(s.DevicesByType.Tablet), N(s.DevicesPending), N(s.DevicesFailed), N(s.DevicesWithoutPurchaseRecord), s.Supported ? "true" : "false",
                Eur(s.EligibleExpenditureEur), Eur(s.ErdfAmountEur));
        }

        var t = report.Totals;
        Line(csv, "TOTAL", "", "", N(t.Pupils), N(t.DevicesRegistered), N(t.DevicesByType.Laptop), N(t.DevicesByType.Desktop), N(t.DevicesByType.Tablet),
            N(t.DevicesPending), N(t.DevicesFailed), N(t.DevicesWithoutPurchaseRecord), N(t.SchoolsSupported), Eur(t.EligibleExpenditureEur), Eur(t.ErdfAmountEur));
        return csv.ToString();
    }

    /// <summary>The purchases view; its TOTAL line sums the purchases (eligible expenditure equals the schools' total).</summary>
    public static string WritePurchases(FundingReport report)
    {
        var csv = new StringBuilder().Append(PurchasesHeader).Append("\r\n");
        foreach (var p in report.Purchases)
        {
            Line(csv, Text(p.PurchaseOrder), Text(p.InvoiceNumber), N(p.DevicesBought), N(p.DevicesRegistered), Eur(p.EligibleExpenditureEur));
        }

        Line(csv, "TOTAL", "", N(report.Purchases.Sum(p => p.DevicesBought)), N(report.Purchases.Sum(p => p.DevicesRegistered)),
            Eur(report.Purchases.Sum(p => p.EligibleExpenditureEur)));
        return csv.ToString();
    }

    private static void Line(StringBuilder csv, params string[] fields) => csv.AppendJoin(',', fields.Select(Quote)).Append("\r\n");

    /// <summary>
    /// Text from the registry or a manifest, neutralised for spreadsheets: a cell starting with =, +, - or @ is a formula
    /// to Excel and LibreOffice (OWASP "CSV injection"), so it is prefixed with an apostrophe, as the contract asks.
    /// </summary>
    public static string Text(string value) => value.Length > 0 && value[0] is '=' or '+' or '-' or '@' ? "'" + value : value;

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Eur(decimal value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
}
