using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Any;
using Microsoft.OpenApi.Extensions;
using Microsoft.OpenApi.Models;
using Microsoft.AspNetCore.Http;
using Sarthe.Enrolment.Auth;
using Sarthe.Enrolment.Http;

namespace Sarthe.Enrolment.OpenApi;

/// <summary>
/// Generates the OpenAPI 3 description from the code: routes and verbs from the [HttpTrigger] attributes
/// (the catalogue the dev host routes from), bodies and responses from [ApiOperation]/[ApiResponse] and
/// the C# types themselves (schemas by reflection, camelCase, nullable = optional).
/// </summary>
public static class OpenApiDocumentBuilder
{
    public const string BearerScheme = "bearer";
    public const string SignatureScheme = "enrolmentSignature";

    public static string BuildJson(Assembly assembly) => Build(assembly).SerializeAsJson(OpenApiSpecVersion.OpenApi3_0);

    public static OpenApiDocument Build(Assembly assembly)
    {
        var schemas = new SchemaRegistry();
        var document = new OpenApiDocument
        {
            Info = new OpenApiInfo
            {
                Title = "Sarthe school devices: enrolment backend",
                Version = "v1",
                Description = "First-boot enrolment, Autopilot registration, audit trail and ERDF funding reports. The contract in prose: docs/api.md.",
            },
            Servers = [new OpenApiServer { Url = "/" }],
            Paths = new OpenApiPaths(),
            Components = new OpenApiComponents
            {
                SecuritySchemes = new Dictionary<string, OpenApiSecurityScheme>
                {
                    [BearerScheme] = new() { Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "JWT", Description = "Microsoft Entra ID access token; app roles Enrolment.Read / Enrolment.Admin." },
                    [SignatureScheme] = new()
                    {
                        Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = "X-Enrolment-Signature",
                        Description = "v1= + hex HMAC-SHA256(school key, X-Enrolment-Timestamp + \".\" + body), or + \".\" + METHOD + \" \" + path for a request without a body (then X-Enrolment-School names the school); with X-Enrolment-Timestamp (Unix seconds).",
                    },
                },
            },
        };

        foreach (var route in HttpFunctionCatalog.Discover(assembly).OrderBy(r => r.Route, StringComparer.Ordinal))
        {
            var described = route.Method.GetCustomAttribute<ApiOperationAttribute>();
            if (described is null || route.Route.Contains('*', StringComparison.Ordinal))
            {
                continue; // the catch-all 404 is not an operation
            }

            var path = "/" + HttpFunctionCatalog.RoutePrefix + "/" + route.Route;
            if (!document.Paths.TryGetValue(path, out var item))
            {
                document.Paths[path] = item = new OpenApiPathItem();
            }

            foreach (var verb in route.Verbs)
            {
                item.Operations[Enum.Parse<OperationType>(verb, ignoreCase: true)] = Operation(route, described, schemas);
            }
        }

        document.Components.Schemas = schemas.Components;
        return document;
    }

    private static OpenApiOperation Operation(HttpFunctionRoute route, ApiOperationAttribute described, SchemaRegistry schemas)
    {
        var operation = new OpenApiOperation
        {
            OperationId = route.Name,
            Summary = described.Summary,
            Tags = [new OpenApiTag { Name = route.FunctionType.Namespace!.Split('.')[^1] }],
            Responses = new OpenApiResponses(),
        };

        foreach (var parameter in route.Method.GetParameters().Where(p => route.Route.Contains("{" + p.Name + "}", StringComparison.Ordinal)))
        {
            operation.Parameters.Add(new OpenApiParameter { Name = parameter.Name, In = ParameterLocation.Path, Required = true, Schema = new OpenApiSchema { Type = "string" } });
        }

        foreach (var name in described.Query)
        {
            operation.Parameters.Add(new OpenApiParameter { Name = name, In = ParameterLocation.Query, Schema = new OpenApiSchema { Type = "string" } });
        }

        var access = route.Method.GetCustomAttribute<RouteAccessAttribute>();
        if (access is SignedByDeviceAttribute)
        {
            operation.Parameters.Add(new OpenApiParameter { Name = "X-Enrolment-Timestamp", In = ParameterLocation.Header, Required = true, Schema = new OpenApiSchema { Type = "string" } });
            if (described.RequestBody is null)
            {
                // No body names the school: a header does, and the signature covers the request line.
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = "X-Enrolment-School", In = ParameterLocation.Header, Required = true, Schema = new OpenApiSchema { Type = "string" },
                    Description = "UAI of the device's school, whose key signs \"{timestamp}.{METHOD} {path}\".",
                });
            }
        }

        if (described.RequestBody is { } body)
        {
            operation.RequestBody = new OpenApiRequestBody { Required = true, Content = { [described.RequestContentType] = new OpenApiMediaType { Schema = schemas.For(body) } } };
        }

        var (scheme, roles) = access switch
        {
            RequiresRoleAttribute admin => (BearerScheme, new List<string> { admin.Role }),
            SignedByDeviceAttribute => (SignatureScheme, []),
            _ => ((string?)null, new List<string>()),
        };
        if (scheme is not null)
        {
            operation.Security.Add(new OpenApiSecurityRequirement
            {
                [new OpenApiSecurityScheme { Reference = new OpenApiReference { Type = ReferenceType.SecurityScheme, Id = scheme } }] = roles,
            });
        }

        IEnumerable<ApiResponseAttribute> responses = route.Method.GetCustomAttributes<ApiResponseAttribute>();
        if (access is not AnonymousAttribute)
        {
            responses = responses.Append(new ApiResponseAttribute(StatusCodes.Status401Unauthorized));
        }

        if (access is RequiresRoleAttribute)
        {
            responses = responses.Append(new ApiResponseAttribute(StatusCodes.Status403Forbidden));
        }

        foreach (var response in responses)
        {
            var type = response.Body ?? (response.Status >= 400 ? typeof(ProblemBody) : null);
            var content = response.Body is null && response.Status >= 400 ? "application/problem+json" : response.ContentType;
            var status = response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!operation.Responses.TryGetValue(status, out var answer))
            {
                operation.Responses[status] = answer = new OpenApiResponse { Description = Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(response.Status) };
            }

            if (type is not null || content != "application/json")
            {
                // Several [ApiResponse] with one status are alternative representations (JSON or CSV).
                answer.Content[content] = new OpenApiMediaType { Schema = type is null ? new OpenApiSchema { Type = "string" } : schemas.For(type) };
            }
        }

        return operation;
    }

    /// <summary>JSON schemas of the API's C# types, named after them in components.schemas.</summary>
    private sealed class SchemaRegistry
    {
        private readonly NullabilityInfoContext _nullability = new();

        public Dictionary<string, OpenApiSchema> Components { get; } = new(StringComparer.Ordinal);

        public OpenApiSchema For(Type type)
        {
            var underlying = Nullable.GetUnderlyingType(type) ?? type;
            if (Primitive(underlying) is { } primitive)
            {
                return primitive;
            }

            if (underlying.IsEnum)
            {
                var names = Enum.GetNames(underlying).Select(n => (IOpenApiAny)new OpenApiString(JsonNamingPolicy.CamelCase.ConvertName(n))).ToList();
                return new OpenApiSchema { Type = "string", Enum = names };
            }

            if (underlying == typeof(JsonObject) || underlying == typeof(JsonNode))
            {
                return new OpenApiSchema { Type = "object", AdditionalPropertiesAllowed = true };
            }

            if (underlying != typeof(string) && typeof(IEnumerable).IsAssignableFrom(underlying))
            {
                var element = underlying.IsArray ? underlying.GetElementType()! : underlying.GetGenericArguments().FirstOrDefault() ?? typeof(object);
                return new OpenApiSchema { Type = "array", Items = For(element) };
            }

            var name = underlying.Name;
            if (!Components.ContainsKey(name))
            {
                var schema = new OpenApiSchema { Type = "object", Properties = new Dictionary<string, OpenApiSchema>() };
                Components[name] = schema;
                foreach (var property in underlying.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                             .Where(p => p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<JsonIgnoreAttribute>() is null))
                {
                    var jsonName = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(property.Name);
                    schema.Properties[jsonName] = For(property.PropertyType);
                    if (_nullability.Create(property).ReadState == NullabilityState.NotNull)
                    {
                        schema.Required.Add(jsonName);
                    }
                }
            }

            return new OpenApiSchema { Reference = new OpenApiReference { Type = ReferenceType.Schema, Id = name } };
        }

        private static OpenApiSchema? Primitive(Type type) => type switch
        {
            _ when type == typeof(string) => new OpenApiSchema { Type = "string" },
            _ when type == typeof(bool) => new OpenApiSchema { Type = "boolean" },
            _ when type == typeof(int) || type == typeof(long) => new OpenApiSchema { Type = "integer", Format = type == typeof(int) ? "int32" : "int64" },
            _ when type == typeof(decimal) || type == typeof(double) => new OpenApiSchema { Type = "number" },
            _ when type == typeof(DateTimeOffset) => new OpenApiSchema { Type = "string", Format = "date-time" },
            _ when type == typeof(Guid) => new OpenApiSchema { Type = "string", Format = "uuid" },
            _ when type == typeof(object) => new OpenApiSchema(),
            _ => null,
        };
    }
}
