using Microsoft.Extensions.Hosting;

namespace Sarthe.Tools;

/// <summary>
/// The lifetime of a host that runs inside a tool or a test (the dev host, the Graph emulator): it starts and stops
/// when its owner says so. Unlike the default ConsoleLifetime it registers no Ctrl+C or SIGTERM handler of its
/// own, so the owner's <see cref="StopSignal"/> alone decides, and stops things in order.
/// </summary>
public sealed class EmbeddedHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
