using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Enrolment;

namespace Sarthe.Enrolment.Tests.Unit;

/// <summary>The source address the limits count by: the platform's, never X-Forwarded-For as a client wrote it.</summary>
public sealed class ClientAddressTests
{
    private const string FrontDoor = "a1b2c3d4-0000-4000-8000-000000000001";

    [Fact]
    public void A_forwarded_for_header_the_client_wrote_is_ignored_and_the_connection_counts()
    {
        var request = Request("203.0.113.9", ("X-Forwarded-For", "198.51.100.1"));

        Assert.Equal("203.0.113.9", ClientAddress.Of(request, new EnrolmentLimitOptions()));
    }

    [Theory]
    [InlineData("203.0.113.9")]                 // what the Functions host sets (YARP's default X-Forwarded transform)
    [InlineData("198.51.100.1, 203.0.113.9")]   // a client's own entry before it: never taken
    public async Task The_address_the_functions_host_hands_over_is_honoured_through_the_workers_forwarded_headers_handling(string forwardedFor)
    {
        // The worker's ASP.NET Core integration: UseForwardedHeaders with every X-Forwarded header, the host on loopback.
        var request = Request("127.0.0.1", ("X-Forwarded-For", forwardedFor));
        var middleware = new ForwardedHeadersMiddleware(_ => Task.CompletedTask, NullLoggerFactory.Instance,
            Options.Create(new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.All }));

        await middleware.Invoke(request.HttpContext);

        Assert.Equal("203.0.113.9", ClientAddress.Of(request, new EnrolmentLimitOptions()));
    }

    [Fact]
    public void In_front_door_mode_a_request_with_this_front_doors_id_counts_by_the_client_address_front_door_wrote()
    {
        var request = Request("147.243.0.1", ("X-Azure-FDID", FrontDoor), ("X-Azure-ClientIP", "203.0.113.9"), ("X-Forwarded-For", "198.51.100.1"));

        Assert.Equal("203.0.113.9", ClientAddress.Of(request, new EnrolmentLimitOptions { FrontDoorId = FrontDoor }));
    }

    [Theory]
    [InlineData("another-front-door", "203.0.113.9", FrontDoor)]   // another profile's id, or a client's guess
    [InlineData(FrontDoor, "not an address", FrontDoor)]          // a client address that is no address
    [InlineData(FrontDoor, "203.0.113.9", "")]                   // Front Door mode off: its headers mean nothing
    public void Otherwise_the_connection_counts(string fdid, string clientIp, string configured)
    {
        var request = Request("147.243.0.1", ("X-Azure-FDID", fdid), ("X-Azure-ClientIP", clientIp));

        Assert.Equal("147.243.0.1", ClientAddress.Of(request, new EnrolmentLimitOptions { FrontDoorId = configured }));
    }

    private static HttpRequest Request(string connection, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(connection);
        foreach (var (name, value) in headers)
        {
            context.Request.Headers[name] = value;
        }

        return context.Request;
    }
}
