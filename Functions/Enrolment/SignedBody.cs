namespace Sarthe.Enrolment.Enrolment;

/// <summary>A device's request as the signature covers it: the raw body and the two signature headers, as sent.</summary>
public sealed record SignedBody(byte[] Body, string TimestampHeader, string SignatureHeader);
