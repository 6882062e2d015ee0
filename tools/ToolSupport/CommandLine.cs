using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Sarthe.Tools;

/// <summary>
/// A tool's command line, declared option by option. <c>--help</c> (or <c>-h</c>) prints the usage and nothing
/// starts; an argument the tool does not declare is refused with one line on stderr, also before anything starts,
/// so a typo never runs a 30-minute benchmark with the defaults.
/// </summary>
/// <remarks>
/// Options are <c>--name value</c>, <c>--name=value</c> or, for a flag, <c>--name</c>. Names match ignoring
/// case, as ASP.NET Core configuration keys do, so <c>--port</c> cannot slip past <c>--Port</c> as a setting.
/// </remarks>
/// <param name="command">How the tool is run, e.g. <c>dotnet run --project tools/DevHost --</c>.</param>
/// <param name="summary">What the tool does, in a line or two.</param>
/// <param name="example">The arguments of a typical run, shown after <paramref name="command"/>.</param>
public sealed class CommandLine(string command, string summary, string example)
{
    /// <summary>Exit code of a command-line mistake, as getopt-style tools use.</summary>
    public const int UsageError = 2;

    private readonly List<Option> _options = [];
    private (Func<string, bool> IsName, string Synopsis, string Help)? _settings;

    public Option<int> Int(string name, int defaultValue, string help) =>
        Add(new Option<int>(name, "<n>", "a whole number (0 or more)", help, defaultValue, Format(defaultValue), TryParseInt));

    public Option<double> Number(string name, double defaultValue, string help) =>
        Add(new Option<double>(name, "<x>", "a number", help, defaultValue, Format(defaultValue), TryParseDouble));

    public Option<string> Text(string name, string defaultValue, string help, string valueName = "<text>") =>
        Add(new Option<string>(name, valueName, "a value", help, defaultValue, defaultValue.Length == 0 ? null : defaultValue, TryParseText));

    public Option<IReadOnlyList<int>> IntList(string name, IReadOnlyList<int> defaultValue, string help) =>
        Add(new Option<IReadOnlyList<int>>(name, "<n,n,...>", "whole numbers (0 or more) separated by commas", help, defaultValue,
            defaultValue.Count == 0 ? null : string.Join(",", defaultValue.Select(Format)), TryParseIntList));

    /// <summary>An option without a value: true when given.</summary>
    public Option<bool> Flag(string name, string help) =>
        Add(new Option<bool>(name, null, "no value", help, false, null, (string _, out bool value) =>
        {
            value = true;
            return true;
        }));

    /// <summary>
    /// Also accepts <c>--Name value</c> where <paramref name="isName"/> says Name is a configuration setting: for
    /// ASP.NET Core apps, which read those from the same arguments.
    /// </summary>
    public void AcceptSettings(Func<string, bool> isName, string synopsis, string help) => _settings = (isName, synopsis, help);

    /// <summary>
    /// Reads <paramref name="args"/> into the declared options. False when the tool should exit at once with
    /// <paramref name="exitCode"/>: 0 after <c>--help</c>, <see cref="UsageError"/> after a mistake.
    /// </summary>
    public bool TryParse(IReadOnlyList<string> args, out int exitCode, TextWriter? output = null, TextWriter? error = null)
    {
        // Help wins wherever it is, even after a mistake: whoever typed it wants to read the options.
        if (args.Any(a => a is "--help" or "-h"))
        {
            (output ?? Console.Out).Write(Usage);
            exitCode = 0;
            return false;
        }

        if (Read(args) is { } problem)
        {
            exitCode = Reject(problem, error);
            return false;
        }

        exitCode = 0;
        return true;
    }

    /// <summary>Prints one line about a command-line mistake the tool found itself; returns <see cref="UsageError"/>.</summary>
    public int Reject(string problem, TextWriter? error = null)
    {
        (error ?? Console.Error).WriteLine($"{problem.TrimEnd('.')}; see --help");
        return UsageError;
    }

    public string Usage
    {
        get
        {
            var rows = _options.Select(o => (Left: o.ValueName is null ? o.Name : $"{o.Name} {o.ValueName}",
                    Right: o.DefaultText is null ? o.Help : $"{o.Help} (default {o.DefaultText})"))
                .ToList();
            if (_settings is { } settings)
            {
                rows.Add((settings.Synopsis, settings.Help));
            }

            rows.Add(("-h, --help", "print this help and exit"));
            var width = rows.Max(r => r.Left.Length) + 2;

            var usage = new StringBuilder();
            usage.AppendLine($"Usage: {command} [options]{(_settings is { } s ? $" [{s.Synopsis} ...]" : "")}");
            usage.AppendLine(summary);
            usage.AppendLine();
            usage.AppendLine("Options:");
            foreach (var (left, right) in rows)
            {
                // Help of several lines continues under its first line.
                var lines = right.Split('\n');
                usage.AppendLine($"  {left.PadRight(width)}{lines[0]}");
                foreach (var line in lines.Skip(1))
                {
                    usage.AppendLine($"  {new string(' ', width)}{line}");
                }
            }

            usage.AppendLine();
            usage.AppendLine("Example:");
            usage.AppendLine($"  {command} {example}");
            return usage.ToString();
        }
    }

    /// <summary>The first problem with <paramref name="args"/>, or null when every argument is understood.</summary>
    private string? Read(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                return $"unexpected argument '{arg}'";
            }

            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals > 0 ? arg[..equals] : arg;
            var inlineValue = equals > 0 ? arg[(equals + 1)..] : null;
            var option = _options.Find(o => string.Equals(o.Name, name, StringComparison.OrdinalIgnoreCase));
            var isSetting = option is null && _settings is { } settings && settings.IsName(name[2..]);
            if (option is null && !isSetting)
            {
                return $"unknown option {name}";
            }

            if (option is { ValueName: null })
            {
                if (inlineValue is not null)
                {
                    return $"{option.Name} takes no value";
                }

                option.Set("");
                continue;
            }

            var value = inlineValue;
            if (value is null)
            {
                if (i + 1 == args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    return $"{name} needs a value";
                }

                value = args[++i];
            }

            // A setting's value is the app configuration's to read; an option's must be of its kind.
            if (option is not null && !option.Set(value))
            {
                return $"{option.Name} expects {option.Kind}, got '{value}'";
            }
        }

        return null;
    }

    private Option<T> Add<T>(Option<T> option)
    {
        if (_options.Exists(o => string.Equals(o.Name, option.Name, StringComparison.OrdinalIgnoreCase)))
        {
            throw new ArgumentException($"{option.Name} is declared twice.", nameof(option));
        }

        _options.Add(option);
        return option;
    }

    private static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static bool TryParseInt(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static bool TryParseDouble(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    private static bool TryParseText(string text, [MaybeNullWhen(false)] out string value)
    {
        value = text;
        return text.Length > 0;
    }

    private static bool TryParseIntList(string text, [MaybeNullWhen(false)] out IReadOnlyList<int> value)
    {
        var items = text.Split(',');
        var numbers = new List<int>(items.Length);
        foreach (var item in items)
        {
            if (!TryParseInt(item.Trim(), out var number))
            {
                value = null;
                return false;
            }

            numbers.Add(number);
        }

        value = numbers;
        return true;
    }
}

public delegate bool ValueParser<T>(string text, [MaybeNullWhen(false)] out T value);

/// <summary>One declared option; the tool reads <see cref="Option{T}.Value"/> after <see cref="CommandLine.TryParse"/>.</summary>
public abstract class Option(string name, string? valueName, string kind, string help, string? defaultText)
{
    public string Name => name;

    /// <summary>How the value shows in the usage (<c>&lt;n&gt;</c>); null for a flag.</summary>
    public string? ValueName => valueName;

    /// <summary>What the value must be, for the error line: "a whole number".</summary>
    public string Kind => kind;

    public string Help => help;

    public string? DefaultText => defaultText;

    /// <summary>Whether the command line gave this option (its value may still equal the default).</summary>
    public bool IsSet { get; protected set; }

    internal abstract bool Set(string text);
}

public sealed class Option<T>(string name, string? valueName, string kind, string help, T defaultValue, string? defaultText, ValueParser<T> parse)
    : Option(name, valueName, kind, help, defaultText)
{
    public T Value { get; private set; } = defaultValue;

    internal override bool Set(string text)
    {
        if (!parse(text, out var value))
        {
            return false;
        }

        Value = value;
        IsSet = true;
        return true;
    }
}
