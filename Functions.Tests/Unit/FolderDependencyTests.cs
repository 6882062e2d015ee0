using System.Text.RegularExpressions;
using Sarthe.DevHost;

namespace Sarthe.Enrolment.Tests.Unit;

/// <summary>
/// The capabilities of <c>Functions/</c> depend on one another in one direction only: a folder's files name another
/// folder's namespace (<c>Sarthe.Enrolment.X</c>) only if that folder does not name theirs, directly or through others.
/// <c>Hosting</c> is the composition root (it registers everything, and everything reads its table names and
/// telemetry) and <c>OpenApi</c> the description of every capability (it reads their rules and attributes, and every
/// function carries its attributes), so both are left out; <c>Http</c> and <c>Auth</c> are the HTTP plumbing and
/// count as one.
/// </summary>
public sealed partial class FolderDependencyTests
{
    private static readonly string FunctionsRoot = Path.Combine(RepositoryPaths.Root, "Functions");

    /// <summary>Cycles known and written down (docs/architecture.md, "Folders"), each with why it stays; nothing else may appear.</summary>
    private static readonly HashSet<string> KnownCycles = new(StringComparer.Ordinal)
    {
        // Plumbing and the audit vocabulary: an administrator is audited as an AuditActor (Auth), and events are
        // serialised with the API's JSON options (Http).
        "Audit -> Http+Auth -> Audit",
    };

    [Fact]
    public void No_capability_depends_on_another_that_depends_on_it()
    {
        var graph = Dependencies();
        var cycles = new List<string>();
        foreach (var start in graph.Keys.Order(StringComparer.Ordinal))
        {
            FindCycles(graph, start, [start], cycles);
        }

        var unexplained = cycles.Distinct().Where(c => !KnownCycles.Contains(c)).ToList();
        Assert.True(unexplained.Count == 0, "Folder cycles: " + string.Join("; ", unexplained));
    }

    [Fact]
    public void The_device_domain_depends_on_nothing_of_the_pipeline_or_the_routes()
    {
        var devices = Dependencies()["Devices"];

        Assert.DoesNotContain("Registration", devices);
        Assert.DoesNotContain("Graph", devices);
        Assert.DoesNotContain("Inventory", devices);
        Assert.DoesNotContain("DeviceAdmin", devices);
        Assert.DoesNotContain("Enrolment", devices);
    }

    private static Dictionary<string, HashSet<string>> Dependencies()
    {
        var graph = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var folder in Directory.GetDirectories(FunctionsRoot).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj" or "Hosting" or "OpenApi")))
        {
            var node = Node(folder!);
            var deps = graph.TryGetValue(node, out var existing) ? existing : graph[node] = new HashSet<string>(StringComparer.Ordinal);
            foreach (var file in Directory.GetFiles(Path.Combine(FunctionsRoot, folder!), "*.cs"))
            {
                var code = CommentOrString().Replace(File.ReadAllText(file), "");
                foreach (Match m in Namespace().Matches(code))
                {
                    var target = Node(m.Groups["folder"].Value);
                    if (target != node && target is not ("Hosting" or "OpenApi") && Directory.Exists(Path.Combine(FunctionsRoot, m.Groups["folder"].Value)))
                    {
                        deps.Add(target);
                    }
                }
            }
        }

        return graph;
    }

    private static string Node(string folder) => folder is "Http" or "Auth" ? "Http+Auth" : folder;

    private static void FindCycles(Dictionary<string, HashSet<string>> graph, string start, List<string> path, List<string> cycles)
    {
        foreach (var next in graph.GetValueOrDefault(path[^1], []).Order(StringComparer.Ordinal))
        {
            if (next == start)
            {
                // Named from its smallest folder, so a cycle found from each of its folders is one entry.
                if (path.Min(StringComparer.Ordinal) == start)
                {
                    cycles.Add(string.Join(" -> ", path.Append(start)));
                }
            }
            else if (!path.Contains(next) && path.Count < 8)
            {
                FindCycles(graph, start, [.. path, next], cycles);
            }
        }
    }

    [GeneratedRegex(@"Sarthe\.Enrolment\.(?<folder>[A-Z][A-Za-z]+)")]
    private static partial Regex Namespace();

    [GeneratedRegex(@"//[^\n]*|""(?:[^""\\\n]|\\.)*""")]
    private static partial Regex CommentOrString();
}
