using Sarthe.Enrolment.Keys;

namespace Sarthe.Enrolment.Tests.Unit;

/// <summary>The endpoint a provisioning bundle names: https, a plain ASCII host, nothing before an @, no query.</summary>
public sealed class EnrolmentEndpointTests
{
    [Theory]
    [InlineData("https://enrol.sarthe.fr")]
    [InlineData("https://func-enrol-abc.azurewebsites.net/")]
    public void An_https_address_with_a_plain_host_is_an_endpoint(string text) => Assert.NotNull(EnrolmentEndpoint.Parse(text));

    [Theory]
    [InlineData("http://enrol.sarthe.fr")]
    [InlineData("javascript://enrol.sarthe.fr")]
    [InlineData("https://enrol.sarthe.fr@evil.example")]
    [InlineData("https://xn--enrl-7na.sarthe.fr")]
    [InlineData("https://еnrol.sarthe.fr")]
    [InlineData("https://enrol.sarthe.fr/?x=1")]
    [InlineData("https://enrol.sarthe.fr/#x")]
    [InlineData("enrol.sarthe.fr")]
    [InlineData("")]
    public void Anything_else_is_refused(string text) => Assert.Null(EnrolmentEndpoint.Parse(text));

    [Theory]
    [InlineData("http://localhost:7071", true)]
    [InlineData("http://127.0.0.1:7071", true)]
    [InlineData("http://enrol.sarthe.fr", false)]
    public void Plain_http_is_for_the_dev_hosts_loopback_address_only_in_configuration(string text, bool allowed) =>
        Assert.Equal(allowed, EnrolmentEndpoint.Parse(text, allowLoopbackHttp: true) is not null);

    [Fact]
    public void A_configured_endpoint_that_breaks_the_rule_stops_the_app_naming_the_setting()
    {
        var options = new EnrolmentKeyOptions { MasterSecret = Convert.ToBase64String(new byte[32]), PublicEndpoint = "http://enrol.evil.example" };

        var errors = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).ToList();

        Assert.Contains(errors, e => e.ErrorMessage!.Contains("Enrolment:PublicEndpoint", StringComparison.Ordinal));
    }
}
