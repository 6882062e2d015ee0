namespace Sarthe.Enrolment.Tests.Tools;

/// <summary>
/// Every program under tools/, as built: <c>--help</c> prints its usage and a mistake is refused, both at once
/// and without starting anything; a stopped benchmark stops the Azurite it started.
/// </summary>
public sealed class ToolCommandLineTests
{
    public static TheoryData<string> Tools => ["DevHost", "GraphEmulator", "StormBenchmark", "AuditBenchmark", "ReportBenchmark", "FloodBenchmark", "Bootstrap", "ChaosBenchmark", "ManifestBenchmark", "OpenApiDocument", "RetentionBenchmark", "TenantSetup"];

    [Theory]
    [MemberData(nameof(Tools))]
    public async Task Help_prints_the_usage_and_starts_nothing(string tool)
    {
        var (exitCode, output, error) = await ToolProcess.RunWithoutNodeAsync(tool, "--help");

        Assert.Equal(0, exitCode);
        Assert.StartsWith($"Usage: dotnet run ", output, StringComparison.Ordinal);
        Assert.Contains($"--project tools/{tool} --", output, StringComparison.Ordinal);
        Assert.Contains("-h, --help", output, StringComparison.Ordinal);
        Assert.Contains("Example:", output, StringComparison.Ordinal);
        Assert.Equal("", error);
        AssertNothingStarted(output + error);
    }

    [Theory]
    [MemberData(nameof(Tools))]
    public async Task An_unknown_option_is_refused_with_one_line_and_exit_code_2(string tool)
    {
        var (exitCode, output, error) = await ToolProcess.RunWithoutNodeAsync(tool, "--no-such-option");

        Assert.Equal(2, exitCode);
        Assert.Equal("unknown option --no-such-option; see --help", error.Trim());
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("StormBenchmark", new[] { "--devices" }, "--devices needs a value; see --help")]
    [InlineData("StormBenchmark", new[] { "--devices", "many" }, "--devices expects a whole number (0 or more), got 'many'; see --help")]
    [InlineData("StormBenchmark", new[] { "--no-baseline=yes" }, "--no-baseline takes no value; see --help")]
    [InlineData("StormBenchmark", new[] { "--time-scale", "0" }, "--time-scale must be above 0; see --help")]
    [InlineData("StormBenchmark", new[] { "--outage-after-imports", "half" }, "--outage-after-imports expects a whole number (0 or more), got 'half'; see --help")]
    [InlineData("StormBenchmark", new[] { "--GraphEmulator:TimeScale", "1" }, "unknown option --GraphEmulator:TimeScale; see --help")]
    [InlineData("ReportBenchmark", new[] { "8000" }, "unexpected argument '8000'; see --help")]
    [InlineData("ManifestBenchmark", new[] { "--rows", "many" }, "--rows expects whole numbers (0 or more) separated by commas, got 'many'; see --help")]
    [InlineData("ManifestBenchmark", new[] { "--format", "utf-16" }, "--format must be one of programme, autopilot-utf16; see --help")]
    [InlineData("ManifestBenchmark", new[] { "--at-limit", "junk,huge" }, "--at-limit takes junk and valid, not 'huge'; see --help")]
    [InlineData("DevHost", new[] { "--Graph:BaseUrl" }, "--Graph:BaseUrl needs a value; see --help")]
    [InlineData("DevHost", new[] { "--Prot", "7072" }, "unknown option --Prot; see --help")]
    [InlineData("GraphEmulator", new[] { "--GraphEmulator:TimeScal", "10" }, "unknown option --GraphEmulator:TimeScal; see --help")]
    [InlineData("GraphEmulator", new[] { "--GraphEmulator:TimeScale", "fast" }, "Failed to convert configuration value 'fast' at 'GraphEmulator:TimeScale' to type 'System.Double'; see --help")]
    public async Task A_mistake_is_named_before_anything_starts(string tool, string[] args, string message)
    {
        var (exitCode, output, error) = await ToolProcess.RunWithoutNodeAsync(tool, args);

        Assert.Equal(2, exitCode);
        Assert.Equal(message, error.Trim());
        Assert.Equal("", output);
    }

    [Fact]
    public async Task The_storm_stops_on_SIGTERM_and_so_does_the_Azurite_it_started()
    {
        // Time scale 0.1 stretches Intune and the pipeline ten times (first look at an import after 10 min): the storm is still running when signalled.
        await using var storm = ToolProcess.Start("StormBenchmark", "--devices", "20", "--no-baseline", "--no-probe", "--time-scale", "0.1");
        await storm.WaitForOutputAsync("[product] storm: 20 devices", TimeSpan.FromSeconds(120));
        var azurite = storm.Children().Where(p => p.CommandLine.Contains("azurite", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(azurite);

        storm.Signal("TERM");

        Assert.True(await storm.WaitForExitAsync(TimeSpan.FromSeconds(15)), $"Still running 15 s after SIGTERM: {storm.Output}");
        Assert.True(storm.ExitCode == 128 + 15, $"Exit code {storm.ExitCode}, not 143 (SIGTERM): {storm.Output}");
        Assert.Contains("Stopping: storm benchmark, its dev host and Azurite (SIGTERM).", storm.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("| mode |", storm.Output, StringComparison.Ordinal);
        Assert.All(azurite, p => Assert.False(ToolProcess.IsRunning(p.Id, p.CommandLine), $"Azurite (pid {p.Id}) outlived the storm."));
    }

    [Fact]
    public async Task The_dev_host_stops_on_a_terminals_ctrl_c_and_so_does_the_Azurite_it_started()
    {
        // A terminal's Ctrl+C reaches its whole process group; Azurite, in a session of its own, is stopped by
        // the dev host after the WebJobs host that still uses it, not at the same time.
        await using var devHost = ToolProcess.StartInOwnProcessGroup("DevHost", "--Port", "0");
        await devHost.WaitForOutputAsync("Press Ctrl+C to stop.", TimeSpan.FromSeconds(120));
        var azurite = devHost.Children().Where(p => p.CommandLine.Contains("azurite", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(azurite);

        var signals = devHost.SignalState();
        devHost.SignalGroup("INT");

        // 60 s, not the few the dev host needs alone: in a full run the machine is loaded and this test process reads
        // the tool's output late (a run once saw nothing printed after 15 s, and the test alone passes in 3 s).
        Assert.True(await devHost.WaitForExitAsync(TimeSpan.FromSeconds(60)), $"Still running 60 s after Ctrl+C (before it: {signals}): {devHost.Output}");
        Assert.True(devHost.ExitCode == 0, $"Exit code {devHost.ExitCode}: {devHost.Output}");
        Assert.Contains("Stopping: dev host, Graph emulator, Azurite (SIGINT).", devHost.Output, StringComparison.Ordinal);
        Assert.False(devHost.Output.Contains("Exception", StringComparison.Ordinal), devHost.Output);
        Assert.All(azurite, p => Assert.False(ToolProcess.IsRunning(p.Id, p.CommandLine), $"Azurite (pid {p.Id}) outlived the dev host."));
    }

    [Fact]
    public async Task The_chaos_run_stops_on_SIGTERM_and_so_do_the_host_emulator_and_Azurite_it_started()
    {
        // A Graph outage of 10 minutes: the run is still in it when signalled.
        await using var chaos = ToolProcess.Start("ChaosBenchmark", "--devices", "20", "--faults", "graph-outage", "--graph-outage-seconds", "600");
        await chaos.WaitForOutputAsync("Graph outage for 600 s", TimeSpan.FromSeconds(120));
        var started = chaos.Children();
        Assert.Contains(started, p => p.CommandLine.Contains("azurite", StringComparison.Ordinal));
        Assert.Contains(started, p => p.CommandLine.Contains("Sarthe.GraphEmulator.dll", StringComparison.Ordinal));
        Assert.Contains(started, p => p.CommandLine.Contains("Sarthe.DevHost.dll", StringComparison.Ordinal));

        chaos.Signal("TERM");

        Assert.True(await chaos.WaitForExitAsync(TimeSpan.FromSeconds(30)), $"Still running 30 s after SIGTERM: {chaos.Output}");
        Assert.True(chaos.ExitCode == 128 + 15, $"Exit code {chaos.ExitCode}, not 143 (SIGTERM): {chaos.Output}");
        Assert.Contains("Stopping: the chaos run, its dev host, Graph emulator and Azurite (SIGTERM).", chaos.Output, StringComparison.Ordinal);
        Assert.All(started, p => Assert.False(ToolProcess.IsRunning(p.Id, p.CommandLine), $"{p.CommandLine} (pid {p.Id}) outlived the chaos run."));
        var logs = System.Text.RegularExpressions.Regex.Match(chaos.Output, "logs in (\\S+)").Groups[1].Value;
        Assert.True(Directory.Exists(logs), $"the run's logs are kept: {chaos.Output}");
        Directory.Delete(logs, recursive: true);
    }

    private static void AssertNothingStarted(string output)
    {
        Assert.DoesNotContain("Node.js", output, StringComparison.Ordinal);
        Assert.DoesNotContain("starting dev host", output, StringComparison.Ordinal);
        Assert.DoesNotContain("listening", output, StringComparison.Ordinal);
        Assert.DoesNotContain("is running", output, StringComparison.Ordinal);
    }
}
