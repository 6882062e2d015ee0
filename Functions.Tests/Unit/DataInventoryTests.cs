using System.Reflection;
using System.Runtime.Serialization;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Sarthe.DevHost;
using Sarthe.Enrolment.Devices;
using Sarthe.Enrolment.Hosting;
using Sarthe.Enrolment.Inventory;
using Sarthe.Enrolment.Tests.Infrastructure;

namespace Sarthe.Enrolment.Tests.Unit;

/// <summary>
/// The register entry's annex (<c>docs/privacy.md</c>) against the code that writes the tables: every property of
/// every entity class, and every property the code names when it writes a <see cref="TableEntity"/>, is declared there.
/// (What the running product actually writes is held by <c>Integration.DataInventoryTests</c>.)
/// </summary>
public sealed partial class DataInventoryTests
{
    /// <summary>The tables each entity class is written to: a new entity class must be added here, and so to the register.</summary>
    private static readonly Dictionary<Type, string[]> EntityTables = new()
    {
        [typeof(DeviceEntity)] = [TableNames.Devices, TableNames.DeviceArchive],
        [typeof(InventoryEntity)] = [TableNames.Inventory],
    };

    [Fact]
    public void Every_table_of_the_product_is_in_the_register()
    {
        Assert.Empty(TableNames.All.Except(DataInventory.Declared.Keys));
        Assert.Empty(DataInventory.Declared.Keys.Except(TableNames.All));
    }

    [Fact]
    public void Every_property_of_every_entity_class_is_declared_for_each_table_it_is_written_to()
    {
        var entityClasses = typeof(EnrolmentServiceCollectionExtensions).Assembly.GetTypes()
            .Where(t => t.IsClass && !t.IsAbstract && typeof(ITableEntity).IsAssignableFrom(t))
            .ToList();

        Assert.Equal(EntityTables.Keys.OrderBy(t => t.Name), entityClasses.OrderBy(t => t.Name));
        foreach (var (type, tables) in EntityTables)
        {
            // What Azure.Data.Tables serialises: public read-write properties not marked [IgnoreDataMember].
            var stored = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.CanRead && p.CanWrite && p.GetCustomAttribute<IgnoreDataMemberAttribute>() is null)
                .Select(p => p.Name)
                .ToList();
            foreach (var table in tables)
            {
                Assert.True(!DataInventory.Undeclared(table, stored).Any(), $"{type.Name} stores in {table} fields docs/privacy.md does not declare: {string.Join(", ", DataInventory.Undeclared(table, stored))}");
                // And the register lists no field the class cannot store.
                Assert.Empty(DataInventory.Declared[table].Except(stored));
            }
        }
    }

    [Fact]
    public void Every_property_the_code_writes_into_a_table_entity_is_declared()
    {
        var declared = DataInventory.Declared.Values.SelectMany(f => f).ToHashSet(StringComparer.Ordinal);
        var sources = Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "Functions"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText)
            .Where(text => text.Contains("TableEntity", StringComparison.Ordinal))
            .ToList();

        var written = sources.SelectMany(text => WrittenProperty().Matches(text).Select(m => m.Groups["name"].Success
                ? m.Groups["name"].Value
                : Constant(text, m.Groups["constant"].Value)))
            .ToHashSet(StringComparer.Ordinal);

        Assert.Contains("Flushes", written); // the scan sees the writes (here, the tally's)
        Assert.Contains("Released", written); // and those named by a constant
        var undeclared = written.Where(name => !declared.Contains(DataInventory.Family(name))).ToList();
        Assert.True(undeclared.Count == 0, $"Written into table entities but not declared in docs/privacy.md: {string.Join(", ", undeclared)}");
    }

    private static string Constant(string source, string name) =>
        Regex.Match(source, $@"const string {name} = ""(?<value>\w+)""") is { Success: true } m
            ? m.Groups["value"].Value
            : throw new Xunit.Sdk.XunitException($"{name} is written into an entity but is not a string constant of its file");

    // entity["Name"] = …, { ["Name"] = … }, [SomeProperty] = … (an entity property named by a constant).
    [GeneratedRegex(@"\[(?:""(?<name>[A-Z][A-Za-z]+)""|(?<constant>[A-Z]\w*Property))\]\s*=[^=]")]
    private static partial Regex WrittenProperty();
}
