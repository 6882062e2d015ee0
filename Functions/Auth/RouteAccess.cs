namespace Sarthe.Enrolment.Auth;

/// <summary>
/// Who may call an HTTP function: every HTTP function carries exactly one of these attributes (a test holds it to
/// that). Admin routes declare their role here and nowhere else: <see cref="AdminAuthenticator"/> reads it when
/// the function asks who is calling, and the OpenAPI description reads it too.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public abstract class RouteAccessAttribute : Attribute;

/// <summary>An administrator's bearer token with this app role (<see cref="AdminRoles.Admin"/> implies <see cref="AdminRoles.Read"/>).</summary>
public sealed class RequiresRoleAttribute(string role) : RouteAccessAttribute
{
    public string Role { get; } = role;
}

/// <summary>A device, signed with its school's enrolment key (checked by the function's service, before any effect).</summary>
public sealed class SignedByDeviceAttribute : RouteAccessAttribute;

/// <summary>Anyone: nothing secret is served (health, OpenAPI, the dashboard's static files, unknown routes).</summary>
public sealed class AnonymousAttribute : RouteAccessAttribute;
