using Azure.Data.Tables;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.DevHost;

/// <summary>For the benchmarks: how many devices of a running dev host are registered and how many failed (one projected scan).</summary>
public static class SettledDevices
{
    public static async Task<(int Registered, int Failed)> CountAsync(RunningDevHost host, CancellationToken cancellationToken)
    {
        var devices = new TableServiceClient(host.StorageConnectionString).GetTableClient(TableNames.Devices);
        var (registered, failed) = (0, 0);
        await foreach (var row in devices.QueryAsync<TableEntity>(maxPerPage: 1000, select: ["Status"], cancellationToken: cancellationToken))
        {
            switch (row.GetString("Status"))
            {
                case "registered": registered++; break;
                case "failed": failed++; break;
            }
        }

        return (registered, failed);
    }
}
