using System.Reflection;
using Microsoft.Azure.Functions.Worker;

namespace Sarthe.Enrolment.Http;

/// <summary>One HTTP function: its class, method, verbs and route, as its [HttpTrigger] declares them (no verbs: every method, as the Functions host does).</summary>
public sealed record HttpFunctionRoute(string Name, Type FunctionType, MethodInfo Method, string[] Verbs, string Route);

/// <summary>
/// The HTTP functions of an assembly, read from their attributes: the one source the dev host routes
/// from and the OpenAPI description is generated from.
/// </summary>
public static class HttpFunctionCatalog
{
    public const string RoutePrefix = "api";

    public static IReadOnlyList<HttpFunctionRoute> Discover(Assembly assembly) =>
        assembly.GetExportedTypes()
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
                (m.trigger!.Methods ?? []).Select(v => v.ToUpperInvariant()).ToArray(),
                m.trigger.Route ?? m.function.Name))
            .ToList();
}
