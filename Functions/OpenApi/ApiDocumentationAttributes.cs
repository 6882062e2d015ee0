namespace Sarthe.Enrolment.OpenApi;

/// <summary>Describes an HTTP function for the generated OpenAPI document (who may call it is its <see cref="Auth.RouteAccessAttribute"/>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ApiOperationAttribute(string summary) : Attribute
{
    public string Summary { get; } = summary;

    /// <summary>Type of the request body, if any.</summary>
    public Type? RequestBody { get; init; }

    /// <summary>The request body's media type, when it is not JSON (a CSV file).</summary>
    public string RequestContentType { get; init; } = "application/json";

    /// <summary>Query parameters, by name.</summary>
    public string[] Query { get; init; } = [];
}

/// <summary>
/// A response of an HTTP function: status and body type (problem+json for 4xx/5xx when none is given). The 401
/// and 403 of admin routes are added from their role and need not be listed.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ApiResponseAttribute(int status, Type? body = null, string contentType = "application/json") : Attribute
{
    public int Status { get; } = status;

    public Type? Body { get; } = body;

    public string ContentType { get; } = contentType;
}
