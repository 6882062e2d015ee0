using System.Security.Cryptography;
using System.Text;
using Sarthe.Enrolment.Keys;

namespace Sarthe.Enrolment.Tests.Unit;

public sealed class EnrolmentSignatureTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"serialNumber\":\"X\"}");

    [Fact]
    public void Signature_is_v1_hex_hmac_sha256_of_timestamp_dot_body()
    {
        // Computed independently of the class under test.
        var expected = "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Key, Encoding.ASCII.GetBytes("1764295200.").Concat(Body).ToArray()));

        Assert.Equal(expected, EnrolmentSignature.Sign(Key, "1764295200", Body));
    }

    [Fact]
    public void Verifies_against_any_of_the_valid_keys()
    {
        var signature = EnrolmentSignature.ParseSignature(EnrolmentSignature.Sign(Key, "1764295200", Body))!;

        Assert.True(EnrolmentSignature.Verify([new byte[32], Key], "1764295200", Body, signature));
        Assert.False(EnrolmentSignature.Verify([new byte[32]], "1764295200", Body, signature));
        Assert.False(EnrolmentSignature.Verify([Key], "1764295201", Body, signature));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("v1=abc")]
    [InlineData("v2=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("v1=zz00000000000000000000000000000000000000000000000000000000000000")]
    public void Malformed_signature_headers_are_refused(string? header) =>
        Assert.Null(EnrolmentSignature.ParseSignature(header));

    [Theory]
    [InlineData("1764295200", 1764295200L)]
    [InlineData("-5", null)]
    [InlineData("1e9", null)]
    [InlineData(" 17", null)]
    [InlineData("9999999999999", null)]
    public void Timestamps_are_plain_unix_seconds(string header, long? expected) =>
        Assert.Equal(expected, EnrolmentSignature.ParseTimestamp(header));
}
