using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Sarthe.Enrolment.Http;

namespace Sarthe.DevHost;

/// <summary>
/// Serves the Functions app's HTTP functions on Kestrel. Routes and verbs come from the functions'
/// own [HttpTrigger] attributes: there is no second routing table to keep in step.
/// </summary>
public static class HttpFunctionRouter
{
    public static void MapHttpFunctions(this IEndpointRouteBuilder endpoints, IEnumerable<HttpFunctionRoute> routes)
    {
        foreach (var route in routes)
        {
            // A function that names no methods answers every one (TRACE and non-standard methods too), as in Azure.
            var pattern = $"/{HttpFunctionCatalog.RoutePrefix}/{route.Route}";
            var endpoint = route.Verbs.Length == 0
                ? endpoints.Map(pattern, context => InvokeAsync(context, route))
                : endpoints.MapMethods(pattern, route.Verbs, context => InvokeAsync(context, route));
            endpoint.WithDisplayName(route.Name);
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
