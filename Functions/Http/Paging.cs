using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Sarthe.Enrolment.Http;

/// <summary>The paging conventions of the API: pageSize 1-500 (default 100) and opaque continuation tokens.</summary>
public static class Paging
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 500;
    public const string PageSizeRule = "pageSize must be a whole number from 1 to 500.";
    public const string TokenRule = "continuationToken is not one this API returned for this query.";

    /// <summary>Reads <c>pageSize</c>; records an error (and returns the default) when it is not 1-500.</summary>
    public static int ReadPageSize(IQueryCollection query, Dictionary<string, string[]> errors)
    {
        var text = query["pageSize"].ToString();
        if (text.Length == 0)
        {
            return DefaultPageSize;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pageSize) && pageSize is >= 1 and <= MaxPageSize)
        {
            return pageSize;
        }

        errors["pageSize"] = [PageSizeRule];
        return DefaultPageSize;
    }

    /// <summary>An opaque, URL-safe token carrying where the next page starts.</summary>
    public static string EncodeToken(params string[] parts) => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(parts));

    /// <summary>The parts of a token this API issued, or null for anything else.</summary>
    public static string[]? DecodeToken(string token)
    {
        if (token.Length is 0 or > 512)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<string[]>(Base64Url.DecodeFromChars(token));
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }
}
