using System.Globalization;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Graph;

/// <summary>
/// The innermost handler of the Graph client: counts every request that goes on the wire (the SDK's own retries
/// included) against <see cref="GraphBudget"/>, and tells it when Graph said 429; each answer is counted by kind and status (throttling included).
/// </summary>
public sealed class GraphBudgetHandler(GraphBudget budget) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var write = request.Method != HttpMethod.Get && request.Method != HttpMethod.Head;
        budget.Record(write);
        var response = await base.SendAsync(request, cancellationToken);
        EnrolmentTelemetry.GraphRequest(write, (int)response.StatusCode);
        if ((int)response.StatusCode == 429)
        {
            budget.Throttled(RetryAfter(response) ?? TimeSpan.FromSeconds(5));
        }

        return response;
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow,
            _ => response.Headers.TryGetValues("Retry-After", out var values)
                 && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                ? TimeSpan.FromSeconds(seconds)
                : null,
        };
}
