namespace Sarthe.Enrolment.OpenApi;

/// <summary>Who may call an HTTP function, for its OpenAPI description.</summary>
public enum ApiCaller
{
    Anonymous,

    /// <summary>A device, with the X-Enrolment-Timestamp / X-Enrolment-Signature headers.</summary>
    Device,

    /// <summary>An administrator's bearer token with this role (Enrolment.Admin implies Enrolment.Read).</summary>
    Administrator,
}

/// <summary>Describes an HTTP function for the generated OpenAPI document.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ApiOperationAttribute(string summary, ApiCaller caller, string? role = null) : Attribute
{
    public string Summary { get; } = summary;

    public ApiCaller Caller { get; } = caller;

    public string? Role { get; } = role;

    /// <summary>Type of the JSON request body, if any.</summary>
    public Type? RequestBody { get; init; }

    /// <summary>Query parameters, by name.</summary>
    public string[] Query { get; init; } = [];
}

/// <summary>A response of an HTTP function: status and body type (problem+json for 4xx/5xx when none is given).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ApiResponseAttribute(int status, Type? body = null, string contentType = "application/json") : Attribute
{
    public int Status { get; } = status;

    public Type? Body { get; } = body;

    public string ContentType { get; } = contentType;
}
