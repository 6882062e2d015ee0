using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Sarthe.Enrolment.Http;

/// <summary>The paging conventions of the contract: pageSize 1-500 (default 100) and opaque continuation tokens.</summary>
public static class Paging
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 500;

    /// <summary>Reads <c>pageSize</c>; records an error (and returns the default) when it is not 1-500.</summary>
    public static int ReadPageSize(HttpRequest request, Dictionary<string, string[]> errors)
    {
        var text = request.Query["pageSize"].ToString();
        if (text.Length == 0)
        {
            return DefaultPageSize;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pageSize) && pageSize is >= 1 and <= MaxPageSize)
        {
            return pageSize;
        }

        errors["pageSize"] = [$"pageSize must be a whole number from 1 to {MaxPageSize}."];
        return DefaultPageSize;
    }

    /// <summary>An opaque, URL-safe token carrying where the next page starts.</summary>
    public static string EncodeToken(params string[] parts) =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(parts)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The parts of a token this API issued, or null for anything else.</summary>
    public static string[]? DecodeToken(string token)
    {
        if (token.Length is 0 or > 512)
        {
            return null;
        }

        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            return JsonSerializer.Deserialize<string[]>(Encoding.UTF8.GetString(Convert.FromBase64String(base64)));
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }
}
