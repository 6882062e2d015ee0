using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sarthe.DevHost;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Dashboard;
using Sarthe.Enrolment.Enrolment;
using Sarthe.Enrolment.Graph;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Keys;
using Sarthe.Enrolment.Registration;
using Sarthe.Enrolment.Reporting;
using Sarthe.Enrolment.Retention;

namespace Sarthe.Enrolment.Tests.Unit;

/// <summary>
/// The options classes hold the only defaults. <c>local.settings.sample.json</c>, the Bicep template and the
/// README's settings table may leave a setting out or show a placeholder (<c>&lt;…&gt;</c>), but a value they show
/// must be the default; the dev host departs from them only where it says so.
/// </summary>
public sealed partial class SettingDefaultsTests
{
    /// <summary>Settings of the Functions host itself, not of the app's options.</summary>
    private static readonly string[] HostSettings =
    [
        "FUNCTIONS_WORKER_RUNTIME", "AzureWebJobsStorage", "AzureWebJobsStorage__accountName", "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__clientId", "AzureWebJobsStorage__tableServiceUri", "AzureWebJobsStorage__queueServiceUri",
        "APPLICATIONINSIGHTS_CONNECTION_STRING", "APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT",
    ];

    private static readonly Dictionary<string, object> Defaults = new(StringComparer.Ordinal)
    {
        [""] = new TriggerOptions(),
        [AdminAuthOptions.Section] = new AdminAuthOptions(),
        [EnrolmentKeyOptions.Section] = new EnrolmentKeyOptions(),
        [EnrolmentLimitOptions.Section] = new EnrolmentLimitOptions(),
        [GraphOptions.Section] = new GraphOptions(),
        [RegistrationOptions.Section] = new RegistrationOptions(),
        [AuditOptions.Section] = new AuditOptions(),
        [FundingOptions.Section] = new FundingOptions(),
        [DashboardOptions.Section] = new DashboardOptions(),
        [RetentionOptions.Section] = new RetentionOptions(),
        [Sarthe.Enrolment.Tenant.TenantReadinessOptions.Section] = new Sarthe.Enrolment.Tenant.TenantReadinessOptions(),
    };

    [Fact]
    public void The_local_settings_sample_shows_only_defaults_or_placeholders()
    {
        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "local.settings.sample.json")));
        var values = sample.RootElement.GetProperty("Values").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);

        AssertDefaults(values, "local.settings.sample.json");
        // Every option has its line, so the sample is the list of every setting.
        Assert.Empty(AllSettingNames().Except(values.Keys));
    }

    [Fact]
    public void The_bicep_template_sets_literal_values_only_to_their_defaults()
    {
        // main.bicep holds the tunable settings and their parameters, resources.bicep those derived from resources.
        var bicep = string.Join("\n", Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "infra"), "*.bicep").Order().Select(File.ReadAllText));
        var parameters = BicepParameter().Matches(bicep).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value.Trim('\''));
        var values = BicepSetting().Matches(bicep)
            .Select(m => (Name: m.Groups["name"].Value, Value: m.Groups["value"].Value.Trim()))
            .Select(s => (s.Name, Value: s.Value.StartsWith('\'') && !s.Value.Contains("${", StringComparison.Ordinal)
                ? s.Value.Trim('\'')
                : ParameterOf(s.Value) is { } p && parameters.TryGetValue(p, out var d) ? d : null))
            .Where(s => s.Value is not null)
            .ToDictionary(s => s.Name, s => s.Value!);

        Assert.NotEmpty(values);
        AssertDefaults(values, "infra/*.bicep");
    }

    [Fact]
    public void The_functions_host_lets_a_manifest_at_its_utf16_limit_through_to_the_api()
    {
        var bicep = string.Join("\n", Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "infra"), "*.bicep").Select(File.ReadAllText));
        var hostLimit = BicepSetting().Matches(bicep).Single(m => m.Groups["name"].Value == "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT").Groups["value"].Value.Trim('\'');

        // Above the API's own limit, so that a larger manifest gets the API's problem+json 413, not the host's empty one.
        Assert.True(long.Parse(hostLimit, System.Globalization.CultureInfo.InvariantCulture) > Sarthe.Enrolment.Inventory.ManifestUpload.MaxUtf16Bytes, hostLimit);
    }

    [Fact]
    public void The_readme_settings_table_gives_the_defaults()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        var values = ReadmeRow().Matches(readme)
            .Where(m => !m.Groups["name"].Value.Contains('*', StringComparison.Ordinal))
            .ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value);

        Assert.NotEmpty(values);
        AssertDefaults(values, "README.md");
    }

    [Fact]
    public void The_dev_host_departs_from_the_defaults_only_in_its_declared_development_settings()
    {
        foreach (var (name, value) in RunningDevHost.DevelopmentSettings)
        {
            var (_, property) = Resolve(name.Replace(":", "__", StringComparison.Ordinal))
                ?? throw new Xunit.Sdk.XunitException($"Dev host setting {name} is no option.");
            Assert.NotNull(property);
            Assert.NotNull(Convert(value, property!.PropertyType));
        }

        Assert.Equal(new TriggerOptions().AsSettings().Keys.Order(), TriggerSettingNames().Order());
    }

    private static void AssertDefaults(IReadOnlyDictionary<string, string> values, string source)
    {
        foreach (var (name, value) in values)
        {
            if (HostSettings.Contains(name) || IsPlaceholder(value))
            {
                continue;
            }

            var (options, property) = Resolve(name) ?? throw new Xunit.Sdk.XunitException($"{source}: {name} is not a setting of the app.");
            var expected = property!.GetValue(options);
            var actual = value.Length == 0 ? null : Convert(value, property.PropertyType);
            Assert.True(Equals(Normal(expected), Normal(actual)), $"{source}: {name} = '{value}', but the default is '{expected}'.");
        }
    }

    /// <summary>The options object and property a setting name (Section__Property or a top-level trigger setting) stands for.</summary>
    private static (object Owner, PropertyInfo? Property)? Resolve(string name)
    {
        var parts = name.Split("__");
        var (owner, path) = Defaults.TryGetValue(parts[0], out var section) && parts.Length > 1 ? (section, parts[1..]) : (Defaults[""], parts);
        PropertyInfo? property = null;
        for (var i = 0; i < path.Length; i++)
        {
            property = owner.GetType().GetProperty(path[i]);
            if (property is null)
            {
                return null;
            }

            if (i < path.Length - 1)
            {
                owner = property.GetValue(owner)!;
            }
        }

        return (owner, property);
    }

    private static IEnumerable<string> AllSettingNames() =>
        Defaults.SelectMany(d => Names(d.Key.Length == 0 ? "" : d.Key + "__", d.Value));

    private static IEnumerable<string> Names(string prefix, object options) =>
        options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).SelectMany(p =>
            p.PropertyType.IsClass && p.PropertyType != typeof(string)
                ? Names(prefix + p.Name + "__", p.GetValue(options)!)
                : [prefix + p.Name]);

    private static IEnumerable<string> TriggerSettingNames() =>
        typeof(TriggerOptions).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name.EndsWith("Setting", StringComparison.Ordinal))
            .Select(f => (string)f.GetRawConstantValue()!);

    private static object? Convert(string value, Type type) =>
        TypeDescriptor.GetConverter(Nullable.GetUnderlyingType(type) ?? type).ConvertFromString(null, CultureInfo.InvariantCulture, value);

    private static object? Normal(object? value) => value is string { Length: 0 } ? null : value;

    private static bool IsPlaceholder(string value) => value.Contains('<', StringComparison.Ordinal);

    private static string? ParameterOf(string expression) =>
        Regex.Match(expression, @"^(?:string\()?(\w+)\)?$") is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex(@"\{\s*name:\s*'(?<name>[^']+)',\s*value:\s*(?<value>[^}]+?)\s*\}")]
    private static partial Regex BicepSetting();

    [GeneratedRegex(@"^param\s+(?<name>\w+)\s+\w+\s*=\s*(?<value>'[^']*'|\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex BicepParameter();

    [GeneratedRegex(@"^\|\s*`(?<name>[A-Za-z_]+)`[^|]*\|\s*`(?<value>[^`]*)`", RegexOptions.Multiline)]
    private static partial Regex ReadmeRow();
}
