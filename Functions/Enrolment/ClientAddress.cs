using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Sarthe.Enrolment.Enrolment;

/// <summary>
/// The source address the limits count by: one the platform vouches for, never a header the client wrote.
/// <list type="bullet">
/// <item>By default the connection's address as the worker sees it. On the dev host that is the TCP peer. In Azure the
/// Functions host proxies each request to the worker with YARP's default transformer, which <em>sets</em> (replaces)
/// X-Forwarded-For with the address the host saw, and the worker's ASP.NET Core integration runs
/// <c>UseForwardedHeaders</c>, which trusts the host on loopback and makes that entry the connection's address: what the
/// client wrote in X-Forwarded-For never gets there (docs/security.md, "The source address", gives the sources).</item>
/// <item>Front Door mode (opt-in, <c>EnrolmentLimits:FrontDoorId</c>): behind Azure Front Door every client shares
/// the edge's addresses, so the client address Front Door writes (<c>X-Azure-ClientIP</c>) is used, and only when
/// the request carries this Front Door's id (<c>X-Azure-FDID</c>); any other request keeps the connection's address.</item>
/// </list>
/// </summary>
public static class ClientAddress
{
    public const string FrontDoorIdHeader = "X-Azure-FDID";
    public const string FrontDoorClientHeader = "X-Azure-ClientIP";

    public static string Of(HttpRequest request, EnrolmentLimitOptions limits)
    {
        if (limits.FrontDoorId.Length > 0
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(request.Headers[FrontDoorIdHeader].ToString().Trim()), Encoding.UTF8.GetBytes(limits.FrontDoorId))
            && IPAddress.TryParse(request.Headers[FrontDoorClientHeader].ToString().Trim(), out var client))
        {
            return client.ToString();
        }

        return request.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "";
    }
}
