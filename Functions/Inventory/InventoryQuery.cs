using Microsoft.AspNetCore.Http;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.Schools;

namespace Sarthe.Enrolment.Inventory;

/// <summary>
/// <c>GET /api/inventory?schoolUai=&amp;purchaseOrder=&amp;pageSize=&amp;continuationToken=</c>: the inventory in serial
/// order, optionally of one school and one purchase order. A continuation token names the filters it was issued for.
/// </summary>
public sealed record InventoryQuery(string? SchoolUai, string? PurchaseOrder, int PageSize, string? AfterSerial)
{
    private const string TokenKind = "inventory";

    public static (InventoryQuery? Query, Dictionary<string, string[]> Errors) Parse(IQueryCollection query, IReadOnlySet<string> schools)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var uai = ReadSchool(query, schools, errors);

        var order = query["purchaseOrder"].ToString();
        if (order.Length > ManifestRowParser.MaxTextLength)
        {
            errors["purchaseOrder"] = [$"purchaseOrder must be 1-{ManifestRowParser.MaxTextLength} characters."];
        }

        var pageSize = Paging.ReadPageSize(query, errors);
        string? after = null;
        var token = query["continuationToken"].ToString();
        if (token.Length > 0)
        {
            after = Paging.DecodeToken(token) is [TokenKind, var tokenUai, var tokenOrder, var serial]
                    && tokenUai == (uai ?? "") && tokenOrder == order && SerialNumber.Normalize(serial) == serial
                ? serial
                : null;
            if (after is null)
            {
                errors["continuationToken"] = [Paging.TokenRule];
            }
        }

        return errors.Count > 0 ? (null, errors) : (new InventoryQuery(uai, order.Length == 0 ? null : order, pageSize, after), errors);
    }

    /// <summary>The optional <c>schoolUai</c> of a query: a UAI of the registry, upper case; an error recorded otherwise.</summary>
    public static string? ReadSchool(IQueryCollection query, IReadOnlySet<string> schools, Dictionary<string, string[]> errors)
    {
        var text = query["schoolUai"].ToString();
        var uai = text.Length == 0 ? null : Schools.SchoolUai.Normalize(text);
        if (text.Length > 0 && (uai is null || !schools.Contains(uai)))
        {
            errors["schoolUai"] = [uai is null ? "schoolUai " + Schools.SchoolUai.Rule : $"schoolUai {uai} names no school of the registry."];
        }

        return uai;
    }

    public string ContinuationAfter(string lastSerial) => Paging.EncodeToken(TokenKind, SchoolUai ?? "", PurchaseOrder ?? "", lastSerial);
}
