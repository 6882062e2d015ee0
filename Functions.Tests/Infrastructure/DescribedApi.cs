using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using NSwag;
using Sarthe.Enrolment.OpenApi;

namespace Sarthe.Enrolment.Tests.Infrastructure;

/// <summary>
/// The OpenAPI document the API serves, read by NSwag, and a check of real answers against it: the answer's status
/// must be one its operation lists, its media type one that status lists, and its body valid against that schema
/// (NJsonSchema's validator: required members, closed objects, enums, patterns, formats).
/// </summary>
public sealed class DescribedApi
{
    private static readonly Lazy<DescribedApi> Served = new(() =>
        new DescribedApi(OpenApiDocument.FromJsonAsync(OpenApiDocumentBuilder.BuildJson(typeof(OpenApiDocumentBuilder).Assembly)).GetAwaiter().GetResult()));

    private readonly List<(Regex Path, string Template)> _templates;

    private DescribedApi(OpenApiDocument document)
    {
        Document = document;
        _templates = document.Paths.Keys
            .Select(t => (new Regex("^" + Regex.Replace(Regex.Escape(t), @"\\\{[^}]+}", "[^/]+") + "$", RegexOptions.CultureInvariant), t))
            // A literal segment wins over a parameter, as in the router: /api/reports/funding before /{reportDate}.
            .OrderBy(t => t.t.Count(c => c == '{'))
            .ToList();
    }

    public static DescribedApi Instance => Served.Value;

    public OpenApiDocument Document { get; }

    /// <summary>Every operation of the document, by its operationId.</summary>
    public IReadOnlyDictionary<string, (string Method, string Path)> Operations =>
        Document.Paths.SelectMany(p => p.Value.Select(o => (o.Value.OperationId, Method: o.Key.ToUpperInvariant(), Path: p.Key)))
            .ToDictionary(o => o.OperationId, o => (o.Method, o.Path));

    /// <summary>The template and operation of the document a request calls, or null when the document has none.</summary>
    public (string Template, OpenApiOperation Operation)? Find(HttpMethod method, string requestPath)
    {
        var path = "/" + requestPath.Split('?')[0].TrimStart('/');
        foreach (var (regex, template) in _templates)
        {
            if (regex.IsMatch(path) && Document.Paths[template].TryGetValue(method.Method.ToLowerInvariant(), out var operation))
            {
                return (template, operation);
            }
        }

        return null;
    }

    /// <summary>Asserts the answer is one the document describes for this request; returns the operation's id.</summary>
    public string AssertDescribes(HttpMethod method, string requestPath, int status, MediaTypeHeaderValue? contentType, byte[] body)
    {
        var found = Find(method, requestPath);
        Assert.True(found is not null, $"{method} {requestPath} is no operation of the document");
        var (template, operation) = found!.Value;
        var what = $"{method} {template} answered {status}";
        Assert.True(operation.Responses.TryGetValue(status.ToString(System.Globalization.CultureInfo.InvariantCulture), out var response),
            $"{what}, a status the document does not list for it ({string.Join(", ", operation.Responses.Keys)})");

        if (response!.Content.Count == 0)
        {
            Assert.True(body.Length == 0, $"{what} with a body the document does not describe");
            return operation.OperationId;
        }

        var media = contentType?.MediaType;
        Assert.True(media is not null && response.Content.ContainsKey(media), $"{what} as {media ?? "no content type"}, not one of {string.Join(", ", response.Content.Keys)}");
        var schema = response.Content[media!].Schema.ActualSchema;
        if (media!.EndsWith("json", StringComparison.Ordinal))
        {
            var text = System.Text.Encoding.UTF8.GetString(body);
            var errors = schema.Validate(text);
            Assert.True(errors.Count == 0, $"{what}: the body does not follow the document's schema:\n" +
                string.Join("\n", Flatten(errors).Select(e => $"  {e.Kind} at {e.Path}")) + "\n" + text[..Math.Min(text.Length, 2000)]);
        }
        else
        {
            // Text and files: the document says string (binary for a zip); there must be something.
            Assert.True(body.Length > 0, $"{what} as {media} with an empty body");
        }

        return operation.OperationId;
    }

    private static IEnumerable<NJsonSchema.Validation.ValidationError> Flatten(IEnumerable<NJsonSchema.Validation.ValidationError> errors) =>
        errors.SelectMany(e => e is NJsonSchema.Validation.ChildSchemaValidationError child
            ? new[] { e }.Concat(Flatten(child.Errors.SelectMany(c => c.Value)))
            : [e]);
}

/// <summary>
/// Sends requests to the backend and checks every answer against the document (<see cref="DescribedApi"/>), recording
/// which operation answered which status: the conformance tests' client.
/// </summary>
public sealed class CheckedCalls(BackendFixture backend)
{
    public ConcurrentBag<(string OperationId, int Status)> Answers { get; } = [];

    public async Task<(int Status, string Body, HttpResponseMessage Response)> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            var response = await backend.Client.SendAsync(request);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            var status = (int)response.StatusCode;
            Answers.Add((DescribedApi.Instance.AssertDescribes(request.Method, PathOf(request.RequestUri!), status, response.Content.Headers.ContentType, bytes), status));
            return (status, System.Text.Encoding.UTF8.GetString(bytes), response);
        }
    }

    // Sent, a request's address is absolute.
    private static string PathOf(Uri uri) => uri.IsAbsoluteUri ? uri.AbsolutePath : uri.OriginalString;

    /// <summary>An administrator's call (<paramref name="role"/> null: no token; empty: a valid token without any role).</summary>
    public Task<(int Status, string Body, HttpResponseMessage Response)> AdminAsync(HttpMethod method, string path, string? role, HttpContent? content = null)
    {
        var request = role is "" ? new HttpRequestMessage(method, path) : backend.Request(method, path, role);
        if (role is "")
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", backend.Token());
        }

        request.Content = content;
        return SendAsync(request);
    }
}
