using System.Globalization;
using System.Text;

namespace Sarthe.Enrolment.Reporting;

/// <summary>The contract's CSV: one line per school in UAI order, then TOTAL; '.' decimals, RFC 4180 quoting, no formula.</summary>
public static class FundingCsv
{
    public const string Header = "uai,name,commune,pupils,devicesRegistered,laptop,desktop,tablet,devicesPending,devicesFailed,supported,eligibleExpenditureEur,erdfAmountEur";

    public static string Write(FundingReport report)
    {
        var csv = new StringBuilder().Append(Header).Append("\r\n");
        foreach (var s in report.Schools)
        {
            Line(csv, s.Uai, s.Name, s.Commune, s.Pupils, s.DevicesRegistered, s.DevicesByType, s.DevicesPending, s.DevicesFailed,
                s.Supported ? "true" : "false", s.EligibleExpenditureEur, s.ErdfAmountEur);
        }

        var t = report.Totals;
        Line(csv, "TOTAL", "", "", t.Pupils, t.DevicesRegistered, t.DevicesByType, t.DevicesPending, t.DevicesFailed,
            t.SchoolsSupported.ToString(CultureInfo.InvariantCulture), t.EligibleExpenditureEur, t.ErdfAmountEur);
        return csv.ToString();
    }

    private static void Line(StringBuilder csv, string uai, string name, string commune, int pupils, int registered, DevicesByType types,
        int pending, int failed, string supported, decimal eligible, decimal erdf)
    {
        string[] fields =
        [
            Text(uai), Text(name), Text(commune), N(pupils), N(registered), N(types.Laptop), N(types.Desktop), N(types.Tablet), N(pending), N(failed),
            supported, eligible.ToString("0.00", CultureInfo.InvariantCulture), erdf.ToString("0.00", CultureInfo.InvariantCulture),
        ];
        csv.AppendJoin(',', fields.Select(Quote)).Append("\r\n");
    }

    /// <summary>
    /// Text from the registry, neutralised for spreadsheets: a cell starting with =, +, - or @ is a formula to Excel
    /// and LibreOffice (OWASP "CSV injection"), so it is prefixed with an apostrophe, as the contract asks.
    /// </summary>
    private static string Text(string value) => value.Length > 0 && value[0] is '=' or '+' or '-' or '@' ? "'" + value : value;

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
}
