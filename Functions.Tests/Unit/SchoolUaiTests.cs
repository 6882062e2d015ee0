using Sarthe.Enrolment.Schools;

namespace Sarthe.Enrolment.Tests.Unit;

public sealed class SchoolUaiTests
{
    [Theory]
    [InlineData("0720001K", "0720001K")]
    [InlineData("0721483W", "0721483W")]
    [InlineData("0720001k", "0720001K")]
    public void Accepts_valid_identifiers_and_stores_upper_case(string input, string expected) =>
        Assert.Equal(expected, SchoolUai.Normalize(input));

    [Theory]
    [InlineData("0720001A")] // wrong check letter
    [InlineData("072001K")] // too short
    [InlineData("07200011K")] // too long
    [InlineData("A720001K")] // letter among the digits
    [InlineData("0720001I")] // I is never a check letter
    [InlineData("")]
    [InlineData(null)]
    [InlineData("０720001K")] // full-width digit
    [InlineData("0720007ſ")] // long s: upper-cases to the check letter S without being a letter of the alphabet
    [InlineData("0720001\u212a")] // Kelvin sign, which looks like K
    public void Rejects_invalid_identifiers(string? input) =>
        Assert.Null(SchoolUai.Normalize(input));

    [Fact]
    public void Check_letter_is_the_seven_digits_modulo_23()
    {
        // 0720001 % 23 = 9 -> "ABCDEFGHJKLMNPRSTUVWXYZ"[9] = 'K', computed by hand.
        Assert.Equal(9, 720001 % 23);
        Assert.True(SchoolUai.IsValid("0720001K"));
        Assert.False(SchoolUai.IsValid("0720001J"));
    }
}
