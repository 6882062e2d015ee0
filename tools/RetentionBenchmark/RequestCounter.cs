using Azure.Core;
using Azure.Core.Pipeline;

namespace Sarthe.RetentionBenchmark;

/// <summary>Counts the HTTP requests a storage client sends (each entity-group transaction is one), retries included.</summary>
internal sealed class RequestCounter : HttpPipelinePolicy
{
    private long _requests;

    public long Requests => Interlocked.Read(ref _requests);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref _requests);
        ProcessNext(message, pipeline);
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref _requests);
        return ProcessNextAsync(message, pipeline);
    }
}
