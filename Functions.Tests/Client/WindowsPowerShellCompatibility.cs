using System.Management.Automation.Language;
using System.Text;

namespace Sarthe.Enrolment.Tests.Client;

/// <summary>
/// What a script may not use if it is to run in Windows PowerShell 5.1 on .NET Framework 4.x, the PowerShell of OOBE and
/// of provisioning packages: found in its syntax tree (parsed by PowerShell 7's parser, which knows every construct
/// 5.1 lacks) and in its bytes. Each rule says why. The list is of what a script like ours could plausibly reach for;
/// it does not claim to be every difference between the two (Microsoft's "Differences between Windows PowerShell 5.1
/// and PowerShell 7.x" and the .NET API browser are the references).
/// </summary>
public static class WindowsPowerShellCompatibility
{
    /// <summary>Syntax PowerShell 7 added: Windows PowerShell 5.1 cannot even parse the script.</summary>
    private static readonly (Func<Ast, bool> Matches, string Why)[] Syntax =
    [
        (a => a is TernaryExpressionAst, "the ternary operator 'a ? b : c' is PowerShell 7.0+"),
        (a => a is PipelineChainAst, "pipeline chain operators '&&' and '||' are PowerShell 7.0+"),
        (a => a is BinaryExpressionAst { Operator: TokenKind.QuestionQuestion }, "the null-coalescing operator '??' is PowerShell 7.0+"),
        (a => a is AssignmentStatementAst { Operator: TokenKind.QuestionQuestionEquals }, "the null-coalescing assignment '??=' is PowerShell 7.0+"),
        (a => a is MemberExpressionAst { NullConditional: true } or IndexExpressionAst { NullConditional: true }, "null-conditional member access '?.' and '?[]' are PowerShell 7.1+"),
        (a => a is ScriptBlockAst { CleanBlock: not null }, "the 'clean' block is PowerShell 7.3+"),
    ];

    /// <summary>Parameters of the web cmdlets that PowerShell 6+ added (declared first: static fields initialise in order).</summary>
    private static readonly string[] WebParameters =
    [
        "SkipHttpErrorCheck", "StatusCodeVariable", "ResponseHeadersVariable", "SkipCertificateCheck", "SslProtocol", "Authentication", "Token",
        "NoProxy", "MaximumRetryCount", "RetryIntervalSec", "Resume", "Form", "HttpVersion", "AllowUnencryptedAuthentication", "SkipHeaderValidation",
        "PreserveAuthorizationOnRedirect", "CustomMethod", "ConnectionTimeoutSeconds", "OperationTimeoutSeconds", "AllowInsecureRedirect",
    ];

    /// <summary>Parameters of built-in cmdlets that Windows PowerShell 5.1 does not have.</summary>
    private static readonly Dictionary<string, (string[] Parameters, string Why)> Parameters = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ForEach-Object"] = (["Parallel", "ThrottleLimit", "TimeoutSeconds", "AsJob", "UseNewRunspace"], "ForEach-Object -Parallel and its companions are PowerShell 7.0+"),
        ["ConvertFrom-Json"] = (["AsHashtable", "Depth", "NoEnumerate", "DateKind"], "ConvertFrom-Json -AsHashtable (6.0), -Depth (6.2), -NoEnumerate (7.0), -DateKind (7.5) are not in 5.1"),
        ["ConvertTo-Json"] = (["EscapeHandling", "AsArray"], "ConvertTo-Json -EscapeHandling and -AsArray are PowerShell 6.2+"),
        ["Invoke-WebRequest"] = (WebParameters, "this web cmdlet parameter is PowerShell 6.0+ (5.1 throws on any non-2xx answer and cannot skip that)"),
        ["Invoke-RestMethod"] = (WebParameters, "this web cmdlet parameter is PowerShell 6.0+ (5.1 throws on any non-2xx answer and cannot skip that)"),
        ["Get-Date"] = (["AsUTC", "UnixTimeSeconds"], "Get-Date -AsUTC and -UnixTimeSeconds are PowerShell 7.1+"),
        ["Get-Content"] = (["AsByteStream"], "-AsByteStream is PowerShell 6.0+ (5.1 has -Encoding Byte)"),
        ["Set-Content"] = (["AsByteStream"], "-AsByteStream is PowerShell 6.0+ (5.1 has -Encoding Byte)"),
        ["Add-Content"] = (["AsByteStream"], "-AsByteStream is PowerShell 6.0+ (5.1 has -Encoding Byte)"),
        ["Join-Path"] = (["AdditionalChildPath"], "Join-Path -AdditionalChildPath (several children) is PowerShell 6.0+"),
        ["Select-String"] = (["Raw", "NoEmphasis"], "Select-String -Raw and -NoEmphasis are PowerShell 7.0+"),
        ["Start-Sleep"] = (["Duration"], "Start-Sleep -Duration is PowerShell 7.3+"),
        ["Test-Connection"] = (["TargetName", "TcpPort", "Ping", "Traceroute", "MtuSize"], "this Test-Connection parameter is PowerShell 6.0+"),
    };

    /// <summary>Encodings named as PowerShell 6+ names them; 5.1 refuses them.</summary>
    private static readonly string[] NewEncodingNames = ["utf8NoBOM", "utf8BOM"];

    /// <summary>Cmdlets that Windows PowerShell 5.1 does not have.</summary>
    private static readonly Dictionary<string, string> Commands = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Test-Json"] = "Test-Json is PowerShell 6.1+",
        ["Get-Error"] = "Get-Error is PowerShell 7.0+",
        ["Join-String"] = "Join-String is PowerShell 6.2+",
        ["Get-Uptime"] = "Get-Uptime is PowerShell 6.0+",
        ["ConvertFrom-Markdown"] = "ConvertFrom-Markdown is PowerShell 6.1+",
        ["Show-Markdown"] = "Show-Markdown is PowerShell 6.1+",
        ["Get-SecureRandom"] = "Get-SecureRandom is PowerShell 7.4+",
        ["ConvertTo-CliXml"] = "ConvertTo-CliXml is PowerShell 7.5+",
        ["ConvertFrom-CliXml"] = "ConvertFrom-CliXml is PowerShell 7.5+",
        ["Remove-Service"] = "Remove-Service is PowerShell 6.0+",
    };

    /// <summary>Static members of .NET types that .NET Framework 4.x (4.8.1 included) does not have: .NET Core / .NET 5+ APIs.</summary>
    private static readonly Dictionary<string, (string[] Members, string Why)> StaticMembers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Convert"] = (["ToHexString", "ToHexStringLower", "FromHexString"], "Convert.ToHexString/FromHexString are .NET 5+ (ToHexStringLower .NET 9): use BitConverter"),
        ["Security.Cryptography.HMACSHA256"] = (["HashData", "HashDataAsync", "TryHashData"], "one-shot HashData is .NET 6+: create the HMAC and call ComputeHash"),
        ["Security.Cryptography.HMACSHA1"] = (["HashData", "HashDataAsync", "TryHashData"], "one-shot HashData is .NET 6+"),
        ["Security.Cryptography.SHA256"] = (["HashData", "HashDataAsync", "TryHashData"], "one-shot HashData is .NET 5+"),
        ["Security.Cryptography.SHA1"] = (["HashData", "HashDataAsync", "TryHashData"], "one-shot HashData is .NET 5+"),
        ["Security.Cryptography.RandomNumberGenerator"] = (["GetBytes", "GetInt32", "Fill", "GetHexString", "GetString", "GetItems", "Shuffle"], "static RandomNumberGenerator helpers are .NET Core 3.0+: use RandomNumberGenerator.Create()"),
        ["Math"] = (["Clamp", "FusedMultiplyAdd", "BitIncrement", "BitDecrement", "CopySign", "ILogB", "ScaleB"], "these Math methods are .NET Core 2.0+"),
        ["IO.Path"] = (["Join", "GetRelativePath", "TrimEndingDirectorySeparator", "EndsInDirectorySeparator", "Exists"], "these Path methods are .NET Core 2.1+"),
        ["IO.File"] = (["ReadAllTextAsync", "WriteAllTextAsync", "AppendAllTextAsync", "ReadAllBytesAsync", "WriteAllBytesAsync", "ReadAllLinesAsync", "WriteAllLinesAsync", "AppendAllLinesAsync"], "async File methods are .NET Core 2.0+"),
        ["DateTime"] = (["UnixEpoch"], "DateTime.UnixEpoch is .NET Core 2.1+"),
        ["DateTimeOffset"] = (["UnixEpoch"], "DateTimeOffset.UnixEpoch is .NET Core 2.1+"),
        ["Environment"] = (["ProcessId", "ProcessPath", "IsPrivilegedProcess"], "these Environment properties are .NET 5+"),
        ["OperatingSystem"] = (["IsWindows", "IsLinux", "IsMacOS", "IsWindowsVersionAtLeast"], "OperatingSystem.IsWindows() and its kin are .NET 5+"),
        ["Text.Encoding"] = (["Latin1"], "Encoding.Latin1 is .NET 5+"),
    };

    /// <summary>Namespaces .NET Framework 4.x does not have at all.</summary>
    private static readonly (string Namespace, string Why)[] Namespaces =
    [
        ("Text.Json", "System.Text.Json is not part of .NET Framework: use ConvertFrom-Json / ConvertTo-Json"),
        ("Net.Http.Json", "System.Net.Http.Json is not part of .NET Framework"),
        ("Buffers", "System.Buffers is not part of .NET Framework"),
        ("Security.Cryptography.CryptographicOperations", "CryptographicOperations is .NET Core 2.1+"),
    ];

    /// <summary>
    /// Assemblies Windows PowerShell 5.1 does not load by itself (PowerShell 7 has them all loaded): a type of theirs
    /// named before the script's top-level <c>Add-Type -AssemblyName</c> fails there with "Unable to find type".
    /// </summary>
    private static readonly (string Namespace, string Assembly)[] AssembliesToLoad = [("Net.Http", "System.Net.Http")];

    /// <summary>Automatic variables PowerShell 6+ added: in 5.1 they are simply $null, so a test on them silently goes wrong.</summary>
    private static readonly string[] NewVariables = ["IsWindows", "IsLinux", "IsMacOS", "IsCoreCLR", "PSStyle", "PSNativeCommandUseErrorActionPreference", "PSNativeCommandArgumentPassing"];

    /// <summary>Every finding for the script at <paramref name="path"/>: "line N: what it uses (why)".</summary>
    public static IReadOnlyList<string> Check(string path) => Check(File.ReadAllBytes(path));

    public static IReadOnlyList<string> Check(byte[] bytes)
    {
        var findings = new List<string>();
        var hasBom = bytes is [0xEF, 0xBB, 0xBF, ..];
        var text = new UTF8Encoding(false).GetString(hasBom ? bytes[3..] : bytes);
        if (!hasBom && text.Any(c => c > 127))
        {
            // Windows PowerShell 5.1 reads a .ps1 without a byte order mark in the system's ANSI code page: "é" would become "Ã©".
            findings.Add("file: non-ASCII text without a UTF-8 byte order mark (Windows PowerShell 5.1 would read it as ANSI)");
        }

        var ast = Parser.ParseInput(text, out _, out var errors);
        findings.AddRange(errors.Select(e => $"line {e.Extent.StartLineNumber}: does not parse ({e.Message})"));

        if (ast.ScriptRequirements is { } requires)
        {
            if (requires.RequiredPSVersion is { } version && version > new Version(5, 1))
            {
                findings.Add($"#requires -Version {version}: Windows PowerShell is 5.1");
            }

            if (requires.RequiredPSEditions.Count > 0 && !requires.RequiredPSEditions.Contains("Desktop", StringComparer.OrdinalIgnoreCase))
            {
                findings.Add("#requires -PSEdition Core: Windows PowerShell is the Desktop edition");
            }
        }

        findings.AddRange(CheckAssemblyLoads(ast));
        foreach (var node in ast.FindAll(_ => true, searchNestedScriptBlocks: true))
        {
            findings.AddRange(Syntax.Where(rule => rule.Matches(node)).Select(rule => At(node, rule.Why)));
            findings.AddRange(node switch
            {
                CommandAst command => CheckCommand(command),
                MemberExpressionAst { Static: true, Expression: TypeExpressionAst type, Member: StringConstantExpressionAst member } => CheckStaticMember(node, type.TypeName, member.Value),
                TypeExpressionAst type => CheckType(node, type.TypeName),
                TypeConstraintAst constraint => CheckType(node, constraint.TypeName),
                VariableExpressionAst variable when NewVariables.Contains(variable.VariablePath.UserPath, StringComparer.OrdinalIgnoreCase) =>
                    [At(node, $"${variable.VariablePath.UserPath} is PowerShell 6.0+ (in 5.1 it is $null)")],
                _ => [],
            });
        }

        return findings.Distinct().ToList();
    }

    private static IEnumerable<string> CheckAssemblyLoads(ScriptBlockAst ast)
    {
        foreach (var (ns, assembly) in AssembliesToLoad)
        {
            // Only a load at the top level counts: one inside a function happens when (and if) the function runs.
            var loadedAt = ast.FindAll(a => a is CommandAst c && "Add-Type".Equals(c.GetCommandName(), StringComparison.OrdinalIgnoreCase)
                    && c.CommandElements.OfType<StringConstantExpressionAst>().Any(e => e.Value.Equals(assembly, StringComparison.OrdinalIgnoreCase)), searchNestedScriptBlocks: false)
                .Select(a => a.Extent.StartOffset).DefaultIfEmpty(int.MaxValue).Min();
            var named = ast.FindAll(a => a.Extent.StartOffset < loadedAt && NamesTypeIn(a, ns), searchNestedScriptBlocks: true);
            foreach (var node in named)
            {
                yield return At(node, $"{node.Extent.Text} comes before 'Add-Type -AssemblyName {assembly}' at the script's top level: Windows PowerShell 5.1 does not load {assembly} by itself");
            }
        }
    }

    private static bool NamesTypeIn(Ast node, string ns)
    {
        bool InNamespace(string name) => Normal(name).StartsWith(ns + ".", StringComparison.OrdinalIgnoreCase);
        return node switch
        {
            TypeExpressionAst type => InNamespace(type.TypeName.FullName),
            TypeConstraintAst constraint => InNamespace(constraint.TypeName.FullName),
            CommandAst command when "New-Object".Equals(command.GetCommandName(), StringComparison.OrdinalIgnoreCase) =>
                command.CommandElements.Skip(1).OfType<StringConstantExpressionAst>().FirstOrDefault() is { } type && InNamespace(type.Value),
            _ => false,
        };
    }

    private static IEnumerable<string> CheckCommand(CommandAst command)
    {
        var name = command.GetCommandName();
        if (name is null)
        {
            yield break;
        }

        if (name is "%" or "foreach")
        {
            name = "ForEach-Object";
        }

        if (Commands.TryGetValue(name, out var missing))
        {
            yield return At(command, missing);
        }

        var parameters = command.CommandElements.OfType<CommandParameterAst>().ToList();
        if (Parameters.TryGetValue(name, out var rule))
        {
            foreach (var parameter in parameters.Where(p => rule.Parameters.Any(forbidden => IsNamed(p.ParameterName, forbidden))))
            {
                yield return At(parameter, $"{name} -{parameter.ParameterName}: {rule.Why}");
            }
        }

        if (name is "Invoke-WebRequest" && !parameters.Any(p => IsNamed(p.ParameterName, "UseBasicParsing")))
        {
            yield return At(command, "Invoke-WebRequest without -UseBasicParsing needs Internet Explorer's engine in 5.1, absent at OOBE and for SYSTEM");
        }

        var elements = command.CommandElements;
        for (var i = 0; i < elements.Count - 1; i++)
        {
            if (elements[i] is CommandParameterAst { ParameterName: var p } && IsNamed(p, "Encoding")
                && elements[i + 1] is StringConstantExpressionAst value && NewEncodingNames.Contains(value.Value, StringComparer.OrdinalIgnoreCase))
            {
                yield return At(value, $"-Encoding {value.Value} is PowerShell 6.0+ (5.1: UTF8 writes a byte order mark; use [IO.File] with UTF8Encoding for none)");
            }
        }
    }

    private static IEnumerable<string> CheckStaticMember(Ast node, ITypeName type, string member)
    {
        var name = Normal(type.FullName);
        if (StaticMembers.TryGetValue(name, out var rule) && rule.Members.Contains(member, StringComparer.OrdinalIgnoreCase))
        {
            yield return At(node, $"[{type.FullName}]::{member}: {rule.Why}");
        }
    }

    private static IEnumerable<string> CheckType(Ast node, ITypeName type)
    {
        var name = Normal(type.FullName);
        foreach (var (ns, why) in Namespaces.Where(n => name.Equals(n.Namespace, StringComparison.OrdinalIgnoreCase) || name.StartsWith(n.Namespace + ".", StringComparison.OrdinalIgnoreCase)))
        {
            yield return At(node, $"[{type.FullName}]: {why}");
        }
    }

    /// <summary>A parameter as written (PowerShell accepts any unambiguous prefix) naming <paramref name="parameter"/>.</summary>
    private static bool IsNamed(string written, string parameter) =>
        written.Length >= 3 ? parameter.StartsWith(written, StringComparison.OrdinalIgnoreCase) : parameter.Equals(written, StringComparison.OrdinalIgnoreCase);

    private static string Normal(string typeName) =>
        typeName.StartsWith("System.", StringComparison.OrdinalIgnoreCase) ? typeName["System.".Length..] : typeName;

    private static string At(Ast node, string what) => $"line {node.Extent.StartLineNumber}: {what}";
}
