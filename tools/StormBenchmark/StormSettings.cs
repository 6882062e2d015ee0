using System.Globalization;

namespace Sarthe.StormBenchmark;

public sealed record StormSettings(int Devices, int Concurrency, double TimeScale, int BatchSize, bool Baseline, TimeSpan Timeout, int Seed)
{
    public static StormSettings Parse(string[] args)
    {
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        int Int(string name, int fallback) => int.TryParse(Value(name), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : fallback;
        var scale = double.TryParse(Value("--time-scale"), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : 1.0;
        return new StormSettings(
            Int("--devices", 8000),
            Int("--concurrency", 64),
            scale,
            Int("--batch-size", 100),
            !args.Contains("--no-baseline"),
            TimeSpan.FromMinutes(Int("--timeout-minutes", 60)),
            Int("--seed", 72));
    }
}
