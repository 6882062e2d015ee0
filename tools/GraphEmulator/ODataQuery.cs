using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Sarthe.GraphEmulator;

/// <summary>Which list a query is for: the two accept different query options.</summary>
internal enum ListKind
{
    ImportedIdentities,
    AutopilotDevices,
}

/// <summary>A list request's accepted options: page size, position and the serial number searched for, if any.</summary>
internal sealed record ListQuery(int PageSize, int Skip, string? SerialContains);

/// <summary>
/// The query options the two lists accept, and the answers Intune gives to the others. Neither list page documents any
/// query option (v1.0 and beta list pages); what is accepted here is what Microsoft's staff or tools use, the rest is refused
/// so that the product cannot come to depend on it.
/// </summary>
internal static partial class ODataQuery
{
    /// <summary>Parses a list request, or returns the error Intune answers.</summary>
    public static ListQuery? ParseList(HttpContext context, ListKind kind, int maxPageSize, out IResult? error)
    {
        error = null;
        var options = SystemOptions(context);

        if (options.ContainsKey("$select"))
        {
            // windowsAutopilotDeviceIdentities?$select=… answers 500 InternalServerError in v1.0 and beta
            // (microsoft-graph-docs-contrib #2756; "filter\select" not working, #3693). Nothing documents $select on the
            // imported list: refused as a plain 400.
            error = kind == ListKind.AutopilotDevices
                ? GraphErrors.Intune(context, 500, "InternalServerError", "An internal server error has occurred")
                : GraphErrors.Intune(context, 400, "BadRequest");
            return null;
        }

        var unsupported = options.Keys.FirstOrDefault(k => k is not ("$top" or "$skiptoken" or "$filter"));
        if (unsupported is not null)
        {
            // $expand, $orderby, $count, $skip, $search: documented for neither list.
            error = GraphErrors.Intune(context, 400, "BadRequest");
            return null;
        }

        string? serialContains = null;
        if (options.TryGetValue("$filter", out var filter))
        {
            serialContains = kind == ListKind.AutopilotDevices ? SerialContains(filter) : null;
            if (serialContains is null)
            {
                // Imported list: no source documents a filter, Microsoft's tools list everything and filter client-side.
                // Autopilot list: only contains(serialNumber,'…') works (microsoft-graph-docs #9357); eq fails
                // (msgraph-sdk-powershell #1260, microsoft-graph-docs-contrib #3693); a hyphen in the value fails
                // (msgraph-sdk-powershell #2464, "Service issue").
                error = GraphErrors.Intune(context, 400, "BadRequest");
                return null;
            }
        }

        var pageSize = maxPageSize;
        if (options.TryGetValue("$top", out var topText))
        {
            if (!int.TryParse(topText, NumberStyles.None, CultureInfo.InvariantCulture, out var top) || top < 1 || top > maxPageSize)
            {
                error = GraphErrors.Intune(context, 400, "BadRequest");
                return null;
            }

            pageSize = top;
        }

        var skip = 0;
        if (options.TryGetValue("$skiptoken", out var token))
        {
            if (DecodeSkipToken(token) is not { } decoded)
            {
                error = GraphErrors.Intune(context, 400, "BadRequest");
                return null;
            }

            skip = decoded;
        }

        return new ListQuery(Math.Max(1, pageSize), skip, serialContains);
    }

    /// <summary>A GET by id accepts no query option: none is documented, so the product must not send one.</summary>
    public static IResult? RefuseAny(HttpContext context) =>
        SystemOptions(context).Count == 0 ? null : GraphErrors.Intune(context, 400, "BadRequest");

    /// <summary>One page of <paramref name="items"/> and, when more follow, the @odata.nextLink to them.</summary>
    public static (IReadOnlyList<T> Page, string? NextLink) Page<T>(HttpContext context, IReadOnlyList<T> items, ListQuery query)
    {
        var page = items.Skip(query.Skip).Take(query.PageSize).ToList();
        var nextSkip = query.Skip + page.Count;
        if (nextSkip >= items.Count)
        {
            return (page, null);
        }

        var next = new Dictionary<string, string?>(StringComparer.Ordinal);
        var options = SystemOptions(context);
        foreach (var kept in new[] { "$top", "$filter" })
        {
            if (options.TryGetValue(kept, out var value))
            {
                next[kept] = value;
            }
        }

        next["$skiptoken"] = EncodeSkipToken(nextSkip);
        var request = context.Request;
        return (page, QueryHelpers.AddQueryString($"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}", next));
    }

    /// <summary>The $-options of the request, names lower-cased (Graph reads them case-insensitively).</summary>
    private static Dictionary<string, string> SystemOptions(HttpContext context) =>
        context.Request.Query
            .Where(q => q.Key.StartsWith('$'))
            .ToDictionary(q => q.Key.ToLowerInvariant(), q => q.Value.ToString(), StringComparer.Ordinal);

    /// <summary>The value of <c>contains(serialNumber,'…')</c>, or null for any other filter or a value with a hyphen.</summary>
    private static string? SerialContains(string filter)
    {
        var match = ContainsSerialNumber().Match(filter);
        if (!match.Success)
        {
            return null;
        }

        var value = match.Groups["value"].Value.Replace("''", "'", StringComparison.Ordinal);
        return value.Contains('-', StringComparison.Ordinal) ? null : value;
    }

    private static string EncodeSkipToken(int skip) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes("skip=" + skip.ToString(CultureInfo.InvariantCulture)));

    private static int? DecodeSkipToken(string token)
    {
        try
        {
            var text = Encoding.ASCII.GetString(Convert.FromBase64String(token));
            return text.StartsWith("skip=", StringComparison.Ordinal)
                   && int.TryParse(text.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var skip)
                ? skip
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"^\s*contains\(\s*serialNumber\s*,\s*'(?<value>(?:[^']|'')*)'\s*\)\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ContainsSerialNumber();
}
