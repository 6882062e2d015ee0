namespace Sarthe.FloodBenchmark;

/// <summary>Clients that share out a number of requests: each sends the next one as soon as its last is answered.</summary>
internal static class ConcurrentClients
{
    /// <param name="client">For each client (0 to <paramref name="clients"/> − 1), what it sends for a request's index.</param>
    public static Task RunAsync(int clients, int count, Func<int, Func<int, Task>> client)
    {
        var next = -1;
        return Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            var send = client(c);
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await send(i);
            }
        }));
    }
}
