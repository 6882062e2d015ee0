using Sarthe.DevHost;
using Sarthe.Enrolment.Schools;

namespace Sarthe.FloodBenchmark;

/// <summary>
/// What anyone can send: a real school, a fresh timestamp, a made-up device and a key that is not the school's. Every
/// school has a key, so the backend refuses it with 401 after checking the signature (reason <c>bad_signature</c>).
/// </summary>
internal static class ForgedEnrolment
{
    /// <param name="address">The attacker's address, as Front Door writes it (<see cref="SimulatedFrontDoor"/>).</param>
    public static HttpRequestMessage Create(Random random, IReadOnlyList<School> schools, string address)
    {
        var school = schools[random.Next(schools.Count)].Uai;
        var wrongKey = new byte[32];
        random.NextBytes(wrongKey);
        var body = SignedEnrolment.Body(BenchmarkFleet.Laptop($"FORGED-{random.Next():X8}", school, random));
        return SignedEnrolment.Create(body, wrongKey, address);
    }
}
