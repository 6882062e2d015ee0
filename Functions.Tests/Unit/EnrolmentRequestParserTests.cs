using System.Text;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Enrolment;

namespace Sarthe.Enrolment.Tests.Unit;

public sealed class EnrolmentRequestParserTests
{
    private const string Valid = """
        {"serialNumber":" 5cg1234xyz ","schoolUai":"0720001k","deviceType":"tablet","manufacturer":" HP ",
         "model":"ProBook","hardwareHash":"AAEC","assetTag":null,"unknownField":[1,2]}
        """;

    [Fact]
    public void Normalises_a_valid_body()
    {
        var parser = EnrolmentRequestParser.TryCreate(Encoding.UTF8.GetBytes(Valid))!;

        var uai = parser.ReadSchoolUai();
        var request = parser.ReadRequest(uai!);

        Assert.Equal("0720001K", uai);
        Assert.NotNull(request);
        Assert.Equal("5CG1234XYZ", request.SerialNumber);
        Assert.Equal("HP", request.Manufacturer);
        Assert.Equal("AAEC", request.HardwareHash);
        Assert.Null(request.AssetTag);
        Assert.Empty(parser.Errors);
    }

    [Fact]
    public void Invalid_utf8_inside_a_string_is_a_field_error_not_an_exception()
    {
        var bytes = Encoding.UTF8.GetBytes(Valid.Replace("ProBook", "PRO"));
        var at = Array.IndexOf(bytes, (byte)'R');
        bytes[at] = 0xFF;
        var parser = EnrolmentRequestParser.TryCreate(bytes);

        var request = parser?.ReadRequest("0720001K");

        Assert.Null(request);
        Assert.Contains("model", parser!.Errors.Keys);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("nope")]
    [InlineData("")]
    public void Non_objects_are_not_parsed(string body) =>
        Assert.Null(EnrolmentRequestParser.TryCreate(Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void Deep_nesting_is_refused_by_the_parser()
    {
        var deep = "{\"a\":" + string.Concat(Enumerable.Repeat("[", 100)) + new string(']', 100) + "}";

        Assert.Null(EnrolmentRequestParser.TryCreate(Encoding.UTF8.GetBytes(deep)));
    }

    [Theory]
    [InlineData("ABC-123_x.9", "ABC-123_X.9")]
    [InlineData("  padded  ", "PADDED")]
    public void Serial_numbers_are_trimmed_and_upper_cased(string input, string expected) =>
        Assert.Equal(expected, SerialNumber.Normalize(input));

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("é")]
    [InlineData("12345678901234567890123456789012345678901234567890123456789012345")]
    public void Bad_serial_numbers_are_refused(string input) => Assert.Null(SerialNumber.Normalize(input));
}
