namespace Sarthe.Enrolment.Dashboard;

/// <summary>What the page needs before sign-in (served as dashboard/config.json).</summary>
public sealed record DashboardConfig(int DeviceTarget, int RefreshSeconds, string SignIn, string? DevTokenUrl, EntraSignIn? Entra)
{
    public static DashboardConfig From(DashboardOptions options) => options.UsesEntra
        ? new DashboardConfig(options.DeviceTarget, options.RefreshSeconds, "entra", null, new EntraSignIn(options.ClientId!, options.Authority!, options.Scope!))
        : new DashboardConfig(options.DeviceTarget, options.RefreshSeconds, options.DevTokenUrl is { Length: > 0 } ? "dev" : "none", options.DevTokenUrl, null);
}

public sealed record EntraSignIn(string ClientId, string Authority, string Scope);
