using System.Net;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>A backend of its own, so the tables hold only what these flows wrote.</summary>
public sealed class DataInventoryFixture : BackendFixture;

/// <summary>
/// What the running product stores, against the register's annex (<c>docs/privacy.md</c>): after the flows that write
/// each table (enrolment and registration, a key rotation, a deregistration and a second enrolment of the serial, a
/// manifest with a pre-registration, a report), every property of every row of every table is declared for that table.
/// </summary>
public sealed class DataInventoryTests(DataInventoryFixture backend) : IClassFixture<DataInventoryFixture>
{
    private const string School = "0720001K";

    [Fact]
    public async Task Every_property_the_running_product_stores_is_declared_in_the_register()
    {
        var serials = new[] { Enroller.NewSerial("INV"), Enroller.NewSerial("INV") };
        foreach (var serial in serials)
        {
            (await backend.Enroller.EnrolAsync(serial, School)).Dispose();
        }

        await Task.WhenAll(serials.Select(s => backend.SettledAsync(s)));
        await backend.Enroller.RotateKeyAsync(School);
        (await backend.Client.SendAsync(backend.Request(HttpMethod.Delete, $"api/devices/{serials[0]}", AdminRoles.Admin))).Dispose();
        await Eventually.MatchesAsync(() => backend.StatusAsync(serials[0]), s => s == "deregistered", because: "the device is deregistered");
        (await backend.Enroller.EnrolAsync(serials[0], School)).Dispose();
        await backend.SettledAsync(serials[0]);
        var preRegistered = Enroller.NewSerial("INV");
        await Manifests.ImportAsync(backend, $"{Manifests.ProgrammeHeader}\n{serials[1]},{School},laptop,HP,ProBook,BC-INV,F-INV,\"612,50\"\n{preRegistered},{School},laptop,HP,ProBook,BC-INV,F-INV,\"612,50\"\n", "inventory.csv");
        using (var built = await backend.Client.SendAsync(backend.Request(HttpMethod.Post, "api/reports/funding", AdminRoles.Admin)))
        {
            Assert.Equal(HttpStatusCode.Created, built.StatusCode);
        }

        var tables = backend.Host.Services.GetRequiredService<TableServiceClient>();
        var undeclared = new List<string>();
        var written = new HashSet<string>();
        foreach (var table in TableNames.All)
        {
            await foreach (var row in tables.GetTableClient(table).QueryAsync<TableEntity>())
            {
                written.Add(table);
                undeclared.AddRange(DataInventory.Undeclared(table, row.Keys).Select(field => $"{table}.{field}"));
            }
        }

        Assert.Empty(undeclared.Distinct());
        // The flows reached the tables that keep data (working tables may be empty again by now).
        Assert.Superset(new HashSet<string> { TableNames.Devices, TableNames.DeviceSerials, TableNames.DeviceArchive, TableNames.AuditEvents, TableNames.SchoolKeys, TableNames.Inventory, TableNames.InventoryManifests, TableNames.FundingReports, TableNames.Schools }, written);
    }
}
