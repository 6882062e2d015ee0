using System.Net;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sarthe.Enrolment.Keys;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Integration;

/// <summary>
/// What a copy of the storage account gives an attacker (docs/security.md): every row and message, but no school key
/// and not the master secret, so no way to sign an enrolment.
/// </summary>
[Collection(BackendCollection.Name)]
public sealed class StorageCopyTests(BackendFixture backend)
{
    private const string School = "0720053S";

    [Fact]
    public async Task A_copy_of_storage_holds_no_school_key_nor_the_master_secret()
    {
        var key = await backend.Enroller.RotateKeyAsync(School);
        var next = await backend.Enroller.RotateKeyAsync(School); // a current and a previous key alive
        using var enrolled = await backend.Enroller.SendAsync(
            System.Text.Encoding.UTF8.GetBytes(Enroller.Body(Enroller.NewSerial("COPY"), School).ToJsonString()), next);
        Assert.Equal(HttpStatusCode.Accepted, enrolled.StatusCode);
        var master = Convert.FromBase64String(backend.Host.Services.GetRequiredService<IOptions<EnrolmentKeyOptions>>().Value.MasterSecret);
        var secrets = new[] { key, next, master }.SelectMany(Spellings).ToList();

        var copy = await CopyOfStorageAsync();

        Assert.NotEmpty(copy);
        foreach (var text in copy)
        {
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    /// <summary>Every way a key could be written down: base64, base64url, hex.</summary>
    private static IEnumerable<string> Spellings(byte[] secret) =>
        [Convert.ToBase64String(secret).TrimEnd('='), System.Buffers.Text.Base64Url.EncodeToString(secret), Convert.ToHexString(secret)];

    /// <summary>Every property of every entity of every table, and every message of every queue, as text.</summary>
    private async Task<List<string>> CopyOfStorageAsync()
    {
        var copy = new List<string>();
        var tables = backend.Host.Services.GetRequiredService<TableServiceClient>();
        await foreach (var table in tables.QueryAsync())
        {
            await foreach (var entity in tables.GetTableClient(table.Name).QueryAsync<TableEntity>())
            {
                copy.AddRange(entity.Select(property => property.Value switch
                {
                    byte[] bytes => Convert.ToBase64String(bytes),
                    _ => Convert.ToString(property.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
                }));
            }
        }

        var queues = backend.Host.Services.GetRequiredService<QueueServiceClient>();
        await foreach (var queue in queues.GetQueuesAsync())
        {
            var messages = await queues.GetQueueClient(queue.Name).PeekMessagesAsync(maxMessages: 32);
            copy.AddRange(messages.Value.Select(m => m.Body.ToString()));
        }

        return copy;
    }
}
