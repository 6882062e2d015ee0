using System.Reflection;
using System.Text.Json;
using Microsoft.Azure.WebJobs;
using Sarthe.DevHost;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Http;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// The Functions host cannot run here, so the dev host stands in for it; this keeps the two from drifting apart.
/// What Azure runs is the build's <c>functions.metadata</c> (written by the Worker SDK from the attributes); what
/// the dev host runs is its HTTP catalogue and its WebJobs adapters. Same functions, same triggers, same settings.
/// </summary>
public sealed class HostDriftTests
{
    private static readonly IReadOnlyList<FunctionMetadata> Azure = ReadMetadata();

    [Fact]
    public void The_dev_host_runs_exactly_the_functions_azure_runs()
    {
        var devHost = HttpFunctionCatalog.Discover(typeof(EnrolmentServiceCollectionExtensions).Assembly).Select(r => r.Name)
            .Concat(AdapterMethods().Select(m => m.Name))
            .Order(StringComparer.Ordinal);

        Assert.Equal(Azure.Select(f => f.Name).Order(StringComparer.Ordinal), devHost);
    }

    [Fact]
    public void Http_functions_have_the_same_routes_and_verbs()
    {
        foreach (var route in HttpFunctionCatalog.Discover(typeof(EnrolmentServiceCollectionExtensions).Assembly))
        {
            var trigger = Azure.Single(f => f.Name == route.Name).Trigger;
            Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
            Assert.Equal(trigger.GetProperty("route").GetString(), route.Route);
            // No methods (the catch-all): the host answers every method, and so does the dev host.
            var methods = trigger.TryGetProperty("methods", out var listed) && listed.ValueKind == JsonValueKind.Array ? listed.EnumerateArray().Select(m => m.GetString()!.ToUpperInvariant()) : [];
            Assert.Equal(methods, route.Verbs);
        }
    }

    [Fact]
    public void Queue_and_timer_functions_have_the_same_triggers_and_setting_names()
    {
        foreach (var adapter in AdapterMethods())
        {
            var trigger = Azure.Single(f => f.Name == adapter.Name).Trigger;
            var attribute = adapter.GetParameters().SelectMany(p => p.GetCustomAttributes()).Single(a => a is QueueTriggerAttribute or TimerTriggerAttribute);
            switch (attribute)
            {
                case QueueTriggerAttribute queue:
                    Assert.Equal("queueTrigger", trigger.GetProperty("type").GetString());
                    Assert.Equal(trigger.GetProperty("queueName").GetString(), queue.QueueName);
                    Assert.Equal(trigger.GetProperty("connection").GetString(), queue.Connection);
                    break;
                case TimerTriggerAttribute timer:
                    Assert.Equal("timerTrigger", trigger.GetProperty("type").GetString());
                    Assert.Equal(trigger.GetProperty("schedule").GetString(), timer.ScheduleExpression);
                    Assert.Equal(trigger.TryGetProperty("runOnStartup", out var onStartup) && onStartup.GetBoolean(), timer.RunOnStartup);
                    break;
            }
        }
    }

    [Fact]
    public void Every_setting_a_trigger_names_has_a_default_the_dev_host_provides()
    {
        var provided = new TriggerOptions().AsSettings();
        var named = Azure.Select(f => f.Trigger)
            .SelectMany(t => new[] { "queueName", "schedule" }.Where(p => t.TryGetProperty(p, out _)).Select(p => t.GetProperty(p).GetString()!))
            .SelectMany(expression => expression.Split('%').Where((_, i) => i % 2 == 1))
            .Distinct()
            .ToList();

        Assert.NotEmpty(named);
        Assert.All(named, setting => Assert.True(provided.ContainsKey(setting), $"%{setting}% has no default in TriggerOptions"));
    }

    private static IEnumerable<MethodInfo> AdapterMethods() =>
        WebJobsAdapters.Types.SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly));

    private static IReadOnlyList<FunctionMetadata> ReadMetadata()
    {
        // Written by the Worker SDK into the Functions build output and copied beside the tests with it.
        var path = Path.Combine(AppContext.BaseDirectory, "functions.metadata");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.EnumerateArray()
            .Select(f => new FunctionMetadata(
                f.GetProperty("name").GetString()!,
                f.GetProperty("entryPoint").GetString()!,
                f.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal)).Clone()))
            .ToList();
    }

    private sealed record FunctionMetadata(string Name, string EntryPoint, JsonElement Trigger);
}
