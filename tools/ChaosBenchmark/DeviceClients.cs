using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Sarthe.DevHost;

namespace Sarthe.ChaosBenchmark;

/// <summary>
/// Devices at first boot, as their provisioning package behaves: each signs its enrolment with its school's key and
/// sends it until it gets 202 or 200, retrying network errors, timeouts, 5xx, 429 and 503 (after Retry-After when
/// given, else with a doubling back-off). A refusal (another 4xx) ends its attempts and is recorded.
/// </summary>
public sealed class DeviceClients : IDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(8);

    private readonly IReadOnlyList<FleetDevice> _fleet;
    private readonly IReadOnlyDictionary<string, byte[]> _keys;
    private readonly HttpClient _http;
    private readonly Channel<int> _queue = Channel.CreateUnbounded<int>();
    private readonly long[] _acceptedAt;
    private readonly int[] _finalStatus;
    private readonly ConcurrentDictionary<string, int> _answers = new();
    private readonly ConcurrentQueue<string> _refusals = new();
    private readonly Task[] _workers;
    private int _released;
    private int _accepted;
    private int _done;
    private long _retries;
    private int _firstTryAlreadyEnrolled;

    public DeviceClients(Uri baseUrl, IReadOnlyList<FleetDevice> fleet, IReadOnlyDictionary<string, byte[]> keys, int clients, CancellationToken cancellationToken)
    {
        _fleet = fleet;
        _keys = keys;
        _acceptedAt = new long[fleet.Count];
        _finalStatus = new int[fleet.Count];
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients * 2, ConnectTimeout = TimeSpan.FromSeconds(5) })
        {
            BaseAddress = baseUrl,
            Timeout = TimeSpan.FromSeconds(30),
        };
        _workers = Enumerable.Range(0, clients).Select(_ => Task.Run(() => WorkAsync(cancellationToken), cancellationToken)).ToArray();
    }

    public int Released => Volatile.Read(ref _released);

    /// <summary>Devices that got 202 or 200.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Devices whose client has finished (accepted or refused).</summary>
    public int Done => Volatile.Read(ref _done);

    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>
    /// Devices answered 200 (already enrolled) to their very first request: their row was written by an earlier try of
    /// that same request, one the storage client retried inside the host after a timeout.
    /// </summary>
    public int FirstTryAlreadyEnrolled => Volatile.Read(ref _firstTryAlreadyEnrolled);

    /// <summary>Every answer and failure seen, by kind ("202", "503", "network error", ...), retries included.</summary>
    public IReadOnlyDictionary<string, int> Answers => new SortedDictionary<string, int>(_answers, StringComparer.Ordinal);

    public IReadOnlyCollection<string> Refusals => _refusals.ToArray();

    /// <summary>The serials that got 202 or 200.</summary>
    public IReadOnlyList<FleetDevice> AcceptedDevices => _fleet.Where((_, i) => Volatile.Read(ref _finalStatus[i]) is 200 or 202).ToList();

    /// <summary>When the first enrolment after <paramref name="since"/> was accepted (HTTP serving again), if any.</summary>
    public DateTimeOffset? FirstAcceptAfter(DateTimeOffset since)
    {
        var first = long.MaxValue;
        for (var i = 0; i < _acceptedAt.Length; i++)
        {
            var ticks = Interlocked.Read(ref _acceptedAt[i]);
            if (ticks > since.UtcTicks && ticks < first)
            {
                first = ticks;
            }
        }

        return first == long.MaxValue ? null : new DateTimeOffset(first, TimeSpan.Zero);
    }

    /// <summary>These devices boot now.</summary>
    public void Release(IEnumerable<int> devices)
    {
        foreach (var index in devices)
        {
            Interlocked.Increment(ref _released);
            _queue.Writer.TryWrite(index);
        }
    }

    /// <summary>Waits until every released device has its answer.</summary>
    public async Task WaitForReleasedAsync(CancellationToken cancellationToken)
    {
        while (Done < Released)
        {
            await Task.Delay(100, cancellationToken);
        }
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        try
        {
            Task.WaitAll(_workers, TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Cancelled with the run.
        }

        _http.Dispose();
    }

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        await foreach (var index in _queue.Reader.ReadAllAsync(cancellationToken))
        {
            var status = await EnrolUntilAnsweredAsync(_fleet[index], cancellationToken);
            Volatile.Write(ref _finalStatus[index], status);
            if (status is 200 or 202)
            {
                Volatile.Write(ref _acceptedAt[index], DateTimeOffset.UtcNow.UtcTicks);
                Interlocked.Increment(ref _accepted);
            }

            Interlocked.Increment(ref _done);
        }
    }

    private async Task<int> EnrolUntilAnsweredAsync(FleetDevice device, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (attempt > 0)
            {
                Interlocked.Increment(ref _retries);
            }

            TimeSpan? retryAfter = null;
            try
            {
                // A fresh timestamp and signature on every try, as a device re-signs each request.
                using var response = await _http.SendAsync(SignedEnrolment.Create(device, _keys[device.SchoolUai]), cancellationToken);
                var code = (int)response.StatusCode;
                Count(code.ToString(CultureInfo.InvariantCulture));
                if (code is 200 or 202)
                {
                    if (code == 200 && attempt == 0)
                    {
                        Interlocked.Increment(ref _firstTryAlreadyEnrolled);
                    }

                    return code;
                }

                if (code is not (408 or 429 or >= 500))
                {
                    _refusals.Enqueue($"{device.Serial}: {code} {await response.Content.ReadAsStringAsync(cancellationToken)}");
                    return code;
                }

                retryAfter = response.Headers.RetryAfter?.Delta;
            }
            catch (HttpRequestException)
            {
                Count("network error");
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Count("timeout");
            }

            // Retry-After when the server gave one, else 0.25 s doubling up to 8 s, with jitter so clients spread out.
            var backoff = retryAfter ?? TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(attempt, 10))));
            await Task.Delay(backoff * (0.5 + Random.Shared.NextDouble()), cancellationToken);
        }
    }

    private void Count(string answer) => _answers.AddOrUpdate(answer, 1, (_, n) => n + 1);
}
