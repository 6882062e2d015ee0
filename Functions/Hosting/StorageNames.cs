namespace Sarthe.Enrolment.Hosting;

/// <summary>Table names, fixed; queue names come from settings so triggers can use %Setting% expressions.</summary>
public static class TableNames
{
    public const string Schools = "Schools";
}
