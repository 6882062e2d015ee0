namespace Sarthe.Enrolment.Tests.Graph;

/// <summary>
/// A clock the test moves by hand (the emulator computes everything from it and starts no timer). Written here rather
/// than taking Microsoft.Extensions.TimeProvider.Testing because the package list is not this folder's to change.
/// </summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _utcTicks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _utcTicks, by.Ticks);
}
