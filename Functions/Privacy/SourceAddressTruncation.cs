using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace Sarthe.Enrolment.Privacy;

/// <summary>
/// What leaves the product in traces and logs carries a source address only truncated: IPv4 to its /24, IPv6 to its
/// /48 (a school's network, never a machine). Registered before every exporter (<see cref="Hosting.TelemetryRegistration"/>),
/// so Application Insights, OTLP and the console receive the truncated value; Application Insights masks what its own
/// ingestion sees as well (<c>DisableIpMasking: false</c> in <c>infra/</c>).
/// </summary>
public static class SourceAddressTruncation
{
    /// <summary>The OpenTelemetry attributes that hold the address of the caller (semantic conventions, old and new).</summary>
    public static readonly IReadOnlySet<string> Attributes = new HashSet<string>(StringComparer.Ordinal)
    {
        "client.address", "client.socket.address", "network.peer.address", "http.client_ip", "net.peer.ip", "net.sock.peer.addr",
    };

    /// <summary>The address with its host part zeroed; anything that is not an address is dropped (null).</summary>
    public static string? Truncate(string? value)
    {
        if (value is null || !IPAddress.TryParse(value, out var address))
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var bytes = address.GetAddressBytes();
        var keep = address.AddressFamily == AddressFamily.InterNetwork ? 3 : 6;
        Array.Clear(bytes, keep, bytes.Length - keep);
        return new IPAddress(bytes).ToString();
    }

    public sealed class SpanProcessor : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data)
        {
            foreach (var name in Attributes)
            {
                if (data.GetTagItem(name) is { } value)
                {
                    data.SetTag(name, Truncate(value.ToString()));
                }
            }
        }
    }

    public sealed class LogProcessor : BaseProcessor<LogRecord>
    {
        public override void OnEnd(LogRecord data)
        {
            if (data.Attributes is not { } attributes || !attributes.Any(a => Attributes.Contains(a.Key)))
            {
                return;
            }

            data.Attributes = attributes.Select(a => Attributes.Contains(a.Key) ? new KeyValuePair<string, object?>(a.Key, Truncate(a.Value?.ToString())) : a).ToList();
        }
    }
}
