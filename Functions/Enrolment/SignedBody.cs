using System.Text;

namespace Sarthe.Enrolment.Enrolment;

/// <summary>
/// A device's request as the signature covers it (the raw body, or for a request without one its request line, and the
/// two signature headers, as sent), and the address it came from (for the per-source limit).
/// </summary>
public sealed record SignedBody(byte[] Body, string TimestampHeader, string SignatureHeader, string SourceAddress = "")
{
    /// <summary>
    /// A request without a body signs <c>METHOD + " " + path</c> after the timestamp and the dot: the path exactly as sent,
    /// without the query string (contract v1.1, e.g. <c>1764295200.GET /api/enrolments/5CG1234XYZ</c>).
    /// </summary>
    public static SignedBody OfRequestLine(string method, string path, string timestampHeader, string signatureHeader, string sourceAddress) =>
        new(Encoding.ASCII.GetBytes(method.ToUpperInvariant() + " " + path), timestampHeader, signatureHeader, sourceAddress);
}
