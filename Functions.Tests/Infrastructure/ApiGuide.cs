using System.Text.RegularExpressions;

namespace Sarthe.Enrolment.Tests.Infrastructure;

/// <summary>docs/api.md, the API in prose, read the way the two-way tests compare it with the OpenAPI document.</summary>
public static partial class ApiGuide
{
    private static readonly Lazy<string> Text = new(() => File.ReadAllText(Path.Combine(Sarthe.DevHost.RepositoryPaths.Root, "docs", "api.md")).ReplaceLineEndings("\n"));

    /// <summary>The text under "### `VERB /api/route`", up to the next heading of level 2 or 3.</summary>
    public static string Section(string verb, string path) => After($"### `{verb.ToUpperInvariant()} {path}`");

    /// <summary>The text under a heading (or a bold line), up to the next heading of level 2 or 3.</summary>
    public static string After(string heading)
    {
        var start = Text.Value.IndexOf("\n" + heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/api.md has no line '{heading}'");
        var body = Text.Value[(start + heading.Length + 2)..];
        var end = NextHeading().Match(body);
        return end.Success ? body[..end.Index] : body;
    }

    /// <summary>The names in the first column of the section's "| Query parameter | ... |" tables.</summary>
    public static IEnumerable<string> QueryParameterRows(string section) => TableNames(section, "| Query parameter |");

    /// <summary>The names in the first column of the section's first "| Member | ... |" table.</summary>
    public static IEnumerable<string> MemberRows(string section) => TableNames(section, "| Member |").ToList() is { Count: > 0 } names
        ? names
        : throw new InvalidOperationException("no member table");

    /// <summary>The statuses the section answers: lines that start with one, in a list or a table ("- `404`:", "| `202 Accepted` |").</summary>
    public static IEnumerable<string> AnsweredStatuses(string section) =>
        AnsweredStatus().Matches(section).Select(m => m.Groups["status"].Value).Distinct();

    public static string FirstJsonExample(string section)
    {
        var match = JsonBlock().Match(section);
        Assert.True(match.Success, "no ```json example");
        return match.Groups["json"].Value;
    }

    private static IEnumerable<string> TableNames(string section, string header)
    {
        var lines = section.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith(header, StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var row in lines.Skip(i + 2).TakeWhile(l => l.StartsWith('|')))
            {
                foreach (Match name in BacktickedName().Matches(row.Split('|')[1]))
                {
                    yield return name.Groups["name"].Value;
                }
            }
        }
    }

    [GeneratedRegex(@"^#{2,3} ", RegexOptions.Multiline)]
    private static partial Regex NextHeading();

    [GeneratedRegex(@"^\s*[-|] `(?<status>[1-5][0-9]{2})[` ]", RegexOptions.Multiline)]
    private static partial Regex AnsweredStatus();

    [GeneratedRegex("`(?<name>[A-Za-z][A-Za-z0-9]*)`")]
    private static partial Regex BacktickedName();

    [GeneratedRegex("```json\n(?<json>.*?)\n\\s*```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}
