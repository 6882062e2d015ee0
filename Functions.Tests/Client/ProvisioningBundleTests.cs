using System.Collections;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Keys;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Client;

/// <summary>
/// A key issued as a provisioning bundle: the script, its configuration (endpoint, school, key) and what Windows
/// Configuration Designer needs to build the package that runs it at first boot; the bundle's script enrols a device.
/// </summary>
[Collection(BackendCollection.Name)]
public sealed class ProvisioningBundleTests(BackendFixture backend) : IDisposable
{
    private const string School = "0720069J";
    private static readonly XNamespace Provisioning = "urn:schemas-microsoft-com:windows-provisioning";
    private static readonly XNamespace PackageConfig = "urn:schemas-Microsoft-com:Windows-ICD-Package-Config.v1.0";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "enrolment-bundle-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_key_issued_as_a_bundle_comes_with_the_script_its_configuration_and_what_configuration_designer_needs()
    {
        using var response = await IssueAsync("?format=zip");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var bundle = await ReadAsync(response);
        Assert.Equal(
            [$"{School}/Enrol-Device.ps1", $"{School}/README.txt", $"{School}/build-package.cmd", $"{School}/customizations.xml", $"{School}/enrolment.config.json"],
            bundle.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(File.ReadAllBytes(EnrolmentScript.ScriptPath), bundle[$"{School}/Enrol-Device.ps1"]);
        var keyId = response.Content.Headers.ContentDisposition?.FileName?.Trim('"').Split('-')[^1].Replace(".zip", "", StringComparison.Ordinal);

        var config = JsonDocument.Parse(bundle[$"{School}/enrolment.config.json"]).RootElement;
        Assert.Equal(backend.Host.BaseUrl.ToString().TrimEnd('/'), config.GetProperty("endpoint").GetString());
        Assert.Equal(School, config.GetProperty("schoolUai").GetString());
        Assert.Equal(32, Convert.FromBase64String(config.GetProperty("key").GetString()!).Length);
        Assert.Equal(keyId, config.GetProperty("keyId").GetString());
        var keys = await backend.Host.Services.GetRequiredService<SchoolKeyStore>().GetAsync(School, CancellationToken.None);
        Assert.Equal(keys!.CurrentKeyId, keyId);

        var answers = XDocument.Parse(Encoding.UTF8.GetString(bundle[$"{School}/customizations.xml"]));
        var command = answers.Descendants(Provisioning + "CommandConfig").Single();
        Assert.Equal($@"C:\SartheEnrolment\{School}\Enrol-Device.ps1", command.Element(Provisioning + "CommandFile")!.Value);
        Assert.Equal($@"C:\SartheEnrolment\{School}\enrolment.config.json", command.Descendants(Provisioning + "Dependency").Single().Value);
        Assert.Contains("-File Enrol-Device.ps1 -Quiet -Restart", command.Element(Provisioning + "CommandLine")!.Value);
        Assert.Equal("0", command.Element(Provisioning + "ReturnCodeSuccess")!.Value);
        // The script exits 3010 when the device is ready: the engine restarts it then, and only then.
        Assert.Equal("3010", command.Element(Provisioning + "ReturnCodeRestart")!.Value);
        Assert.Equal("False", command.Element(Provisioning + "RestartRequired")!.Value);
        Assert.Equal("ITAdmin", answers.Descendants(PackageConfig + "OwnerType").Single().Value);
        Assert.True(Guid.TryParse(answers.Descendants(PackageConfig + "ID").Single().Value, out _));

        var build = bundle[$"{School}/build-package.cmd"];
        Assert.All(build, b => Assert.True(b < 128, "cmd.exe reads the batch file in the OEM code page: ASCII only"));
        var buildText = Encoding.ASCII.GetString(build);
        Assert.Contains("/Build-ProvisioningPackage /CustomizationXML:", buildText);
        Assert.DoesNotContain("\n", buildText.Replace("\r\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains($@"C:\SartheEnrolment\{School}", Encoding.UTF8.GetString(bundle[$"{School}/README.txt"]));
    }

    [Fact]
    public async Task The_script_of_a_bundle_enrols_a_device_with_the_key_and_endpoint_beside_it()
    {
        using var response = await IssueAsync("", accept: "application/zip");
        ZipFile.ExtractToDirectory(await response.Content.ReadAsStreamAsync(), _folder);
        var device = new FakeDevice(Enroller.NewSerial("BUNDLE")) { ChassisTypes = [3], PcSystemType = 1 };

        var run = await EnrolmentScript.RunAsync(device, null, _folder, new Hashtable { ["TimeoutMinutes"] = 2 }, Path.Combine(_folder, School, "Enrol-Device.ps1"));

        Assert.True(run.ExitCode == 0, run.ToString());
        var record = (await backend.DeviceAsync(device.Serial))!.Value;
        Assert.Equal(School, record.GetProperty("schoolUai").GetString());
        Assert.Equal("desktop", record.GetProperty("deviceType").GetString());
        Assert.Equal("registered", record.GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_endpoint_devices_call_can_be_named_and_later_bundles_update_the_same_package()
    {
        using var first = await IssueAsync("?format=zip&endpoint=https://enrolment.sarthe.fr/");
        using var second = await IssueAsync("?format=zip");

        var a = await ReadAsync(first);
        var b = await ReadAsync(second);
        Assert.Equal("https://enrolment.sarthe.fr", JsonDocument.Parse(a[$"{School}/enrolment.config.json"]).RootElement.GetProperty("endpoint").GetString());
        XElement Config(Dictionary<string, byte[]> bundle) => XDocument.Parse(Encoding.UTF8.GetString(bundle[$"{School}/customizations.xml"])).Root!.Element(PackageConfig + "PackageConfig")!;
        Assert.Equal(Config(a).Element(PackageConfig + "ID")!.Value, Config(b).Element(PackageConfig + "ID")!.Value);
        Assert.True(Version.Parse(Config(b).Element(PackageConfig + "Version")!.Value) >= Version.Parse(Config(a).Element(PackageConfig + "Version")!.Value));
    }

    [Theory]
    [InlineData("?format=tar", "format")]
    [InlineData("?format=zip&endpoint=not-a-url", "endpoint")]
    [InlineData("?format=zip&endpoint=ftp://host", "endpoint")]
    [InlineData("?format=zip&endpoint=http://enrolment.sarthe.fr", "endpoint")]
    [InlineData("?format=zip&endpoint=https://enrolment.sarthe.fr@evil.example", "endpoint")]
    [InlineData("?format=zip&endpoint=https://xn--enrlment-w2g.sarthe.fr", "endpoint")]
    [InlineData("?format=zip&endpoint=https://enr%C3%B6lment.sarthe.fr", "endpoint")]
    public async Task A_bundle_asked_for_wrongly_is_400_and_issues_no_key(string query, string field)
    {
        using var issued = await IssueAsync("");
        var before = await backend.Host.Services.GetRequiredService<SchoolKeyStore>().GetAsync(School, CancellationToken.None);

        using var response = await IssueAsync(query);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
        var after = await backend.Host.Services.GetRequiredService<SchoolKeyStore>().GetAsync(School, CancellationToken.None);
        Assert.Equal(before!.CurrentKeyId, after!.CurrentKeyId);
    }

    private async Task<HttpResponseMessage> IssueAsync(string query, string? accept = null)
    {
        var request = backend.Request(HttpMethod.Post, $"api/schools/{School}/enrolment-keys{query}", AdminRoles.Admin);
        if (accept is not null)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        }

        return await backend.Client.SendAsync(request);
    }

    private static async Task<Dictionary<string, byte[]>> ReadAsync(HttpResponseMessage response)
    {
        using var archive = new ZipArchive(await response.Content.ReadAsStreamAsync(), ZipArchiveMode.Read);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var entry in archive.Entries)
        {
            using var stream = entry.Open();
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            files[entry.FullName] = copy.ToArray();
        }

        return files;
    }
}
