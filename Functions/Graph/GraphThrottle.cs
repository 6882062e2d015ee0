using System.Globalization;
using Microsoft.Kiota.Abstractions;

namespace Sarthe.Enrolment.Graph;

/// <summary>Whether Graph said 429, and how long to wait: its Retry-After, or exponential back-off with jitter.</summary>
public static class GraphThrottle
{
    /// <summary>
    /// A 429 in whatever shape the SDK throws it: the bare <see cref="ApiException"/>, or wrapped in the
    /// AggregateException that the retry handler throws once its own retries are spent.
    /// </summary>
    public static bool IsThrottled(Exception ex) => ThrottleOf(ex) is not null;

    public static TimeSpan Delay(Exception ex, int attempt, TimeSpan backoff, TimeSpan maxBackoff)
    {
        if (ThrottleOf(ex) is { } api && api.ResponseHeaders.TryGetValue("Retry-After", out var values))
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

        var wanted = backoff * Math.Pow(2, Math.Min(attempt, 16));
        if (wanted > maxBackoff)
        {
            wanted = maxBackoff;
        }

        // ±25% jitter so instances that were throttled together do not come back together.
        return wanted * (0.75 + (Random.Shared.NextDouble() * 0.5));
    }

    private static ApiException? ThrottleOf(Exception ex) => ex switch
    {
        ApiException { ResponseStatusCode: 429 } api => api,
        AggregateException aggregate => aggregate.Flatten().InnerExceptions.Select(ThrottleOf).LastOrDefault(a => a is not null),
        _ => null,
    };
}
