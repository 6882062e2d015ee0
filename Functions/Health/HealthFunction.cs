using Azure;
using Azure.Data.Tables;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Http;
using Sarthe.Enrolment.OpenApi;

namespace Sarthe.Enrolment.Health;

public sealed class HealthFunction(TableServiceClient tables, ILogger<HealthFunction> logger)
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    [ApiOperation("Storage reachability")]
    [Anonymous]
    [ApiResponse(200, typeof(HealthStatus))]
    [ApiResponse(503, typeof(HealthStatus))]
    [Function(nameof(Health))]
    public async Task<IActionResult> Health(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            // One cheap round trip proves the account is reachable and the credentials work.
            await foreach (var _ in tables.QueryAsync(maxPerPage: 1, cancellationToken: timeout.Token).AsPages(pageSizeHint: 1))
            {
                break;
            }

            return ApiResult.Json(new HealthStatus("healthy"));
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is RequestFailedException or OperationCanceledException or AggregateException)
        {
            logger.LogWarning("Health probe failed: storage unreachable ({Error})", ex.GetType().Name);
            return ApiResult.Json(new HealthStatus("unhealthy", "Storage is unreachable."), StatusCodes.Status503ServiceUnavailable);
        }
    }
}
