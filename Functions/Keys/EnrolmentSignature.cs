using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Sarthe.Enrolment.Keys;

/// <summary>
/// The device signature: X-Enrolment-Signature = "v1=" + hex(HMAC-SHA256(key, ASCII(timestamp) + "." + body)).
/// </summary>
public static class EnrolmentSignature
{
    public const string TimestampHeader = "X-Enrolment-Timestamp";
    public const string SignatureHeader = "X-Enrolment-Signature";
    private const string Prefix = "v1=";

    public static string Sign(ReadOnlySpan<byte> key, string timestamp, ReadOnlySpan<byte> body) =>
        Prefix + Convert.ToHexStringLower(Compute(key, timestamp, body));

    /// <summary>Parses "v1=&lt;64 hex&gt;"; null when the header is not of that form.</summary>
    public static byte[]? ParseSignature(string? header)
    {
        if (header is null || header.Length != Prefix.Length + 64 || !header.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            return Convert.FromHexString(header.AsSpan(Prefix.Length));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Unix seconds, decimal digits only.</summary>
    public static long? ParseTimestamp(string? header) =>
        header is { Length: > 0 and <= 12 } && long.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? seconds
            : null;

    /// <summary>Constant-time: every candidate key is computed and compared in full.</summary>
    public static bool Verify(IEnumerable<byte[]> keys, string timestamp, ReadOnlySpan<byte> body, ReadOnlySpan<byte> signature)
    {
        var valid = false;
        foreach (var key in keys)
        {
            valid |= CryptographicOperations.FixedTimeEquals(Compute(key, timestamp, body), signature);
        }

        return valid;
    }

    private static byte[] Compute(ReadOnlySpan<byte> key, string timestamp, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(Encoding.ASCII.GetBytes(timestamp + "."));
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }
}
