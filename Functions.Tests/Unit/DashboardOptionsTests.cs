using System.ComponentModel.DataAnnotations;
using Sarthe.Enrolment.Dashboard;

namespace Sarthe.Enrolment.Tests.Unit;

public sealed class DashboardOptionsTests
{
    private static List<string> Errors(DashboardOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results.Select(r => r.ErrorMessage!).ToList();
    }

    [Fact]
    public void Without_entra_settings_nothing_more_is_required()
    {
        Assert.Empty(Errors(new DashboardOptions()));
        Assert.Equal("none", DashboardConfig.From(new DashboardOptions()).SignIn);
    }

    [Fact]
    public void A_client_id_needs_an_https_authority_and_a_scope()
    {
        var errors = Errors(new DashboardOptions { ClientId = "11111111-1111-1111-1111-111111111111", Authority = "http://login.example" });

        Assert.Contains(errors, e => e.Contains("Dashboard:Authority"));
        Assert.Contains(errors, e => e.Contains("Dashboard:Scope"));
    }

    [Fact]
    public void Entra_sign_in_opens_the_policy_to_the_authority_only_and_never_offers_the_dev_token()
    {
        var options = new DashboardOptions
        {
            ClientId = "11111111-1111-1111-1111-111111111111",
            Authority = "https://login.microsoftonline.com/22222222-2222-2222-2222-222222222222",
            Scope = "api://enrolment/.default",
            DevTokenUrl = "/dev/token",
        };

        var config = DashboardConfig.From(options);
        var policy = DashboardAssets.ContentSecurityPolicy(options);

        Assert.Empty(Errors(options));
        Assert.Equal("entra", config.SignIn);
        Assert.Null(config.DevTokenUrl);
        Assert.Equal(options.Scope, config.Entra!.Scope);
        Assert.Contains("connect-src 'self' https://login.microsoftonline.com;", policy);
        Assert.Contains("frame-src https://login.microsoftonline.com;", policy);
        Assert.Contains("frame-src 'none'", DashboardAssets.ContentSecurityPolicy(new DashboardOptions()));
    }

    [Fact]
    public void Device_target_and_refresh_are_bounded()
    {
        Assert.NotEmpty(Errors(new DashboardOptions { DeviceTarget = 0 }));
        Assert.NotEmpty(Errors(new DashboardOptions { RefreshSeconds = 0 }));
    }
}
