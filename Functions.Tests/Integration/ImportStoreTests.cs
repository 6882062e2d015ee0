using Microsoft.Extensions.DependencyInjection;
using Sarthe.Enrolment.Registration;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

[Collection(BackendCollection.Name)]
public sealed class ImportStoreTests(BackendFixture backend)
{
    [Fact]
    public async Task An_import_of_500_devices_is_stored_across_several_properties_and_read_back_whole()
    {
        var store = backend.Host.Services.GetRequiredService<ImportStore>();
        var devices = Enumerable.Range(0, 500).Select(i => new DeviceRef($"STORE{i:D6}LONGSERIALNUMBER", "0720001K", 1)).ToList();
        var import = AutopilotImport.Plan(AutopilotImport.NewId(DateTimeOffset.UtcNow), devices, DateTimeOffset.UtcNow);
        import.RecordPosted(import.Devices.Select(d => (d, Guid.NewGuid().ToString())).ToList(), DateTimeOffset.UtcNow);

        await store.AddAsync(import, CancellationToken.None);
        var read = (await store.ListAsync(CancellationToken.None)).Single(i => i.ImportId == import.ImportId);

        Assert.Equal(500, read.Devices.Count);
        Assert.Equal(import.Devices.Select(d => (d.SerialNumber, d.IdentityId)), read.Devices.Select(d => (d.SerialNumber, d.IdentityId)));
        Assert.Equal(ImportStage.Posted, read.Stage);
        await store.RemoveAsync(read, CancellationToken.None);
        Assert.False(await store.ContainsAsync(import.ImportId, CancellationToken.None));
    }
}
