using Sarthe.Enrolment.Schools;

namespace Sarthe.StormBenchmark;

public sealed record FleetDevice(string Serial, string SchoolUai, string DeviceType, string Manufacturer, string Model, string HardwareHash);

/// <summary>The département's devices: spread over the 56 collèges in proportion to their pupils.</summary>
public static class Fleet
{
    private static readonly (string Manufacturer, string Model, string Type, string Prefix)[] Models =
    [
        ("HP", "ProBook 440 G8", "laptop", "5CG"),
        ("Dell", "Latitude 3420", "laptop", "DL"),
        ("Lenovo", "ThinkCentre M70q", "desktop", "MJ"),
        ("Microsoft", "Surface Go 3", "tablet", "0F"),
    ];

    public static IReadOnlyList<FleetDevice> Generate(int count, int seed)
    {
        var schools = BundledSchoolRegistry.Load();
        var random = new Random(seed);
        var pupils = schools.Sum(s => s.Pupils);

        // Largest remainder: shares in proportion to pupils that add up to exactly `count`.
        var shares = schools.Select(s => (School: s, Exact: (double)count * s.Pupils / pupils)).ToList();
        var counts = shares.ToDictionary(s => s.School.Uai, s => (int)Math.Floor(s.Exact));
        foreach (var s in shares.OrderByDescending(s => s.Exact - Math.Floor(s.Exact)).Take(count - counts.Values.Sum()))
        {
            counts[s.School.Uai]++;
        }

        var devices = new List<FleetDevice>(count);
        var serials = new HashSet<string>();
        foreach (var (uai, n) in counts)
        {
            for (var i = 0; i < n; i++)
            {
                var model = Models[random.Next(Models.Length)];
                string serial;
                do
                {
                    serial = model.Prefix + new string(Enumerable.Range(0, 10 - model.Prefix.Length).Select(_ => "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"[random.Next(34)]).ToArray());
                }
                while (!serials.Add(serial));

                // Windows Autopilot hardware hashes are about 4 KB.
                var hash = new byte[3800 + random.Next(600)];
                random.NextBytes(hash);
                devices.Add(new FleetDevice(serial, uai, model.Type, model.Manufacturer, model.Model, Convert.ToBase64String(hash)));
            }
        }

        // Devices of all schools boot interleaved, as on a real morning.
        return devices.OrderBy(_ => random.Next()).ToList();
    }
}
