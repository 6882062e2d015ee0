using Sarthe.Enrolment.Schools;

namespace Sarthe.Enrolment.Tests.Unit;

public sealed class BundledSchoolRegistryTests
{
    [Fact]
    public void Default_registry_is_the_56_colleges_of_sarthe_with_21313_pupils()
    {
        var schools = BundledSchoolRegistry.Load();

        Assert.Equal(56, schools.Count);
        Assert.Equal(21_313, schools.Sum(s => s.Pupils));
        Assert.Equal(56, schools.Select(s => s.Uai).Distinct().Count());
        Assert.All(schools, s => Assert.True(SchoolUai.IsValid(s.Uai), s.Uai));
        Assert.All(schools, s => Assert.StartsWith("072", s.Uai));
        Assert.Contains(schools, s => s is { Uai: "0720001K", Name: "Collège John Kennedy", Commune: "Allonnes", Pupils: 444 });
    }

    [Fact]
    public void Parser_names_the_line_of_a_bad_row()
    {
        var csv = "uai,name,commune,pupils\n0720001K,Collège A,Allonnes,444\n0720001A,Collège B,Mamers,12\n";

        var error = Assert.Throws<FormatException>(() => BundledSchoolRegistry.Parse(new StringReader(csv)));

        Assert.Contains("line 3", error.Message);
    }

    [Fact]
    public void Parser_rejects_a_wrong_header() =>
        Assert.Throws<FormatException>(() => BundledSchoolRegistry.Parse(new StringReader("id,name\n")));
}
