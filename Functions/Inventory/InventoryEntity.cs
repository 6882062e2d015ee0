using System.Runtime.Serialization;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.Inventory;

/// <summary>
/// A row of the <c>Inventory</c> table: one per serial number (partition = serial in upper case, row key
/// <c>item</c>), so "is this serial in the inventory, and where" is one point read whatever the school, and a school
/// correction is a change of one row under its ETag. Money is stored in cents (Table Storage has no decimal).
/// </summary>
public sealed class InventoryEntity : ITableEntity
{
    public const string ItemRow = "item";

    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = ItemRow;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string SchoolUai { get; set; } = "";

    public string? DeviceType { get; set; }

    public string? Manufacturer { get; set; }

    public string? Model { get; set; }

    public string? PurchaseOrder { get; set; }

    public string? InvoiceNumber { get; set; }

    public long? UnitCostCents { get; set; }

    public string? HardwareHash { get; set; }

    /// <summary>The hash's SHA-256, hex (first 16 characters): compared and audited instead of 4 KB of base64.</summary>
    public string? HashDigest { get; set; }

    public bool HasHardwareHash { get; set; }

    public string? ProductKey { get; set; }

    public string? AssetTag { get; set; }

    /// <summary>The manifest that added the row or last changed it.</summary>
    public string ManifestId { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Every property but the hash itself: what reads that do not register devices need.</summary>
    public static readonly string[] WithoutHash =
    [
        nameof(PartitionKey), nameof(RowKey), nameof(Timestamp), nameof(SchoolUai), nameof(DeviceType), nameof(Manufacturer), nameof(Model),
        nameof(PurchaseOrder), nameof(InvoiceNumber), nameof(UnitCostCents), nameof(HashDigest), nameof(HasHardwareHash), nameof(ProductKey),
        nameof(AssetTag), nameof(ManifestId), nameof(CreatedAt), nameof(UpdatedAt),
    ];

    [IgnoreDataMember]
    public string SerialNumber => PartitionKey;

    [IgnoreDataMember]
    public Purchase? Purchase => PurchaseOrder is { } order && InvoiceNumber is { } invoice && UnitCostCents is { } cents ? new Purchase(order, invoice, cents) : null;

    public static string Digest(string hash) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(hash)))[..16];

    public InventoryEntity Copy() => (InventoryEntity)MemberwiseClone();
}

/// <summary>The contract's inventory item (<c>GET /api/inventory</c>).</summary>
public sealed record InventoryItem(
    string SerialNumber,
    string SchoolUai,
    string? DeviceType,
    string? Manufacturer,
    string? Model,
    string? PurchaseOrder,
    string? InvoiceNumber,
    decimal? UnitCostEur,
    string ManifestId,
    bool HasHardwareHash,
    DeviceStatus? DeviceStatus)
{
    public static InventoryItem From(InventoryEntity row, DeviceStatus? deviceStatus) => new(
        row.SerialNumber, row.SchoolUai, row.DeviceType, row.Manufacturer, row.Model, row.PurchaseOrder, row.InvoiceNumber,
        row.UnitCostCents is { } cents ? Purchase.Eur(cents) : null, row.ManifestId, row.HasHardwareHash, deviceStatus);
}

/// <summary>One page of the inventory, in serial order.</summary>
public sealed record InventoryPage(IReadOnlyList<InventoryItem> Items, string? ContinuationToken);

/// <summary>The device record's <c>inventory</c> object: what was invoiced for the device, and by which manifest.</summary>
public sealed record InventoryView(string? PurchaseOrder, string? InvoiceNumber, decimal? UnitCostEur, string ManifestId)
{
    public static InventoryView From(InventoryEntity row) =>
        new(row.PurchaseOrder, row.InvoiceNumber, row.UnitCostCents is { } cents ? Purchase.Eur(cents) : null, row.ManifestId);
}

/// <summary>Per school: devices bought (inventory rows), and of those, enrolled (any status) and registered.</summary>
public sealed record SchoolInventory(string Uai, int Bought, int Enrolled, int Registered);
