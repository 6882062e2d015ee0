using System.Globalization;
using Microsoft.AspNetCore.Http;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.Schools;

namespace Sarthe.Enrolment.Trail;

/// <summary>
/// <c>GET /api/audit?serialNumber=|schoolUai=&amp;from=&amp;to=&amp;pageSize=&amp;continuationToken=</c>: one device's or one
/// school's trail (exactly one of the two), newest first, optionally between two instants. Continuation tokens
/// name the trail and the period they were issued for.
/// </summary>
public sealed record AuditQuery(string Partition, DateTimeOffset? From, DateTimeOffset? To, int PageSize, string? AfterRowKey)
{
    private const string TokenKind = "audit";

    /// <summary>The query, or the errors that name each bad parameter.</summary>
    public static (AuditQuery? Query, Dictionary<string, string[]> Errors) Parse(IQueryCollection query)
    {
        var errors = new Dictionary<string, string[]>();
        var partition = ReadTrail(query["serialNumber"].ToString(), query["schoolUai"].ToString(), errors);
        var from = ReadTime(query["from"].ToString(), "from", errors);
        var to = ReadTime(query["to"].ToString(), "to", errors);
        if (from > to)
        {
            errors["from"] = ["from must not be after to."];
        }

        var pageSize = Paging.ReadPageSize(query, errors);

        string? after = null;
        var token = query["continuationToken"].ToString();
        if (token.Length > 0 && partition is not null)
        {
            after = Paging.DecodeToken(token) is [TokenKind, var p, var f, var t, { Length: > 0 and < 100 } rowKey]
                && p == partition && f == Bound(from) && t == Bound(to) ? rowKey : null;
            if (after is null)
            {
                errors["continuationToken"] = [Paging.TokenRule];
            }
        }

        return errors.Count > 0 ? (null, errors) : (new AuditQuery(partition!, from, to, pageSize, after), errors);
    }

    /// <summary>The token of the page that follows the entry <paramref name="lastRowKey"/> of this same trail and period.</summary>
    public string ContinuationAfter(string lastRowKey) => Paging.EncodeToken(TokenKind, Partition, Bound(From), Bound(To), lastRowKey);

    // A token names the period it was issued for: the next page of another period would skip or repeat entries.
    private static string Bound(DateTimeOffset? instant) => instant?.UtcTicks.ToString(CultureInfo.InvariantCulture) ?? "";

    private static string? ReadTrail(string serialText, string uaiText, Dictionary<string, string[]> errors)
    {
        if (serialText.Length > 0 && uaiText.Length > 0)
        {
            errors["schoolUai"] = ["Give serialNumber or schoolUai, not both."];
            return null;
        }

        if (serialText.Length > 0)
        {
            if (SerialNumber.Normalize(serialText) is { } serial)
            {
                return AuditTrail.DevicePartition(serial);
            }

            errors["serialNumber"] = [SerialNumber.Rule];
            return null;
        }

        if (uaiText.Length > 0)
        {
            if (SchoolUai.Normalize(uaiText) is { } uai)
            {
                return AuditTrail.SchoolPartition(uai);
            }

            errors["schoolUai"] = ["schoolUai " + SchoolUai.Rule];
            return null;
        }

        errors["serialNumber"] = ["serialNumber or schoolUai is required."];
        return null;
    }

    private static DateTimeOffset? ReadTime(string text, string field, Dictionary<string, string[]> errors)
    {
        if (text.Length == 0)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            return value;
        }

        errors[field] = [$"{field} must be an ISO 8601 timestamp, e.g. 2026-11-28T02:00:00Z."];
        return null;
    }
}
