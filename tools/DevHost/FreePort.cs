using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Sarthe.DevHost;

/// <summary>
/// Loopback ports for processes that must be told their port before they bind (Azurite, the dev host when its
/// issuer URL has to be known up front).
/// </summary>
/// <remarks>
/// Asking the OS for port 0 returns a port from the ephemeral range, which is also where every outgoing
/// connection and every other port-0 listener takes its port; between "picked" and "bound" another socket of a
/// busy test run can take it (seen in CI). These ports come from below the ephemeral range instead, are never
/// handed out twice by one process, and are checked free by binding them.
/// </remarks>
public static class FreePort
{
    private const int First = 20000;
    private const int Last = 32000;
    private static readonly ConcurrentDictionary<int, byte> HandedOut = new();

    public static int Next()
    {
        var (ephemeralFirst, _) = EphemeralRange();
        var last = Math.Min(Last, ephemeralFirst);
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(First, last);
            if (HandedOut.TryAdd(port, 0) && IsFree(port))
            {
                return port;
            }
        }

        // Nothing free below the ephemeral range: fall back to one the OS picks.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static (int First, int Last) EphemeralRange()
    {
        // Linux publishes its range; elsewhere assume the IANA one (49152-65535), which is above ours anyway.
        try
        {
            var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range")
                .Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && int.TryParse(parts[0], out var first) && int.TryParse(parts[1], out var last) && first > First + 1000)
            {
                return (first, last);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return (49152, 65535);
    }
}
