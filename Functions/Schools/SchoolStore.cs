using Azure;
using Azure.Data.Tables;
using Sarthe.Enrolment.Hosting;

namespace Sarthe.Enrolment.Schools;

/// <summary>
/// The <c>Schools</c> table: one partition (56 rows, read whole by the list route), row key = UAI.
/// </summary>
public sealed class SchoolStore(TableServiceClient tables)
{
    private const string Partition = "school";
    private readonly TableClient _table = tables.GetTableClient(TableNames.Schools);

    /// <summary>
    /// Idempotent: registry fields are merged, so re-running never duplicates a school and never
    /// touches properties an operator set (such as <c>Active</c>).
    /// </summary>
    public async Task SeedAsync(IReadOnlyList<School> schools, CancellationToken cancellationToken)
    {
        foreach (var chunk in schools.Chunk(100))
        {
            var actions = chunk.Select(school => new TableTransactionAction(
                TableTransactionActionType.UpsertMerge,
                new TableEntity(Partition, school.Uai)
                {
                    ["Name"] = school.Name,
                    ["Commune"] = school.Commune,
                    ["Pupils"] = school.Pupils,
                }));
            await _table.SubmitTransactionAsync(actions, cancellationToken);
        }
    }

    public async Task<IReadOnlyList<School>> ListAsync(CancellationToken cancellationToken)
    {
        var schools = new List<School>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(e => e.PartitionKey == Partition, cancellationToken: cancellationToken))
        {
            schools.Add(ToSchool(entity));
        }

        return schools;
    }

    /// <summary>The school a route's {uai} names (any case), or null when it is not a UAI of the registry.</summary>
    public async Task<School?> FindAsync(string routeUai, CancellationToken cancellationToken) =>
        SchoolUai.Normalize(routeUai) is { } uai ? await GetAsync(uai, cancellationToken) : null;

    public async Task<School?> GetAsync(string uai, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, uai, cancellationToken: cancellationToken);
        return response.HasValue ? ToSchool(response.Value!) : null;
    }

    private static School ToSchool(TableEntity entity) => new(
        entity.RowKey,
        entity.GetString("Name") ?? "",
        entity.GetString("Commune") ?? "",
        entity.GetInt32("Pupils") ?? 0,
        entity.GetBoolean("Active") ?? true);
}
