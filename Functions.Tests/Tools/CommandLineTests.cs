using Sarthe.DevHost;
using Sarthe.GraphEmulator;
using Sarthe.Tools;

namespace Sarthe.Enrolment.Tests.Tools;

/// <summary>The command-line reader every tool shares, in process; <see cref="ToolCommandLineTests"/> runs the tools themselves.</summary>
public sealed class CommandLineTests
{
    private readonly CommandLine _command = new("dotnet run --project tools/Demo --", "Demonstrates the reader.", "--count 3 --verbose");
    private readonly Option<int> _count;
    private readonly Option<double> _scale;
    private readonly Option<IReadOnlyList<int>> _sizes;
    private readonly Option<bool> _verbose;
    private readonly StringWriter _output = new();
    private readonly StringWriter _error = new();

    public CommandLineTests()
    {
        _count = _command.Int("--count", 8000, "how many");
        _scale = _command.Number("--scale", 1, "how fast");
        _sizes = _command.IntList("--sizes", [10, 20], "which sizes");
        _verbose = _command.Flag("--verbose", "say more");
    }

    [Fact]
    public void Without_arguments_every_option_keeps_its_default()
    {
        Assert.True(Parse());

        Assert.Equal(8000, _count.Value);
        Assert.False(_count.IsSet);
        Assert.Equal(1, _scale.Value);
        Assert.Equal([10, 20], _sizes.Value);
        Assert.False(_verbose.Value);
    }

    [Fact]
    public void Values_are_read_in_both_spellings_and_names_ignore_case()
    {
        Assert.True(Parse("--count", "20", "--SCALE=0.5", "--sizes", "8000,1000000", "--verbose"));

        Assert.Equal(20, _count.Value);
        Assert.True(_count.IsSet);
        Assert.Equal(0.5, _scale.Value);
        Assert.Equal([8000, 1_000_000], _sizes.Value);
        Assert.True(_verbose.Value);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public void Help_prints_the_synopsis_the_options_with_their_defaults_and_an_example(string help)
    {
        // Even after a mistake: whoever asks for help wants the options.
        Assert.False(_command.TryParse(["--nope", help], out var exitCode, _output, _error));

        Assert.Equal(0, exitCode);
        Assert.Equal("", _error.ToString());
        Assert.Equal(
            """
            Usage: dotnet run --project tools/Demo -- [options]
            Demonstrates the reader.

            Options:
              --count <n>        how many (default 8000)
              --scale <x>        how fast (default 1)
              --sizes <n,n,...>  which sizes (default 10,20)
              --verbose          say more
              -h, --help         print this help and exit

            Example:
              dotnet run --project tools/Demo -- --count 3 --verbose

            """.ReplaceLineEndings(), _output.ToString());
    }

    [Theory]
    [InlineData(new[] { "--nope" }, "unknown option --nope")]
    [InlineData(new[] { "--nope=1" }, "unknown option --nope")]
    [InlineData(new[] { "-x" }, "unexpected argument '-x'")]
    [InlineData(new[] { "stray" }, "unexpected argument 'stray'")]
    [InlineData(new[] { "--" }, "unexpected argument '--'")]
    [InlineData(new[] { "--count" }, "--count needs a value")]
    [InlineData(new[] { "--count", "--verbose" }, "--count needs a value")]
    [InlineData(new[] { "--count", "-1" }, "--count expects a whole number (0 or more), got '-1'")]
    [InlineData(new[] { "--count", "1.5" }, "--count expects a whole number (0 or more), got '1.5'")]
    [InlineData(new[] { "--scale", "fast" }, "--scale expects a number, got 'fast'")]
    [InlineData(new[] { "--sizes", "10,,20" }, "--sizes expects whole numbers (0 or more) separated by commas, got '10,,20'")]
    [InlineData(new[] { "--verbose=yes" }, "--verbose takes no value")]
    public void A_mistake_is_one_line_on_stderr_and_exit_code_2(string[] args, string problem)
    {
        Assert.False(_command.TryParse(args, out var exitCode, _output, _error));

        Assert.Equal(2, exitCode);
        Assert.Equal($"{problem}; see --help{Environment.NewLine}", _error.ToString());
        Assert.Equal("", _output.ToString());
    }

    [Fact]
    public void Settings_are_accepted_by_name_with_a_value_and_listed_in_the_help()
    {
        _command.AcceptSettings(name => name.Contains(':', StringComparison.Ordinal), "--<Section:Key> <value>", "a setting");

        Assert.True(Parse("--Graph:BaseUrl", "http://localhost:1/v1.0", "--Dashboard:RefreshSeconds=10", "--count", "2"));
        Assert.False(Parse("--Graph:BaseUrl"));
        Assert.Equal("--Graph:BaseUrl needs a value; see --help", _error.ToString().Trim());
        Assert.Contains("Usage: dotnet run --project tools/Demo -- [options] [--<Section:Key> <value> ...]", _command.Usage, StringComparison.Ordinal);
        Assert.Contains("  --<Section:Key> <value>  a setting", _command.Usage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Graph:BaseUrl", true)]
    [InlineData("Registration:CheckInterval", true)]
    [InlineData("AzureWebJobsStorage", true)]
    [InlineData("azurewebjobsstorage", true)]
    [InlineData("RegistrationQueueName", false)]
    [InlineData("AuditQueueName", true)]
    [InlineData("AutopilotSyncSchedule", true)]
    [InlineData("RegistrationSweepSchedule", true)]
    [InlineData("FundingReportSchedule", true)]
    [InlineData("urls", true)]
    [InlineData("Prot", false)]
    [InlineData("environment", false)]
    public void The_dev_host_takes_any_sectioned_setting_and_the_known_top_level_ones(string name, bool accepted) =>
        Assert.Equal(accepted, DevHostOptions.IsSettingName(name));

    [Theory]
    [InlineData("GraphEmulator:TimeScale", true)]
    [InlineData("graphemulator:timescale", true)]
    [InlineData("GraphEmulator:SerialsOwnedElsewhere:0", true)]
    [InlineData("GraphEmulator:TimeScal", false)]
    [InlineData("GraphEmulator:TimeScale:0", false)]
    [InlineData("GraphEmulator:SerialsOwnedElsewhere:first", false)]
    [InlineData("GraphEmulator", false)]
    [InlineData("Graph:BaseUrl", false)]
    public void The_graph_emulator_takes_only_its_options_properties(string name, bool accepted) =>
        Assert.Equal(accepted, GraphEmulatorOptions.IsSettingName(name));

    private bool Parse(params string[] args) => _command.TryParse(args, out _, _output, _error);
}
