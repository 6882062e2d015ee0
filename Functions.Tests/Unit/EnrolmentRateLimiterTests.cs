using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Enrolment;
using Sarthe.Enrolment.Tests.Graph;

namespace Sarthe.Enrolment.Tests.Unit;

public sealed class EnrolmentRateLimiterTests
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 28, 8, 0, 0, TimeSpan.Zero));

    private EnrolmentRateLimiter Limiter(int burst = 600, int perMinute = 60) =>
        new(Options.Create(new EnrolmentLimitOptions { PerSourceBurst = burst, PerSourcePerMinute = perMinute }), _clock);

    [Fact]
    public void Asking_whether_an_address_may_try_spends_nothing_so_signed_attempts_never_use_up_its_tokens()
    {
        var limiter = Limiter(burst: 3, perMinute: 1);

        // 8,000 devices of every school behind one address, each signed: the service only asks, never spends.
        for (var device = 0; device < 8_000; device++)
        {
            Assert.Null(limiter.SourceWait("192.0.2.10"));
        }

        // Its refusals still have their whole burst.
        for (var refusal = 0; refusal < 3; refusal++)
        {
            Assert.Null(limiter.SourceWait("192.0.2.10"));
            limiter.SpendRefusal("192.0.2.10");
        }

        Assert.NotNull(limiter.SourceWait("192.0.2.10"));
    }

    [Fact]
    public void Past_its_burst_of_refusals_a_source_waits_for_the_next_token_and_is_told_how_long()
    {
        var limiter = Limiter(burst: 3, perMinute: 6);
        for (var i = 0; i < 3; i++)
        {
            Assert.Null(limiter.SourceWait("198.51.100.7"));
            limiter.SpendRefusal("198.51.100.7");
        }

        Assert.Equal(TimeSpan.FromSeconds(10), limiter.SourceWait("198.51.100.7")); // 6 a minute: one every 10 s

        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(limiter.SourceWait("198.51.100.7"));
        limiter.SpendRefusal("198.51.100.7");
        Assert.NotNull(limiter.SourceWait("198.51.100.7"));
    }

    [Fact]
    public void One_source_past_its_limit_of_refusals_leaves_every_other_source_alone()
    {
        var limiter = Limiter(burst: 2, perMinute: 1);
        limiter.SpendRefusal("203.0.113.1");
        limiter.SpendRefusal("203.0.113.1");
        Assert.NotNull(limiter.SourceWait("203.0.113.1"));

        Assert.Null(limiter.SourceWait("203.0.113.2"));
    }

    [Fact]
    public void A_school_has_its_own_limit_apart_from_its_sources()
    {
        var limiter = new EnrolmentRateLimiter(Options.Create(new EnrolmentLimitOptions { PerSchoolBurst = 2, PerSchoolPerMinute = 1 }), _clock);

        Assert.Null(limiter.TakeSchoolAttempt("0720001K"));
        Assert.Null(limiter.TakeSchoolAttempt("0720001K"));
        Assert.Equal(TimeSpan.FromSeconds(60), limiter.TakeSchoolAttempt("0720001K"));
        Assert.Null(limiter.TakeSchoolAttempt("0720002L"));
        Assert.Null(limiter.SourceWait("192.0.2.10"));
    }

    [Fact]
    public void The_default_school_limit_lets_the_largest_college_enrol_every_device_twice_at_once()
    {
        var limiter = Limiter();
        var largest = File.ReadLines(Path.Combine(Sarthe.DevHost.RepositoryPaths.Root, "Functions", "Schools", "sarthe-colleges-2024.csv"))
            .Skip(1).Max(line => int.Parse(line.Split(',')[^1], System.Globalization.CultureInfo.InvariantCulture));

        for (var attempt = 0; attempt < largest * 2; attempt++)
        {
            Assert.Null(limiter.TakeSchoolAttempt("0720001K"));
        }
    }

    [Fact]
    public void A_failing_signature_sends_a_school_back_to_storage_at_most_once_per_refresh_interval()
    {
        var limiter = Limiter();

        Assert.True(limiter.MayRefreshKeys("0720001K"));
        Assert.False(limiter.MayRefreshKeys("0720001K"));
        Assert.True(limiter.MayRefreshKeys("0720002L")); // another school has its own pace

        _clock.Advance(new EnrolmentLimitOptions().KeyRefreshInterval);
        Assert.True(limiter.MayRefreshKeys("0720001K"));
    }
}
