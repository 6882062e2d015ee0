using Microsoft.AspNetCore.Http;
using Sarthe.Enrolment.Http;

namespace Sarthe.Enrolment.Devices;

/// <summary>
/// <c>GET /api/schools/{uai}/devices?status=&amp;pageSize=&amp;continuationToken=</c>: a school's devices, optionally of
/// one status. Continuation tokens name the school and status they were issued for, so a token is refused on any
/// other list.
/// </summary>
public sealed record DeviceListQuery(string SchoolUai, DeviceStatus? Status, int PageSize, string? AfterSerial)
{
    private const string TokenKind = "devices";

    /// <summary>The query, or the errors that name each bad parameter.</summary>
    public static (DeviceListQuery? Query, Dictionary<string, string[]> Errors) Parse(string schoolUai, IQueryCollection query)
    {
        var errors = new Dictionary<string, string[]>();
        var statusText = query["status"].ToString();
        var status = DeviceStatusNames.Parse(statusText);
        if (statusText.Length > 0 && status is null)
        {
            errors["status"] = [$"status must be one of: {DeviceStatusNames.List}."];
        }

        var pageSize = Paging.ReadPageSize(query, errors);
        if (query["format"].ToString() is { Length: > 0 } format && !string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
        {
            errors["format"] = ["format must be json (the default) or autopilot-csv."];
        }

        string? after = null;
        var token = query["continuationToken"].ToString();
        if (token.Length > 0)
        {
            after = Paging.DecodeToken(token) is [TokenKind, var uai, var statusName, var serial]
                    && uai == schoolUai && statusName == (status?.ToName() ?? "") && SerialNumber.Normalize(serial) == serial
                ? serial
                : null;
            if (after is null)
            {
                errors["continuationToken"] = [Paging.TokenRule];
            }
        }

        return errors.Count > 0 ? (null, errors) : (new DeviceListQuery(schoolUai, status, pageSize, after), errors);
    }

    /// <summary><c>?format=autopilot-csv</c> or <c>Accept: text/csv</c>: the school's export (<see cref="AutopilotCsv"/>) rather than a page.</summary>
    public static bool WantsAutopilotCsv(HttpRequest request) =>
        string.Equals(request.Query["format"].ToString(), "autopilot-csv", StringComparison.OrdinalIgnoreCase)
        || request.Headers.Accept.ToString().Contains("text/csv", StringComparison.OrdinalIgnoreCase);

    /// <summary>The token of the page that follows <paramref name="lastSerial"/> in this same list.</summary>
    public string ContinuationAfter(string lastSerial) => Paging.EncodeToken(TokenKind, SchoolUai, Status?.ToName() ?? "", lastSerial);
}
