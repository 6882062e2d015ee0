using Azure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace Sarthe.Enrolment.Http;

/// <summary>
/// Runs a request's work with a deadline and answers <c>503</c> problem+json with <c>Retry-After</c> when storage
/// fails or does not answer in time, instead of a bare 500 or a hang: devices and the dashboard retry a 503. What a
/// cut-short request wrote is repaired by the next attempt (every write is insert-if-absent or ETag-guarded).
/// </summary>
public sealed class StorageGuard(ILogger<StorageGuard> logger)
{
    /// <summary>Longest a request waits for storage before it answers 503 (the contract's bound is 10 s).</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(8);

    public const int RetryAfterSeconds = 5;

    /// <param name="longerDeadline">For the few requests whose work is long by nature (a manifest import), instead of <see cref="Deadline"/>.</param>
    public async Task<IActionResult> RunAsync(Func<CancellationToken, Task<IActionResult>> work, CancellationToken requestAborted, TimeSpan? longerDeadline = null)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        deadline.CancelAfter(longerDeadline ?? Deadline);
        try
        {
            return await work(deadline.Token);
        }
        catch (Exception ex) when (!requestAborted.IsCancellationRequested && IsStorageUnavailable(ex))
        {
            logger.LogWarning("Storage unavailable ({Error}): answered 503", ex.GetType().Name);
            return Problem.ServiceUnavailable("Storage is unavailable right now; try again shortly.")
                .WithHeader("Retry-After", RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Storage said it cannot serve (5xx, 408), could not be reached, or did not answer before the deadline.</summary>
    public static bool IsStorageUnavailable(Exception ex) => ex switch
    {
        AggregateException aggregate => aggregate.Flatten().InnerExceptions.All(IsStorageUnavailable),
        RequestFailedException failed => failed.Status is 0 or 408 or >= 500,
        OperationCanceledException or TimeoutException or HttpRequestException => true,
        _ => false,
    };
}
