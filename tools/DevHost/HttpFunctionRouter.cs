using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;

namespace Sarthe.DevHost;

/// <summary>One HTTP function found by reflection: its class, method, verbs and route.</summary>
public sealed record HttpFunctionRoute(string Name, Type FunctionType, MethodInfo Method, string[] Verbs, string Route);

/// <summary>
/// Serves the Functions app's HTTP functions on Kestrel. Routes and verbs come from the functions'
/// own [HttpTrigger] attributes: there is no second routing table to keep in step.
/// </summary>
public static class HttpFunctionRouter
{
    public const string RoutePrefix = "api";

    public static IReadOnlyList<HttpFunctionRoute> Discover(Assembly functionsAssembly) =>
        functionsAssembly.GetExportedTypes()
            .Where(type => type is { IsClass: true, IsAbstract: false })
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
                .Select(method => (type, method, function: method.GetCustomAttribute<FunctionAttribute>())))
            .Where(m => m.function is not null)
            .Select(m => (m.type, m.method, m.function, trigger: m.method.GetParameters()
                .Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(a => a is not null)))
            .Where(m => m.trigger is not null)
            .Select(m => new HttpFunctionRoute(
                m.function!.Name,
                m.type,
                m.method,
                (m.trigger!.Methods ?? ["get", "post", "put", "patch", "delete"]).Select(v => v.ToUpperInvariant()).ToArray(),
                m.trigger.Route ?? m.function.Name))
            .ToList();

    public static void MapHttpFunctions(this IEndpointRouteBuilder endpoints, IEnumerable<HttpFunctionRoute> routes)
    {
        foreach (var route in routes)
        {
            endpoints.MapMethods($"/{RoutePrefix}/{route.Route}", route.Verbs, context => InvokeAsync(context, route))
                .WithDisplayName(route.Name);
        }
    }

    private static async Task InvokeAsync(HttpContext context, HttpFunctionRoute route)
    {
        var instance = route.Method.IsStatic ? null : ActivatorUtilities.GetServiceOrCreateInstance(context.RequestServices, route.FunctionType);
        var arguments = route.Method.GetParameters().Select(p => Bind(p, context)).ToArray();
        var returned = route.Method.Invoke(instance, arguments);
        var result = returned switch
        {
            Task<IActionResult> task => await task,
            IActionResult actionResult => actionResult,
            _ => throw new InvalidOperationException($"{route.Name} must return IActionResult or Task<IActionResult>."),
        };
        await result.ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor()));
    }

    private static object? Bind(ParameterInfo parameter, HttpContext context)
    {
        if (parameter.ParameterType == typeof(HttpRequest))
        {
            return context.Request;
        }

        if (parameter.ParameterType == typeof(CancellationToken))
        {
            return context.RequestAborted;
        }

        var value = context.GetRouteValue(parameter.Name!)?.ToString();
        if (value is null)
        {
            return parameter.HasDefaultValue ? parameter.DefaultValue : null;
        }

        return parameter.ParameterType == typeof(string)
            ? value
            : TypeDescriptor.GetConverter(parameter.ParameterType).ConvertFromString(null, CultureInfo.InvariantCulture, value);
    }
}
