using System.Net;
using System.Text.Json;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// The second attacker's review (issue 22), one test per finding, through the real host: each failed on the main of
/// the review and passes now.
/// </summary>
[Collection(BackendCollection.Name)]
public sealed class HardeningSecondPassTests(BackendFixture backend)
{
    private const string School = "0720015A";
    private const string Buyer = "0720019E";

    [Fact]
    public async Task An_enrolment_answer_never_shows_another_schools_purchase()
    {
        var serial = Enroller.NewSerial("XPURCHASE");
        await PolicySteps.BuyAsync(backend, serial, Buyer);

        using var response = await backend.Enroller.EnrolAsync(serial, School);

        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("BC-POL", body, StringComparison.Ordinal);
        Assert.DoesNotContain("F-POL", body, StringComparison.Ordinal);
        Assert.DoesNotContain("inventory\":", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_serial_bought_for_another_school_is_refused_409_under_accept_and_the_buyer_enrols_it()
    {
        var serial = Enroller.NewSerial("XSCHOOL");
        await PolicySteps.BuyAsync(backend, serial, Buyer);

        using var refused = await backend.Enroller.EnrolAsync(serial, School);

        await PolicySteps.RefusedAsBoughtElsewhereAsync(backend, refused, serial);
        using var bought = await backend.Enroller.EnrolAsync(serial, Buyer);
        Assert.Equal(HttpStatusCode.Accepted, bought.StatusCode);
        Assert.Equal(Buyer, (await backend.DeviceAsync(serial))!.Value.GetProperty("schoolUai").GetString());
    }
}
