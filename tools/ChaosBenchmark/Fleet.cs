using Sarthe.Enrolment.Schools;

namespace Sarthe.ChaosBenchmark;

public sealed record FleetDevice(string Serial, string SchoolUai, string DeviceType, string Manufacturer, string Model, string HardwareHash);

/// <summary>The devices of a run: spread over the 56 collèges, real-looking serials, ~4 KB hardware hashes of their own.</summary>
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
        var schools = BundledSchoolRegistry.Load().Where(s => s.Active).ToList();
        var random = new Random(seed);
        var serials = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var devices = new List<FleetDevice>(count);
        for (var i = 0; i < count; i++)
        {
            var model = Models[random.Next(Models.Length)];
            string serial;
            do
            {
                // No hyphen: the pipeline looks a device up in Autopilot with contains(serialNumber), which a hyphen breaks.
                serial = model.Prefix + new string(Enumerable.Range(0, 10 - model.Prefix.Length).Select(_ => "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"[random.Next(34)]).ToArray());
            }
            while (!serials.Add(serial));

            var hash = new byte[3800 + random.Next(600)];
            random.NextBytes(hash);
            devices.Add(new FleetDevice(serial, schools[random.Next(schools.Count)].Uai, model.Type, model.Manufacturer, model.Model, Convert.ToBase64String(hash)));
        }

        return devices;
    }
}
