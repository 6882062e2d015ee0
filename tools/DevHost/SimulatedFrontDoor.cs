using Sarthe.Enrolment.Enrolment;

namespace Sarthe.DevHost;

/// <summary>
/// Clients from many addresses on one machine (tests, benchmarks): the dev host in Front Door mode, and requests stamped
/// as Azure Front Door stamps them (its id, the client's address). The product never reads X-Forwarded-For, so this is
/// the one way a local client can stand for a school's network.
/// </summary>
public static class SimulatedFrontDoor
{
    public const string Id = "6f1e2b3c-0000-4000-8000-5a2b1e0d0c0b";

    /// <summary>The setting that puts the host in Front Door mode with <see cref="Id"/> (for a dev host in another process, <c>--Setting Id</c>).</summary>
    public const string Setting = $"{EnrolmentLimitOptions.Section}:{nameof(EnrolmentLimitOptions.FrontDoorId)}";

    public static DevHostOptions Configure(DevHostOptions options)
    {
        options.Settings[Setting] = Id;
        return options;
    }

    /// <summary>The request as Front Door forwards a client's at <paramref name="address"/>.</summary>
    public static HttpRequestMessage From(this HttpRequestMessage request, string address)
    {
        request.Headers.Remove(ClientAddress.FrontDoorIdHeader);
        request.Headers.Remove(ClientAddress.FrontDoorClientHeader);
        request.Headers.TryAddWithoutValidation(ClientAddress.FrontDoorIdHeader, Id);
        request.Headers.TryAddWithoutValidation(ClientAddress.FrontDoorClientHeader, address);
        return request;
    }
}
