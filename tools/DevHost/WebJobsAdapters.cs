using Microsoft.Azure.WebJobs;

namespace Sarthe.DevHost;

/// <summary>
/// The only types the WebJobs SDK may index: thin adapters that carry WebJobs trigger attributes and
/// hand each message or tick to the Functions app's own function class, resolved from DI.
/// </summary>
public static class WebJobsAdapters
{
    public static readonly IReadOnlyList<Type> Types = [];
}

/// <summary>Keeps the SDK from scanning every loaded assembly (which logs harmless TypeLoadExceptions).</summary>
internal sealed class AdapterTypeLocator(IReadOnlyList<Type> types) : ITypeLocator
{
    public IReadOnlyList<Type> GetTypes() => types;
}
