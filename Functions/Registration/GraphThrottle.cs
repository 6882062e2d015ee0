using System.Globalization;
using Microsoft.Kiota.Abstractions;

namespace Sarthe.Enrolment.Registration;

/// <summary>How long to wait after Graph said 429: its Retry-After, or exponential back-off with jitter.</summary>
public static class GraphThrottle
{
    public static bool IsThrottled(Exception ex) => ex is ApiException { ResponseStatusCode: 429 };

    public static TimeSpan Delay(Exception ex, int attempt, RegistrationOptions options)
    {
        if (ex is ApiException api && api.ResponseHeaders.TryGetValue("Retry-After", out var values))
        {
            var value = values.FirstOrDefault();
            if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                return TimeSpan.FromSeconds(seconds);
            }

            if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
            {
                return date - DateTimeOffset.UtcNow is { Ticks: > 0 } wait ? wait : TimeSpan.Zero;
            }
        }

        var backoff = options.ThrottleBackoff * Math.Pow(2, Math.Min(attempt, 16));
        if (backoff > options.MaxThrottleBackoff)
        {
            backoff = options.MaxThrottleBackoff;
        }

        // ±25% jitter so instances that were throttled together do not come back together.
        return backoff * (0.75 + (Random.Shared.NextDouble() * 0.5));
    }
}
