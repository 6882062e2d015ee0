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

    public const string ProblemContentType = "application/problem+json";

    /// <summary>What each tag (a capability folder of Functions/) holds.</summary>
    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Enrolment"] = "Devices at first boot: enrolment and the device's own status.",
        ["DeviceAdmin"] = "Administrators: device records, retry, move, deregistration, approval, a school's devices.",
        ["Schools"] = "Administrators: the schools of the registry with live device counts.",
        ["Keys"] = "Administrators: school enrolment keys and provisioning bundles.",
        ["Trail"] = "Administrators: the audit trail of a device or a school.",
        ["Tenant"] = "Administrators: whether the tenant is ready for the programme's devices (Graph, permission, licence, profiles and groups).",
        ["Reporting"] = "Administrators: the ERDF funding reports.",
        ["Inventory"] = "Administrators: the resellers' manifests and the purchase inventory.",
        ["Health"] = "Anyone: storage reachability.",
        ["OpenApi"] = "Anyone: this description.",
        ["Dashboard"] = "Anyone: the administrators' dashboard page.",
    };

    /// <summary>
    /// The document as served: OpenAPI 3.0 JSON, where an anonymous operation says so with an empty <c>security</c>
    /// list (the object model leaves empty lists out, so it is written here).
    /// </summary>
    public static string BuildJson(Assembly assembly)
    {
        var document = JsonNode.Parse(Build(assembly).SerializeAsJson(OpenApiSpecVersion.OpenApi3_0))!;
        foreach (var (_, item) in document["paths"]!.AsObject())
        {
            foreach (var (_, operation) in item!.AsObject())
            {
                if (operation!["security"] is null)
                {
                    operation.AsObject().Add("security", new JsonArray());
                }
            }
        }

        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = ApiJson.Options.Encoder });
    }

    public static OpenApiDocument Build(Assembly assembly)
    {
        var schemas = new SchemaRegistry();
        var document = new OpenApiDocument
        {
            Info = new OpenApiInfo
            {
                Title = "Sarthe school devices: enrolment backend",
                Version = "v1",
                Description = "First-boot enrolment, Autopilot registration, audit trail and ERDF funding reports. The contract in prose: docs/api.md. "
                    + "Every error is a problem document (application/problem+json); a documented path called with a method it does not serve answers 405 with Allow, "
                    + "any other path 404.",
            },
            Servers = [new OpenApiServer { Url = "/" }],
            Paths = new OpenApiPaths(),
            Components = new OpenApiComponents
            {
                SecuritySchemes = new Dictionary<string, OpenApiSecurityScheme>
                {
                    [BearerScheme] = new()
                    {
                        Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "JWT",
                        Description = $"Microsoft Entra ID access token for this API. Its roles claim carries the app role each operation names in its description: {AdminRoles.Read} (read) or {AdminRoles.Admin} (everything, read included); without it, 403.",
                    },
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
        document.Tags = document.Paths.Values.SelectMany(p => p.Operations.Values).SelectMany(o => o.Tags).Select(t => t.Name).Distinct().Order(StringComparer.Ordinal)
            .Select(name => new OpenApiTag { Name = name, Description = TagDescriptions.GetValueOrDefault(name) })
            .ToList();
        return document;
    }

    private static OpenApiOperation Operation(HttpFunctionRoute route, ApiOperationAttribute described, SchemaRegistry schemas)
    {
        var access = route.Method.GetCustomAttribute<RouteAccessAttribute>();
        var operation = new OpenApiOperation
        {
            OperationId = route.Name,
            Summary = described.Summary,
            Description = access switch
            {
                RequiresRoleAttribute admin => $"Access: an administrator's bearer token with the app role {admin.Role}" + (admin.Role == AdminRoles.Read ? $" (or {AdminRoles.Admin})." : "."),
                SignedByDeviceAttribute => "Access: a device, signed with its school's enrolment key (X-Enrolment-Timestamp, X-Enrolment-Signature).",
                _ => "Access: anyone.",
            },
            Tags = [new OpenApiTag { Name = TagOf(route) }],
            Responses = new OpenApiResponses(),
        };

        foreach (var parameter in route.Method.GetParameters().Where(p => route.Route.Contains("{" + p.Name + "}", StringComparison.Ordinal)))
        {
            operation.Parameters.Add(ApiParameters.Route(route.Name, parameter.Name!));
        }

        foreach (var name in described.Query)
        {
            var parameter = ApiParameters.Query(route.Name, name);
            parameter.Schema = schemas.Shared(parameter.Schema);
            operation.Parameters.Add(parameter);
        }

        if (access is SignedByDeviceAttribute)
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = "X-Enrolment-Timestamp", In = ParameterLocation.Header, Required = true,
                Description = "The current Unix time in seconds, within 300 s of the server's; signed with the request.",
                Schema = new OpenApiSchema { Type = "string", Pattern = "^[0-9]{1,12}$", Example = new OpenApiString("1764295200") },
            });
            if (described.RequestBody is null)
            {
                // No body names the school: a header does, and the signature covers the request line.
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = "X-Enrolment-School", In = ParameterLocation.Header, Required = true, Schema = ApiParameters.Uai(),
                    Description = "UAI of the device's school, whose key signs \"{timestamp}.{METHOD} {path}\".",
                });
            }
        }

        if (described.RequestBody is { } body)
        {
            // A file (a CSV manifest) is sent as it is: binary, in its own media type.
            var schema = described.RequestContentType == "application/json" ? schemas.For(body) : new OpenApiSchema { Type = "string", Format = "binary" };
            operation.RequestBody = new OpenApiRequestBody { Required = true, Content = { [described.RequestContentType] = new OpenApiMediaType { Schema = schema } } };
        }

        // Roles are no OAuth2 scopes: a bearer requirement's list stays empty (OpenAPI 3.0), the role is in the description.
        var scheme = access switch
        {
            RequiresRoleAttribute => BearerScheme,
            SignedByDeviceAttribute => SignatureScheme,
            _ => null,
        };
        if (scheme is not null)
        {
            operation.Security.Add(new OpenApiSecurityRequirement
            {
                [new OpenApiSecurityScheme { Reference = new OpenApiReference { Type = ReferenceType.SecurityScheme, Id = scheme } }] = [],
            });
        }

        foreach (var response in ResponsesOf(route.Method, access))
        {
            var status = response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!operation.Responses.TryGetValue(status, out var answer))
            {
                operation.Responses[status] = answer = new OpenApiResponse { Description = Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(response.Status) };
                if (response.Status is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable)
                {
                    answer.Headers["Retry-After"] = new OpenApiHeader { Description = "Seconds to wait before trying again.", Schema = new OpenApiSchema { Type = "integer", Minimum = 1 } };
                }
                else if (response.Status == StatusCodes.Status401Unauthorized)
                {
                    answer.Headers["WWW-Authenticate"] = new OpenApiHeader { Description = "The scheme to authenticate with: Bearer, or Enrolment-HMAC-SHA256 for a device.", Schema = new OpenApiSchema { Type = "string" } };
                }
            }

            // Several [ApiResponse] with one status are alternative representations (JSON, CSV, a zip file).
            var (content, schema) = (response.Body, response.Status, response.ContentType) switch
            {
                ({ } type, _, var media) => (media, schemas.For(type)),
                (null, >= 400, _) => (ProblemContentType, schemas.For(typeof(ProblemBody))),
                (null, _, "application/json") => ("application/json", OpenApiDocumentSchema()), // the one JSON answer without a C# type: this document

                (null, _, var media) when media.EndsWith("zip", StringComparison.Ordinal) => (media, new OpenApiSchema { Type = "string", Format = "binary" }),
                (null, _, var media) => (media, new OpenApiSchema { Type = "string" }),
            };
            if (answer.Content.TryGetValue(content, out var other))
            {
                // Two bodies for one status and media type (a first enrolment's record, or a replaced hash's status view):
                // the closed schemas tell them apart.
                other.Schema = new OpenApiSchema { OneOf = [.. other.Schema.OneOf.Count > 0 ? other.Schema.OneOf : [other.Schema], schema] };
            }
            else
            {
                answer.Content[content] = new OpenApiMediaType { Schema = schema };
            }
        }

        return operation;
    }

    /// <summary>
    /// What a route may answer: its own [ApiResponse] list, and what its access adds: 401 for every caller that must
    /// prove who it is, 403 for a missing role, 503 when the token's issuer or storage does not answer (admin routes run
    /// in <see cref="StorageGuard"/>).
    /// </summary>
    private static IEnumerable<ApiResponseAttribute> ResponsesOf(MethodInfo method, RouteAccessAttribute? access)
    {
        var declared = method.GetCustomAttributes<ApiResponseAttribute>().ToList();
        var added = access switch
        {
            RequiresRoleAttribute => [StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status503ServiceUnavailable],
            SignedByDeviceAttribute => new[] { StatusCodes.Status401Unauthorized },
            _ => [],
        };
        return declared.Concat(added.Where(status => declared.All(d => d.Status != status)).Select(status => new ApiResponseAttribute(status)))
            .OrderBy(r => r.Status);
    }

    private static OpenApiSchema OpenApiDocumentSchema() => new()
    {
        Type = "object",
        Description = "An OpenAPI 3.0 document (https://spec.openapis.org/oas/v3.0.4).",
        Required = new HashSet<string> { "openapi", "info", "paths" },
        Properties = new Dictionary<string, OpenApiSchema>
        {
            ["openapi"] = new() { Type = "string", Pattern = "^3\\.0\\.[0-9]+$" },
            ["info"] = new() { Type = "object" },
            ["servers"] = new() { Type = "array", Items = new OpenApiSchema { Type = "object" } },
            ["paths"] = new() { Type = "object" },
            ["components"] = new() { Type = "object" },
            ["tags"] = new() { Type = "array", Items = new OpenApiSchema { Type = "object" } },
        },
    };

    private static string TagOf(HttpFunctionRoute route) => route.FunctionType.Namespace!.Split('.')[^1];

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
                return Shared(new OpenApiSchema { Title = underlying.Name, Type = "string", Enum = names });
            }

            if (underlying == typeof(JsonObject) || underlying == typeof(JsonNode))
            {
                return new OpenApiSchema { Type = "object", AdditionalPropertiesAllowed = true };
            }

            if (DictionaryValueOf(underlying) is { } value)
            {
                return new OpenApiSchema { Type = "object", AdditionalProperties = For(value) };
            }

            if (underlying != typeof(string) && typeof(IEnumerable).IsAssignableFrom(underlying))
            {
                var element = underlying.IsArray ? underlying.GetElementType()! : underlying.GetGenericArguments().FirstOrDefault() ?? typeof(object);
                return new OpenApiSchema { Type = "array", Items = For(element) };
            }

            var name = underlying.Name;
            if (!Components.ContainsKey(name))
            {
                // Closed: a member the type does not declare fails the conformance tests rather than reaching clients undescribed.
                var schema = new OpenApiSchema { Type = "object", Properties = new Dictionary<string, OpenApiSchema>(), AdditionalPropertiesAllowed = false };
                Components[name] = schema;
                foreach (var property in underlying.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                             .Where(p => p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<JsonIgnoreAttribute>() is null))
                {
                    var jsonName = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(property.Name);
                    schema.Properties[jsonName] = For(property.PropertyType);
                    // Nullable members are left out when null; [Required] marks a member a request must carry although its type allows null.
                    if (_nullability.Create(property).ReadState == NullabilityState.NotNull || RequiredInRequests(underlying, property))
                    {
                        schema.Required.Add(jsonName);
                    }
                }
            }

            return new OpenApiSchema { Reference = new OpenApiReference { Type = ReferenceType.Schema, Id = name } };
        }

        /// <summary>
        /// A set of values under its title in components.schemas, referenced: one type in a generated client
        /// (DeviceStatus, ReportFormat) instead of one per member or parameter that uses it.
        /// </summary>
        public OpenApiSchema Shared(OpenApiSchema schema)
        {
            if (schema is not { Title: { } title, Enum.Count: > 0 })
            {
                return schema;
            }

            Components.TryAdd(title, schema);
            return new OpenApiSchema { Reference = new OpenApiReference { Type = ReferenceType.Schema, Id = title } };
        }

        private static bool RequiredInRequests(Type type, PropertyInfo property) =>
            property.GetCustomAttribute<System.ComponentModel.DataAnnotations.RequiredAttribute>() is not null
            || type.GetConstructors().SelectMany(c => c.GetParameters()).Any(p => p.Name == property.Name && p.GetCustomAttribute<System.ComponentModel.DataAnnotations.RequiredAttribute>() is not null);

        private static Type? DictionaryValueOf(Type type) =>
            type.IsGenericType && type.GetGenericArguments() is [var key, var value] && key == typeof(string)
            && typeof(IEnumerable<>).MakeGenericType(typeof(KeyValuePair<,>).MakeGenericType(key, value)).IsAssignableFrom(type) ? value : null;

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
