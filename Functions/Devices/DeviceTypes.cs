namespace Sarthe.Enrolment.Devices;

/// <summary>The kinds of device the programme buys; the ERDF report counts registered devices by kind.</summary>
public static class DeviceTypes
{
    public const string Laptop = "laptop";
    public const string Desktop = "desktop";
    public const string Tablet = "tablet";

    public static readonly string[] All = [Laptop, Desktop, Tablet];

    public const string Rule = "deviceType must be one of: laptop, desktop, tablet.";
}
