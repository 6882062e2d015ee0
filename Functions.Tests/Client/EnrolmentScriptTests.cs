using System.Collections;
using System.Net;
using System.Text.Json;
using Sarthe.DevHost;
using Sarthe.Enrolment.Audit;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Client;

/// <summary>A backend of its own, behind a <see cref="FaultyFront"/>; one school whose group tag has no deployment profile.</summary>
public sealed class ClientBackendFixture : BackendFixture
{
    public const string School = "0720062B";
    public const string OtherSchool = "0720068H";
    public const string SchoolWithoutProfile = "0720067G";

    public FaultyFront Front { get; private set; } = null!;

    protected override void Configure(DevHostOptions options) =>
        options.GraphEmulator.ProfileAssignments[SchoolWithoutProfile] = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Front = await FaultyFront.StartAsync(Host.BaseUrl);
    }

    public override async Task DisposeAsync()
    {
        if (Front is not null)
        {
            await Front.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}

/// <summary>
/// client/Enrol-Device.ps1, the device half of first-boot enrolment, run as written against the whole backend (the dev
/// host, Azurite, the Graph emulator with its import, sync and profile delays), through a front that can fail.
/// </summary>
public sealed class EnrolmentScriptTests(ClientBackendFixture backend) : IClassFixture<ClientBackendFixture>, IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "enrol-device-tests", Guid.NewGuid().ToString("N"));

    private FaultyFront Front => backend.Front;

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task First_boot_enrols_the_device_waits_until_its_profile_is_assigned_and_asks_the_provisioning_engine_for_the_restart()
    {
        var device = new FakeDevice(Enroller.NewSerial("BOOT")) { ChassisTypes = [10], AssetTag = "SARTHE-004211" };
        var mark = Front.Mark;

        var run = await RunAsync(device, ClientBackendFixture.School, new Hashtable { ["Restart"] = true });

        // 3010 is the package's ReturnCodeRestart: Windows restarts the device, the script does not (Restart-Computer unused).
        Assert.True(run.ExitCode == 3010, run.ToString());
        Assert.Equal(0, run.Restarts);
        Assert.Contains("FR : Prêt pour Autopilot : redémarrage demandé à Windows (code 3010).", run.Log);
        Assert.Contains("EN : Ready for Autopilot: restart asked of Windows' provisioning engine (code 3010).", run.Log);
        var record = (await backend.DeviceAsync(device.Serial))!.Value;
        Assert.Equal("registered", record.GetProperty("status").GetString());
        Assert.Equal("assigned", record.GetProperty("autopilot").GetProperty("deploymentProfile").GetProperty("status").GetString());
        Assert.Equal("laptop", record.GetProperty("deviceType").GetString());
        Assert.Equal("HP", record.GetProperty("manufacturer").GetString());
        Assert.Equal("SARTHE-004211", record.GetProperty("assetTag").GetString());
        Assert.Equal(1, Front.Count("POST", "/api/enrolments", mark));
        Assert.True(Front.Count("GET", $"/api/enrolments/{device.Serial}", mark) >= 1);
        // It never restarted before the profile was assigned: its last status read said so.
        Assert.Contains("registered, profil de déploiement / deployment profile: assigned", run.Log);
    }

    [Fact]
    public async Task Run_again_on_a_device_it_already_restarted_it_says_ready_and_does_not_ask_for_a_second_restart()
    {
        var device = new FakeDevice(Enroller.NewSerial("TWICE"));
        var first = await RunAsync(device, ClientBackendFixture.School, new Hashtable { ["Restart"] = true });

        var second = await RunAsync(device, ClientBackendFixture.School, new Hashtable { ["Restart"] = true });

        Assert.True(first.ExitCode == 3010, first.ToString());
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(0, first.Restarts + second.Restarts);
        Assert.Contains("no second restart", second.Log);
    }

    [Fact]
    public async Task A_device_already_provisioned_by_autopilot_exits_at_once_and_sends_nothing()
    {
        var device = new FakeDevice(Enroller.NewSerial("DONE")) { AutopilotTenantId = "8a3c1e2f-0d41-4a7b-9a63-0f0c2f9d1b77" };
        var before = Front.Seen.Count;

        var run = await RunAsync(device, ClientBackendFixture.School, new Hashtable { ["Restart"] = true });

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(0, run.Restarts);
        Assert.Empty(run.CimReads);
        Assert.Equal(before, Front.Seen.Count);
        Assert.Contains("already has an Autopilot profile (tenant 8a3c1e2f-0d41-4a7b-9a63-0f0c2f9d1b77)", run.Log);
        Assert.Null(await backend.DeviceAsync(device.Serial));
    }

    [Fact]
    public async Task A_clock_ten_minutes_off_stops_before_enrolling_and_says_how_far_off_it_is()
    {
        var device = new FakeDevice(Enroller.NewSerial("CLOCK")) { ClockOffset = TimeSpan.FromMinutes(10) };
        var mark = Front.Mark;

        var run = await RunAsync(device, ClientBackendFixture.School);

        Assert.True(run.ExitCode == 20, run.ToString());
        Assert.Contains("L'horloge de cet appareil a 10 min en avance", run.Log);
        Assert.Contains("This device's clock is 10 min ahead (more than 5 min): set the date, time and time zone", run.Log);
        Assert.Equal(0, Front.Count("POST", "/api/enrolments", mark));
        Assert.Null(await backend.DeviceAsync(device.Serial));
    }

    [Fact]
    public async Task A_wrong_key_stops_with_the_401_explained_in_french_and_english()
    {
        var device = new FakeDevice(Enroller.NewSerial("WRONGKEY"));
        var config = EnrolmentScript.Config(Front.Url, ClientBackendFixture.School, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

        var run = await EnrolmentScript.RunAsync(device, config, _folder);

        Assert.True(run.ExitCode == 31, run.ToString());
        Assert.Contains("FR : Signature refusée (401)", run.Log);
        Assert.Contains("EN : Signature refused (401): this bundle does not hold a valid key of this school", run.Log);
        Assert.Null(await backend.DeviceAsync(device.Serial));
    }

    [Fact]
    public async Task A_serial_enrolled_at_another_school_stops_with_the_409_explained()
    {
        var device = new FakeDevice(Enroller.NewSerial("OTHER"));
        using var elsewhere = await backend.Enroller.EnrolAsync(device.Serial, ClientBackendFixture.OtherSchool);

        var run = await RunAsync(device, ClientBackendFixture.School);

        Assert.True(run.ExitCode == 33, run.ToString());
        Assert.Contains("FR : Refusé (409) : ce numéro de série est déjà inscrit dans un autre collège.", run.Log);
        Assert.Contains("EN : Refused (409): this serial number is already enrolled at another school.", run.Log);
        Assert.Equal(ClientBackendFixture.OtherSchool, (await backend.DeviceAsync(device.Serial))!.Value.GetProperty("schoolUai").GetString());
    }

    [Fact]
    public async Task Network_down_then_up_the_enrolment_is_sent_again_after_growing_waits()
    {
        var device = new FakeDevice(Enroller.NewSerial("NETDOWN"));
        var mark = Front.Mark;
        Front.Fail("POST", "/api/enrolments", 2, Fault.Drop);

        var run = await RunAsync(device, ClientBackendFixture.School);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(3, Front.Count("POST", "/api/enrolments", mark));
        Assert.Equal([1, 2], run.Sleeps.Take(2));
        Assert.Contains("try 1/4 failed", run.Log);
        // The cause under HttpClient's "An error occurred while sending the request." is logged too (on .NET Framework,
        // Windows PowerShell 5.1's, that outer sentence is all the exception's own message says).
        Assert.Contains("An error occurred while sending the request. -> ", run.Log);
        Assert.Equal("registered", await backend.StatusAsync(device.Serial));
    }

    [Fact]
    public async Task Server_errors_then_success_the_enrolment_is_sent_again()
    {
        var device = new FakeDevice(Enroller.NewSerial("FIVEXX"));
        var mark = Front.Mark;
        Front.Fail("POST", "/api/enrolments", 1, Fault.ServerError);
        Front.Fail("POST", "/api/enrolments", 1, Fault.Unavailable);

        var run = await RunAsync(device, ClientBackendFixture.School);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(3, Front.Count("POST", "/api/enrolments", mark));
        Assert.Contains("(HTTP 500)", run.Log);
        Assert.Contains("(HTTP 503)", run.Log);
    }

    [Fact]
    public async Task Too_many_requests_the_script_waits_as_long_as_retry_after_says_then_enrols()
    {
        var device = new FakeDevice(Enroller.NewSerial("THROTTLED"));
        var mark = Front.Mark;
        Front.Fail("POST", "/api/enrolments", 1, Fault.TooManyRequests, retryAfterSeconds: 3);

        var run = await RunAsync(device, ClientBackendFixture.School);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(3, run.Sleeps[0]);
        Assert.Contains("(HTTP 429), next in 3 s", run.Log);
        Assert.Equal(2, Front.Count("POST", "/api/enrolments", mark));
    }

    [Fact]
    public async Task The_backend_out_of_reach_after_every_try_exits_21_and_says_to_check_the_network()
    {
        var device = new FakeDevice(Enroller.NewSerial("NOREACH"));
        Front.Fail("GET", "/api/health", 3, Fault.Drop);
        var config = EnrolmentScript.Config(Front.Url, ClientBackendFixture.School, await backend.Enroller.KeyAsync(ClientBackendFixture.School), maxAttempts: 3);

        var run = await EnrolmentScript.RunAsync(device, config, _folder);

        Assert.True(run.ExitCode == 21, run.ToString());
        Assert.Equal([1, 2], run.Sleeps);
        Assert.Contains("check the network, proxy and firewall", run.Log);
    }

    [Fact]
    public async Task Still_pending_when_the_time_allowed_runs_out_it_exits_41_and_says_to_run_again_later()
    {
        var device = new FakeDevice(Enroller.NewSerial("PENDING"));

        var run = await RunAsync(device, ClientBackendFixture.SchoolWithoutProfile, new Hashtable { ["Restart"] = true, ["TimeoutMinutes"] = 0.15 });

        Assert.True(run.ExitCode == 41, run.ToString());
        Assert.Equal(0, run.Restarts);
        Assert.Contains("Enrolled, but not ready yet after 0.15 min (last status: registered/notAssigned)", run.Log);
        Assert.True(run.Sleeps.Skip(1).All(s => s is >= 1 and <= 2), run.ToString()); // the backend's pace (Retry-After), not a fixed one
    }

    [Fact]
    public async Task A_hash_intune_refuses_fails_first_boot_and_the_next_boot_with_a_good_hash_replaces_it_and_registers()
    {
        var serial = Enroller.NewSerial("BADHASH");
        var badHash = new FakeDevice(serial) { HardwareHash = Convert.ToBase64String([1, 2, 3]) };

        var first = await RunAsync(badHash, ClientBackendFixture.School, new Hashtable { ["Restart"] = true });

        Assert.True(first.ExitCode == 40, first.ToString());
        Assert.Contains("Registration in Autopilot failed: InvalidZtdHardwareHash. The hardware hash is invalid: run first boot again", first.Log);

        var second = await RunAsync(new FakeDevice(serial), ClientBackendFixture.School, new Hashtable { ["Restart"] = true });

        Assert.True(second.ExitCode == 3010, second.ToString());
        Assert.Contains("Inscription : HTTP 202", second.Log[first.Log.Length..]);
        Assert.Equal("registered", await backend.StatusAsync(serial));
        var trail = await backend.GetJsonAsync<JsonElement>($"api/audit?serialNumber={serial}&pageSize=100");
        Assert.Contains(trail.GetProperty("items").EnumerateArray(), e => e.GetProperty("type").GetString() == AuditEventTypes.DeviceHashReplaced);
    }

    [Theory]
    [InlineData(Fault.WebFilter, "HTTP 403, text/html, 'Accès refusé - Filtrage web du collège'")]
    [InlineData(Fault.CaptivePortal, "HTTP 302, text/html, Location http://127.0.0.1:")]
    [InlineData(Fault.PortalPage, "HTTP 200, text/html, 'Wi-Fi du collège - connexion'")]
    public async Task A_web_filter_or_captive_portal_answering_the_health_check_ends_the_run_at_once_with_exit_22(Fault fault, string described)
    {
        var device = new FakeDevice(Enroller.NewSerial("FILTERED"));
        var mark = Front.Mark;
        Front.Fail("GET", "/api/health", 1, fault);

        var run = await RunAsync(device, ClientBackendFixture.School, new Hashtable { ["Restart"] = true });

        Assert.True(run.ExitCode == 22, run.ToString());
        Assert.Contains("EN : A web filter or captive portal answered instead of the enrolment service (" + described, run.Log);
        Assert.Contains("FR : Un filtre web ou un portail captif a répondu à la place du service d'inscription", run.Log);
        Assert.Contains("to GET /api/health): have 127.0.0.1 (HTTPS) allowed on the school's web filter", run.Log);
        Assert.Empty(run.Sleeps);                                         // no retry spends OOBE's minutes on it
        Assert.Equal(0, Front.Count("GET", FaultyFront.PortalPath, mark)); // the redirect was not followed
        Assert.Equal(0, Front.Count("POST", "/api/enrolments", mark));
        Assert.Null(await backend.DeviceAsync(device.Serial));
    }

    [Fact]
    public async Task A_web_filter_blocking_the_enrolment_itself_is_reported_as_the_network_not_as_a_serial_outside_the_inventory()
    {
        var device = new FakeDevice(Enroller.NewSerial("FILTERPOST"));
        var mark = Front.Mark;
        Front.Fail("POST", "/api/enrolments", 1, Fault.WebFilter);

        var run = await RunAsync(device, ClientBackendFixture.School);

        Assert.True(run.ExitCode == 22, run.ToString());
        Assert.Contains("(HTTP 403, text/html, 'Accès refusé - Filtrage web du collège', to POST /api/enrolments)", run.Log);
        Assert.DoesNotContain("purchase inventory", run.Log);
        Assert.Equal(1, Front.Count("POST", "/api/enrolments", mark));
        Assert.Null(await backend.DeviceAsync(device.Serial));
    }

    [Fact]
    public async Task The_time_allowed_covers_the_enrolment_and_its_retries_a_wait_that_would_pass_it_ends_the_run_with_exit_21()
    {
        var device = new FakeDevice(Enroller.NewSerial("DEADLINE"));
        var mark = Front.Mark;
        Front.Fail("POST", "/api/enrolments", 1, Fault.TooManyRequests, retryAfterSeconds: 120);

        var run = await RunAsync(device, ClientBackendFixture.School, new Hashtable { ["TimeoutMinutes"] = 0.5 });

        Assert.True(run.ExitCode == 21, run.ToString());
        Assert.Contains("The time allowed (0.5 min) ran out before 'Inscription / enrolment' succeeded (last try: HTTP 429)", run.Log);
        Assert.Empty(run.Sleeps); // it did not wait the 120 s the front asked for, past its deadline
        Assert.Equal(1, Front.Count("POST", "/api/enrolments", mark));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(29)]
    public async Task A_time_allowed_outside_oobe_s_30_minutes_is_a_configuration_error(double minutes)
    {
        var device = new FakeDevice(Enroller.NewSerial("TOOLONG"));
        var config = EnrolmentScript.Config(Front.Url, ClientBackendFixture.School, await backend.Enroller.KeyAsync(ClientBackendFixture.School));
        config["timeoutMinutes"] = minutes;

        var run = await EnrolmentScript.RunAsync(device, config, _folder);

        Assert.True(run.ExitCode == 10, run.ToString());
        Assert.Contains("'timeoutMinutes' must be more than 0 and at most 28 min", run.Log);
    }

    [Fact]
    public async Task A_configuration_with_comments_and_a_trailing_comma_is_read_as_the_same_settings()
    {
        var device = new FakeDevice(Enroller.NewSerial("COMMENTS"));
        var key = Convert.ToBase64String(await backend.Enroller.KeyAsync(ClientBackendFixture.School));
        var folder = Path.Combine(_folder, "annotated");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "enrolment.config.json");
        File.WriteAllText(path, AnnotatedConfig(Front.Url.ToString().TrimEnd('/'), key), new System.Text.UTF8Encoding(true));

        var run = await EnrolmentScript.RunAsync(device, null, folder, new Hashtable { ["ConfigPath"] = path, ["DryRun"] = true });

        Assert.True(run.ExitCode == 0, run.ToString());
        var sent = run.Output.Single();
        Assert.Equal(ClientBackendFixture.School, sent.Properties["schoolUai"].Value);
        Assert.Equal("tablet", sent.Properties["deviceType"].Value); // the configuration's, not the detected laptop
        Assert.Contains("délai / timeout 12 min", run.Log);
    }

    [Fact]
    public void The_configuration_reaches_convert_from_json_as_strict_json_so_windows_powershell_5_1_reads_it_as_7_does()
    {
        // Windows PowerShell 5.1's ConvertFrom-Json (JavaScriptSerializer) refuses comments and trailing commas, 7's accepts
        // them: the script takes them out first. What it hands on must parse with a strict RFC 8259 parser.
        var annotated = AnnotatedConfig("https://enrolment.sarthe.fr", "a2V5//not/*a*/comment,]}==");

        var strict = EnrolmentScript.CallFunction("Remove-JsonComment", annotated);

        using var parsed = JsonDocument.Parse(strict); // default options: no comments, no trailing commas
        var root = parsed.RootElement;
        Assert.Equal("https://enrolment.sarthe.fr", root.GetProperty("endpoint").GetString());
        Assert.Equal("a2V5//not/*a*/comment,]}==", root.GetProperty("key").GetString());
        Assert.Equal(12, root.GetProperty("timeoutMinutes").GetDouble());
        Assert.Equal("tablet", root.GetProperty("deviceType").GetString());
        Assert.Equal(["a", "b"], root.GetProperty("notes").EnumerateArray().Select(n => n.GetString()));
    }

    [Fact]
    public void The_configuration_sample_with_its_comments_reaches_convert_from_json_as_strict_json()
    {
        var sample = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "client", "enrolment.config.sample.json"));

        using var parsed = JsonDocument.Parse(EnrolmentScript.CallFunction("Remove-JsonComment", sample));

        Assert.Equal(25, parsed.RootElement.GetProperty("timeoutMinutes").GetDouble());
        Assert.Equal("https://<function-app-host>", parsed.RootElement.GetProperty("endpoint").GetString());
    }

    [Theory]
    [InlineData(new[] { 10 }, 2, "laptop")]       // Notebook
    [InlineData(new[] { 9 }, 0, "laptop")]        // Laptop
    [InlineData(new[] { 14 }, 0, "laptop")]       // Sub Notebook
    [InlineData(new[] { 31 }, 2, "laptop")]       // Convertible
    [InlineData(new[] { 30 }, 2, "tablet")]       // Tablet
    [InlineData(new[] { 32 }, 2, "tablet")]       // Detachable
    [InlineData(new[] { 3 }, 1, "desktop")]       // Desktop
    [InlineData(new[] { 13 }, 1, "desktop")]      // All in One
    [InlineData(new[] { 35 }, 1, "desktop")]      // Mini PC
    [InlineData(new[] { 2, 10 }, 0, "laptop")]    // Unknown, then Notebook: the first type that says
    [InlineData(new[] { 2 }, 2, "laptop")]        // Unknown chassis: PCSystemType 2 Mobile
    [InlineData(new[] { 1 }, 1, "desktop")]       // Other chassis: PCSystemType 1 Desktop
    [InlineData(new[] { 1 }, 3, "desktop")]       // Other chassis: PCSystemType 3 Workstation
    public async Task The_device_type_comes_from_the_chassis_then_the_pc_system_type(int[] chassis, int pcSystemType, string expected)
    {
        var device = new FakeDevice(Enroller.NewSerial("CHASSIS")) { ChassisTypes = chassis, PcSystemType = pcSystemType };

        var run = await RunAsync(device, ClientBackendFixture.School, new Hashtable { ["DryRun"] = true });

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(expected, run.Output.Single().Properties["deviceType"].Value);
    }

    [Fact]
    public async Task A_slate_is_a_tablet_and_the_configuration_overrides_the_detection()
    {
        var slate = new FakeDevice(Enroller.NewSerial("SLATE")) { ChassisTypes = [2], PcSystemType = 2, PcSystemTypeEx = 8 };
        var overridden = EnrolmentScript.Config(Front.Url, ClientBackendFixture.School, await backend.Enroller.KeyAsync(ClientBackendFixture.School));
        overridden["deviceType"] = "desktop";

        var detected = await RunAsync(slate, ClientBackendFixture.School, new Hashtable { ["DryRun"] = true });
        var configured = await EnrolmentScript.RunAsync(slate, overridden, _folder, new Hashtable { ["DryRun"] = true });

        Assert.Equal("tablet", detected.Output.Single().Properties["deviceType"].Value);
        Assert.Equal("desktop", configured.Output.Single().Properties["deviceType"].Value);
        Assert.Equal(0, Front.Seen.Count(l => l.Contains(slate.Serial, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_device_whose_type_or_hash_cannot_be_read_stops_with_exit_code_11()
    {
        var unknownType = new FakeDevice(Enroller.NewSerial("NOTYPE")) { ChassisTypes = [2], PcSystemType = 0 };
        var noHash = new FakeDevice(Enroller.NewSerial("NOHASH")) { HardwareHash = null };

        var typeRun = await RunAsync(unknownType, ClientBackendFixture.School);
        var hashRun = await RunAsync(noHash, ClientBackendFixture.School);

        Assert.True(typeRun.ExitCode == 11, typeRun.ToString());
        Assert.Contains("set 'deviceType' in the configuration", typeRun.Log);
        Assert.True(hashRun.ExitCode == 11, hashRun.ToString());
        Assert.Contains("run the script as administrator (or SYSTEM)", hashRun.Log);
    }

    [Fact]
    public async Task A_missing_or_broken_configuration_stops_with_exit_code_10()
    {
        var device = new FakeDevice(Enroller.NewSerial("NOCONFIG"));
        var broken = EnrolmentScript.Config(Front.Url, "0720001A", new byte[32]);

        var missing = await EnrolmentScript.RunAsync(device, null, _folder);
        var badSchool = await EnrolmentScript.RunAsync(device, broken, Path.Combine(_folder, "broken"));

        Assert.True(missing.ExitCode == 10, missing.ToString());
        Assert.Contains("Configuration file not found", missing.Log);
        Assert.True(badSchool.ExitCode == 10, badSchool.ToString());
        Assert.Contains("'schoolUai' must be the school's UAI", badSchool.Log);
    }

    /// <summary>A configuration as someone annotates it by hand: line and block comments, trailing commas.</summary>
    private static string AnnotatedConfig(string endpoint, string key) => $$"""
        {
          // Collège de test: the bundle's values, annotated by hand
          "endpoint": "{{endpoint}}",   // the address devices call
          "schoolUai": "{{ClientBackendFixture.School}}",
          "key": "{{key}}",
          /* a slower school network:
             more time, a fixed type */
          "timeoutMinutes": 12,
          "deviceType": "tablet",
          "notes": ["a", "b",],
        }
        """;

    private async Task<ScriptRun> RunAsync(FakeDevice device, string school, IDictionary? arguments = null) =>
        await EnrolmentScript.RunAsync(device, EnrolmentScript.Config(Front.Url, school, await backend.Enroller.KeyAsync(school)), _folder, arguments);
}
