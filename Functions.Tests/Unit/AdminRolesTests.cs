using Sarthe.Enrolment.Auth;

namespace Sarthe.Enrolment.Tests.Unit;

public sealed class AdminRolesTests
{
    [Theory]
    [InlineData(new[] { AdminRoles.Read }, AdminRoles.Read, true)]
    [InlineData(new[] { AdminRoles.Admin }, AdminRoles.Read, true)]
    [InlineData(new[] { AdminRoles.Admin }, AdminRoles.Admin, true)]
    [InlineData(new[] { AdminRoles.Read }, AdminRoles.Admin, false)]
    [InlineData(new string[0], AdminRoles.Read, false)]
    [InlineData(new[] { "enrolment.admin" }, AdminRoles.Read, false)] // role values are case-sensitive
    public void Admin_implies_read_and_nothing_else(string[] held, string required, bool granted) =>
        Assert.Equal(granted, AdminRoles.Grants(held, required));
}
