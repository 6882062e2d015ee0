namespace Sarthe.Enrolment.Auth;

/// <summary>App roles of the API, as carried in the token's <c>roles</c> claim.</summary>
public static class AdminRoles
{
    public const string Read = "Enrolment.Read";
    public const string Admin = "Enrolment.Admin";

    /// <summary>Admin implies Read.</summary>
    public static bool Grants(IEnumerable<string> heldRoles, string required) =>
        heldRoles.Any(held => string.Equals(held, required, StringComparison.Ordinal)
                              || string.Equals(held, Admin, StringComparison.Ordinal));
}
