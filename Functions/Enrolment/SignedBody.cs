namespace Sarthe.Enrolment.Enrolment;

/// <summary>
/// A device's request as the signature covers it (the raw body and the two signature headers, as sent), and the
/// address it came from (for the per-source limit).
/// </summary>
public sealed record SignedBody(byte[] Body, string TimestampHeader, string SignatureHeader, string SourceAddress = "");
