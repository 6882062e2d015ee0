namespace Sarthe.Enrolment.Http;

/// <summary>An RFC 9457 problem document, as every error of the API is.</summary>
public sealed record ProblemBody(
    string Type,
    string Title,
    int Status,
    string Detail,
    IReadOnlyDictionary<string, string[]>? Errors = null);
