using Sarthe.Enrolment.OpenApi;
using Sarthe.Tools;

// The document is generated from the Functions assembly's attributes and types, exactly as the API serves it.
var command = new CommandLine("dotnet run --project tools/OpenApiDocument --",
    "Writes the OpenAPI document that GET /api/openapi.json serves (generated from the Functions assembly, no server\n" +
    "needed) to a file; with --check, only says whether the file is that document (exit 1 when it is not).",
    "--output docs/openapi.json");
var output = command.Text("--output", "docs/openapi.json", "the file to write or check", "<file>");
var check = command.Flag("--check", "compare instead of writing: exit 1 when the file differs from what the code generates");
if (!command.TryParse(args, out var exitCode))
{
    return exitCode;
}

var document = OpenApiDocumentBuilder.BuildJson(typeof(OpenApiDocumentBuilder).Assembly) + "\n";
var path = Path.GetFullPath(output.Value);
if (check.Value)
{
    if (File.Exists(path) && File.ReadAllText(path) == document)
    {
        Console.WriteLine($"{path} is the document the code generates.");
        return 0;
    }

    Console.Error.WriteLine($"{path} is not the document the code generates: run `dotnet run --project tools/OpenApiDocument` to refresh it.");
    return 1;
}

Directory.CreateDirectory(Path.GetDirectoryName(path)!);
File.WriteAllText(path, document);
Console.WriteLine($"Wrote {path}.");
return 0;
