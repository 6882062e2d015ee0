using Microsoft.Kiota.Abstractions;
using Sarthe.Enrolment.Graph;

namespace Sarthe.Enrolment.Tests.Unit;

public sealed class GraphThrottleTests
{
    private static readonly TimeSpan Backoff = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    [Fact]
    public void Retry_after_seconds_are_honoured()
    {
        var error = Throttled(("Retry-After", "7"));

        Assert.True(GraphThrottle.IsThrottled(error));
        Assert.Equal(TimeSpan.FromSeconds(7), GraphThrottle.Delay(error, attempt: 3, Backoff, MaxBackoff));
    }

    [Fact]
    public void Without_retry_after_the_back_off_doubles_with_jitter_up_to_the_cap()
    {
        var error = Throttled();

        for (var attempt = 0; attempt < 10; attempt++)
        {
            var expected = Math.Min(2 * Math.Pow(2, attempt), 60);
            var delay = GraphThrottle.Delay(error, attempt, Backoff, MaxBackoff).TotalSeconds;
            Assert.InRange(delay, expected * 0.75, expected * 1.25);
        }
    }

    [Fact]
    public void A_429_wrapped_by_the_retry_handler_after_its_own_retries_is_still_throttling()
    {
        // Kiota's RetryHandler throws an AggregateException holding one ApiException per failed answer once MaxRetry is spent.
        var error = new AggregateException("Too many retries performed.", Throttled(("Retry-After", "9")), Throttled(("Retry-After", "11")));

        Assert.True(GraphThrottle.IsThrottled(error));
        Assert.Equal(TimeSpan.FromSeconds(11), GraphThrottle.Delay(error, attempt: 0, Backoff, MaxBackoff));
    }

    [Fact]
    public void Other_errors_are_not_throttling() =>
        Assert.False(GraphThrottle.IsThrottled(new ApiException("boom") { ResponseStatusCode = 503 }));

    private static ApiException Throttled(params (string Name, string Value)[] headers)
    {
        var error = new ApiException("throttled") { ResponseStatusCode = 429 };
        foreach (var (name, value) in headers)
        {
            error.ResponseHeaders[name] = [value];
        }

        return error;
    }
}
