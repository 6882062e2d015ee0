using System.Text.Json.Serialization;

namespace Sarthe.Enrolment.Reporting;

public sealed record DevicesByType(int Laptop, int Desktop, int Tablet)
{
    public static readonly DevicesByType None = new(0, 0, 0);

    public DevicesByType Add(DevicesByType other) => new(Laptop + other.Laptop, Desktop + other.Desktop, Tablet + other.Tablet);
}

public sealed record SchoolFunding(
    string Uai,
    string Name,
    string Commune,
    int Pupils,
    int DevicesRegistered,
    DevicesByType DevicesByType,
    int DevicesPending,
    int DevicesFailed,
    int DevicesWithoutPurchaseRecord,
    bool Supported,
    decimal EligibleExpenditureEur,
    decimal ErdfAmountEur);

public sealed record FundingTotals(
    int Schools,
    int SchoolsSupported,
    int Pupils,
    int PupilsBenefiting,
    int DevicesRegistered,
    DevicesByType DevicesByType,
    int DevicesPending,
    int DevicesFailed,
    int DevicesWithoutPurchaseRecord,
    decimal EligibleExpenditureEur,
    decimal ErdfAmountEur);

/// <summary>One purchase order and invoice: devices bought on it, those registered at the cut-off and their invoiced cost.</summary>
public sealed record PurchaseFunding(
    string PurchaseOrder,
    string InvoiceNumber,
    int DevicesBought,
    int DevicesRegistered,
    decimal EligibleExpenditureEur);

public sealed record FundingIndicators(
    [property: JsonPropertyName("CO35")] int Co35,
    [property: JsonPropertyName("RCO67")] int Rco67,
    [property: JsonPropertyName("RCO14")] int Rco14);

/// <summary>The contract's ERDF funding report.</summary>
public sealed record FundingReport(
    string ReportDate,
    DateTimeOffset GeneratedAt,
    string Currency,
    decimal CofinancingRate,
    IReadOnlyList<SchoolFunding> Schools,
    IReadOnlyList<PurchaseFunding> Purchases,
    FundingTotals Totals,
    FundingIndicators Indicators);

public sealed record FundingReportSummary(string ReportDate, DateTimeOffset GeneratedAt);
