using System.Text;

namespace Sarthe.Enrolment.Tests.Client;

/// <summary>
/// The enrolment script runs at OOBE in Windows PowerShell 5.1 on .NET Framework 4.x, while the tests run it in
/// PowerShell 7: this check fails the build when the script uses what 5.1 lacks (the rules, and why each matters, are in
/// <see cref="WindowsPowerShellCompatibility"/>), and proves on samples that each kind of rule finds what it should.
/// </summary>
public sealed class WindowsPowerShellCompatibilityTests
{
    [Fact]
    public void The_enrolment_script_uses_nothing_windows_powershell_5_1_or_dotnet_framework_lacks()
    {
        Assert.Empty(WindowsPowerShellCompatibility.Check(EnrolmentScript.ScriptPath));
    }

    [Theory]
    // The snippet docs/operations.md gave before the script: .NET 5+ hex.
    [InlineData("$sig = 'v1=' + [Convert]::ToHexString($hmac.ComputeHash($bytes)).ToLowerInvariant()", "[Convert]::ToHexString")]
    [InlineData("$h = [System.Security.Cryptography.HMACSHA256]::HashData($key, $bytes)", "HashData")]
    [InlineData("$r = [System.Security.Cryptography.RandomNumberGenerator]::GetBytes(32)", "GetBytes")]
    [InlineData("$n = [Math]::Clamp($n, 1, 10)", "Clamp")]
    [InlineData("$o = [System.Text.Json.JsonSerializer]::Serialize($x)", "System.Text.Json")]
    [InlineData("$w = $ready ? 0 : 30", "ternary")]
    [InlineData("$w = $retryAfter ?? 30", "'??'")]
    [InlineData("$w ??= 30", "'??='")]
    [InlineData("$v = ${answer}?.status", "'?.'")]
    [InlineData("Test-Path x && Remove-Item x", "'&&'")]
    [InlineData("1..5 | ForEach-Object -Parallel { $_ }", "-Parallel")]
    [InlineData("$h = $json | ConvertFrom-Json -AsHashtable", "-AsHashtable")]
    [InlineData("Invoke-RestMethod -Uri $u -SkipHttpErrorCheck -UseBasicParsing", "-SkipHttpErrorCheck")]
    [InlineData("Invoke-WebRequest -Uri $u", "-UseBasicParsing")]
    [InlineData("$t = Get-Date -AsUTC", "-AsUTC")]
    [InlineData("Set-Content -Path x -Value y -Encoding utf8NoBOM", "utf8NoBOM")]
    [InlineData("if ($IsWindows) { 'x' }", "$IsWindows")]
    [InlineData("#requires -Version 7.2\n'x'", "#requires -Version 7.2")]
    [InlineData("Test-Json -Json $text", "Test-Json")]
    [InlineData("$c = New-Object System.Net.Http.HttpClient\nAdd-Type -AssemblyName System.Net.Http", "before 'Add-Type -AssemblyName System.Net.Http'")]
    [InlineData("function Send { try { } catch [System.Net.Http.HttpRequestException] { } }\nAdd-Type -AssemblyName System.Net.Http", "before 'Add-Type")]
    [InlineData("function Load { Add-Type -AssemblyName System.Net.Http }\n$m = [System.Net.Http.HttpMethod]::new('GET')", "before 'Add-Type")]
    public void The_check_finds_each_kind_of_thing_windows_powershell_5_1_lacks(string script, string named)
    {
        var findings = WindowsPowerShellCompatibility.Check(Encoding.UTF8.GetBytes(script));

        Assert.Contains(findings, f => f.Contains(named, StringComparison.Ordinal));
    }

    [Fact]
    public void Accented_text_needs_a_byte_order_mark_for_windows_powershell_5_1_to_read_it_as_utf8()
    {
        var withoutBom = new UTF8Encoding(false).GetBytes("Write-Host 'Prêt'");
        var withBom = new UTF8Encoding(true).GetPreamble().Concat(withoutBom).ToArray();

        Assert.Contains(WindowsPowerShellCompatibility.Check(withoutBom), f => f.Contains("byte order mark", StringComparison.Ordinal));
        Assert.Empty(WindowsPowerShellCompatibility.Check(withBom));
    }

    [Fact]
    public void What_windows_powershell_5_1_has_is_not_flagged()
    {
        const string script = """
            [CmdletBinding()] param([switch]$Restart)
            Add-Type -AssemblyName System.Net.Http
            $m = [System.Net.Http.HttpMethod]::new('GET')
            $hmac = [System.Security.Cryptography.HMACSHA256]::new($key)
            $hex = ([BitConverter]::ToString($hmac.ComputeHash($bytes)) -replace '-', '').ToLowerInvariant()
            $o = [ordered]@{ a = 1 } | ConvertTo-Json -Compress -Depth 3
            $v = '{"a":1}' | ConvertFrom-Json
            if ('a' -in @('a', 'b')) { Invoke-WebRequest -Uri $u -UseBasicParsing }
            $t = ([DateTimeOffset](Get-Date).ToUniversalTime()).ToUnixTimeSeconds()
            1..3 | ForEach-Object { $_ } | Where-Object { $_ -gt 1 }
            """;

        Assert.Empty(WindowsPowerShellCompatibility.Check(Encoding.UTF8.GetBytes(script)));
    }
}
