using Sarthe.Enrolment.Schools;

namespace Sarthe.DevHost;

/// <summary>For the benchmarks: one device of a fleet, what its enrolment carries.</summary>
public sealed record FleetDevice(string Serial, string SchoolUai, string DeviceType, string Manufacturer, string Model, string HardwareHash);

/// <summary>
/// For the benchmarks: the devices of a run, from a seed, so that a run can be repeated device for device. Each
/// benchmark spreads its devices over the collèges in its own way (one method each); the devices themselves are made
/// here only.
/// </summary>
public static class BenchmarkFleet
{
    private const string SerialCharacters = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";

    private static readonly (string Manufacturer, string Model, string Type, string Prefix)[] Models =
    [
        ("HP", "ProBook 440 G8", "laptop", "5CG"),
        ("Dell", "Latitude 3420", "laptop", "DL"),
        ("Lenovo", "ThinkCentre M70q", "desktop", "MJ"),
        ("Microsoft", "Surface Go 3", "tablet", "0F"),
    ];

    /// <summary>
    /// The storm's: the 56 collèges' devices in proportion to their pupils (largest remainder: shares that add up to
    /// exactly <paramref name="count"/>), of four models, booting interleaved as on a real morning.
    /// </summary>
    public static IReadOnlyList<FleetDevice> InProportionToPupils(int count, int seed)
    {
        var schools = BundledSchoolRegistry.Load();
        var random = new Random(seed);
        var pupils = schools.Sum(s => s.Pupils);
        var shares = schools.Select(s => (School: s, Exact: (double)count * s.Pupils / pupils)).ToList();
        var counts = shares.ToDictionary(s => s.School.Uai, s => (int)Math.Floor(s.Exact));
        foreach (var s in shares.OrderByDescending(s => s.Exact - Math.Floor(s.Exact)).Take(count - counts.Values.Sum()))
        {
            counts[s.School.Uai]++;
        }

        var devices = new List<FleetDevice>(count);
        var serials = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (uai, n) in counts)
        {
            for (var i = 0; i < n; i++)
            {
                devices.Add(NextDevice(random, serials, () => uai));
            }
        }

        return devices.OrderBy(_ => random.Next()).ToList();
    }

    /// <summary>The chaos run's: each device of four models at an active collège drawn at random.</summary>
    public static IReadOnlyList<FleetDevice> AtRandomActiveSchools(int count, int seed)
    {
        var schools = BundledSchoolRegistry.Load().Where(s => s.Active).ToList();
        var random = new Random(seed);
        var serials = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var devices = new List<FleetDevice>(count);
        for (var i = 0; i < count; i++)
        {
            devices.Add(NextDevice(random, serials, () => schools[random.Next(schools.Count)].Uai));
        }

        return devices;
    }

    /// <summary>
    /// The flood's: serials numbered after <paramref name="prefix"/>, each device's school drawn in proportion to its
    /// pupils, every device an HP laptop (<see cref="Laptop"/>). Draws from <paramref name="random"/>, which the flood
    /// shares with its forgeries.
    /// </summary>
    public static IReadOnlyList<FleetDevice> Numbered(Random random, IReadOnlyList<School> schools, int count, string prefix)
    {
        var pupils = schools.Sum(s => s.Pupils);
        return Enumerable.Range(0, count).Select(n =>
        {
            var pick = random.Next(pupils);
            var school = schools.First(s => (pick -= s.Pupils) < 0);
            return Laptop($"{prefix}-{n:D5}", school.Uai, random);
        }).ToList();
    }

    /// <summary>An HP ProBook with a random 4,000-byte hardware hash.</summary>
    public static FleetDevice Laptop(string serial, string uai, Random random)
    {
        var hash = new byte[4000];
        random.NextBytes(hash);
        var model = Models[0];
        return new FleetDevice(serial, uai, model.Type, model.Manufacturer, model.Model, Convert.ToBase64String(hash));
    }

    /// <summary>A device of a model drawn at random, a serial not yet in <paramref name="serials"/>, a hash of its own; its school drawn last.</summary>
    private static FleetDevice NextDevice(Random random, HashSet<string> serials, Func<string> school)
    {
        var model = Models[random.Next(Models.Length)];
        string serial;
        do
        {
            // No hyphen: the pipeline looks a device up in Autopilot with contains(serialNumber), which a hyphen breaks.
            serial = model.Prefix + new string(Enumerable.Range(0, 10 - model.Prefix.Length).Select(_ => SerialCharacters[random.Next(SerialCharacters.Length)]).ToArray());
        }
        while (!serials.Add(serial));

        // Windows Autopilot hardware hashes are about 4 KB.
        var hash = new byte[3800 + random.Next(600)];
        random.NextBytes(hash);
        return new FleetDevice(serial, school(), model.Type, model.Manufacturer, model.Model, Convert.ToBase64String(hash));
    }
}
