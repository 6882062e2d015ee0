using System.Net;
using System.Text;
using Sarthe.DevHost;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

public sealed class ShortGraceFixture : BackendFixture
{
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(3);

    protected override void Configure(DevHostOptions options) =>
        options.Settings["Enrolment:RotationGracePeriod"] = Grace.ToString();
}

public sealed class KeyRotationTests(ShortGraceFixture backend) : IClassFixture<ShortGraceFixture>
{
    private const string School = "0720038A";

    [Fact]
    public async Task Previous_key_works_during_the_grace_period_then_stops()
    {
        var oldKey = await backend.Enroller.RotateKeyAsync(School);
        Assert.Equal(HttpStatusCode.Accepted, await Enrol(oldKey));

        var newKey = await backend.Enroller.RotateKeyAsync(School);
        Assert.NotEqual(oldKey, newKey);
        Assert.Equal(HttpStatusCode.Accepted, await Enrol(oldKey));
        Assert.Equal(HttpStatusCode.Accepted, await Enrol(newKey));

        await Task.Delay(ShortGraceFixture.Grace + TimeSpan.FromSeconds(1));

        Assert.Equal(HttpStatusCode.Unauthorized, await Enrol(oldKey));
        Assert.Equal(HttpStatusCode.Accepted, await Enrol(newKey));
    }

    [Fact]
    public async Task Only_two_keys_live_at_once_the_one_before_the_previous_is_dead()
    {
        const string school = "0720040C";
        var first = await backend.Enroller.RotateKeyAsync(school);
        await backend.Enroller.RotateKeyAsync(school);
        await backend.Enroller.RotateKeyAsync(school);

        using var response = await backend.Enroller.SendAsync(Body(school), first);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private async Task<HttpStatusCode> Enrol(byte[] key)
    {
        using var response = await backend.Enroller.SendAsync(Body(School), key);
        return response.StatusCode;
    }

    private static byte[] Body(string school) => Encoding.UTF8.GetBytes(Enroller.Body(Enroller.NewSerial("ROT"), school).ToJsonString());
}
