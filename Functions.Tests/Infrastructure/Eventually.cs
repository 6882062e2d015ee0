namespace Sarthe.Enrolment.Tests.Infrastructure;

public static class Eventually
{
    /// <summary>Polls until <paramref name="probe"/> returns a value that satisfies <paramref name="done"/>, or fails after the timeout.</summary>
    public static async Task<T> MatchesAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null, string? because = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Condition not met in time{(because is null ? "" : ": " + because)}. Last value: {value}");
            }

            await Task.Delay(200);
        }
    }
}
