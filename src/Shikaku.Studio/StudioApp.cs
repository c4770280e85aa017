using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Shikaku.Studio;

/// <summary>
/// Shikaku Studio: ASP.NET Core on Kestrel, serving the pages (embedded in this assembly) and the JSON API they use
/// (the app layer's use cases and contracts, as the CLI's --json writes them).
/// </summary>
/// <example><code>
/// await using var app = StudioApp.Build(new StudioOptions { Port = 0 });
/// await app.StartAsync();
/// Console.WriteLine(StudioApp.Url(app));
/// </code></example>
public static class StudioApp
{
    /// <summary>The heavy endpoints' concurrency policy (models, filters, training starts).</summary>
    internal const string Heavy = "heavy";

    /// <summary>The web application, configured and not yet started.</summary>
    public static WebApplication Build(StudioOptions options, Action<ILoggingBuilder>? logging = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options = options.Validated();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(StudioApp).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        if (logging != null) logging(builder.Logging);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            k.AddServerHeader = false;
            if (options.Host == "localhost") k.ListenLocalhost(options.Port);
            else k.Listen(System.Net.IPAddress.Parse(options.Host), options.Port);
        });
        builder.Services.Configure<FormOptions>(f =>
        {
            f.MultipartBodyLengthLimit = options.MaxBodyBytes;
            f.ValueLengthLimit = (int)Math.Min(options.MaxBodyBytes, int.MaxValue);
            f.ValueCountLimit = 64;
            // Uploads stay in memory: nothing a user sends is written to disk.
            f.MemoryBufferThreshold = (int)Math.Min(options.MaxBodyBytes, int.MaxValue);
        });
        builder.Services.AddProblemDetails();
        // A body the endpoint cannot bind (malformed JSON, a missing query number) reaches the problem handler too.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddOpenApi();
        // These options describe the requests in the OpenAPI document (answers are written with the contracts' own): the
        // contracts' names, and numbers as JSON numbers only, as the endpoints read them.
        builder.Services.ConfigureHttpJsonOptions(j =>
        {
            j.SerializerOptions.PropertyNamingPolicy = App.Contract.Options.PropertyNamingPolicy;
            j.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
        });
        builder.Services.AddRateLimiter(r =>
        {
            r.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            r.AddConcurrencyLimiter(Heavy, c =>
            {
                c.PermitLimit = options.MaxConcurrent;
                c.QueueLimit = options.QueueLimit;
                c.QueueProcessingOrder = QueueProcessingOrder.OldestFirst;
            });
            r.OnRejected = (context, ct) => new ValueTask(Problems.Write(context.HttpContext, StatusCodes.Status429TooManyRequests,
                "Too many requests", $"The studio runs {options.MaxConcurrent} model requests at once and queues {options.QueueLimit}; try again shortly."));
        });
        var runs = new App.RunCatalog(options.RunsRoot);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(runs);
        builder.Services.AddSingleton(new TrainingSessions(runs, options));
        builder.Services.AddSingleton(_ => new App.FaceUseCases(App.IFetchProgress.Silent));
        builder.Services.AddSingleton(_ => new App.ObjectUseCases(App.IFetchProgress.Silent));
        builder.Services.AddSingleton(_ => new App.GalleryUseCases(App.IFetchProgress.Silent));
        builder.Services.AddSingleton(services => new App.GraphExplainer(App.IFetchProgress.Silent, services.GetRequiredService<App.FaceUseCases>()));

        var app = builder.Build();
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = Problems.FromException, StatusCodeSelector = Problems.StatusFor });
        app.Use(Security.Headers);
        app.Use(Security.Guard(options));
        app.UseRateLimiter();
        app.MapOpenApi("/openapi/{documentName}.json");
        Pages.Map(app);
        Api.Map(app);
        app.MapFallback("{*path}", Problems.NoEndpoint).ExcludeFromDescription();
        return app;
    }

    /// <summary>The address the started app listens on (http://host:port/).</summary>
    public static string Url(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
        string url = addresses.First().Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal);
        return url.EndsWith('/') ? url : url + "/";
    }

    /// <summary>Starts the studio and serves until <paramref name="stop"/> is cancelled (Ctrl+C in the CLI); prints the URL through <paramref name="say"/>.</summary>
    public static async Task RunAsync(StudioOptions options, Action<string> say, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(say);
        options = options.Validated();
        // Only failures are logged (a 500 says "the server log has the details"): warnings and errors on stderr.
        await using var app = Build(options, log => log.AddSimpleConsole(c => c.SingleLine = true).SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Microsoft.AspNetCore", LogLevel.Error)
            // Its own line per handled exception: the problem handler logs the real failures (500s) itself.
            .AddFilter("Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware", LogLevel.None));
        await app.StartAsync(stop).ConfigureAwait(false);
        string url = Url(app);
        if (!options.IsLoopback)
        {
            say($"warning: the studio listens on {options.Host}, reachable from other machines; every request needs the token.");
            say($"Shikaku Studio: {url}?token={options.Token}");
        }
        else say($"Shikaku Studio: {url}");
        say("Ctrl+C stops it.");
        try
        {
            await Task.Delay(Timeout.Infinite, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
    }
}

/// <summary>RFC 9457 problem documents for every failure: a 4xx that says what was wrong, never a stack trace.</summary>
internal static partial class Problems
{
    public static Task Write(HttpContext context, int status, string title, string detail)
    {
        // The exception handler clears the headers set before the failure: the security headers go on again.
        Security.Apply(context);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Instance = context.Request.Path };
        return context.Response.WriteAsJsonAsync(problem, options: null, contentType: "application/problem+json");
    }

    /// <summary>A request no endpoint took: 405 with Allow when the path is an endpoint's with another method, else 404.</summary>
    public static Task NoEndpoint(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        var methods = context.RequestServices.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && !raw.StartsWith("{*", StringComparison.Ordinal)
                && new Microsoft.AspNetCore.Routing.Template.TemplateMatcher(Microsoft.AspNetCore.Routing.Template.TemplateParser.Parse(raw.TrimStart('/')), new RouteValueDictionary())
                    .TryMatch(path, new RouteValueDictionary()))
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Distinct().Order().ToList();
        if (methods.Contains(context.Request.Method))
            // The method is right: routing passed the endpoint over for the body's media type.
            return Write(context, StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                $"{context.Request.Method} {path} takes a JSON body (Content-Type: application/json), not {context.Request.ContentType ?? "a body without a content type"}.");
        if (methods.Count > 0)
        {
            context.Response.Headers.Allow = string.Join(", ", methods);
            return Write(context, StatusCodes.Status405MethodNotAllowed, "Method not allowed", $"{path} takes {string.Join(" or ", methods)}, not {context.Request.Method}.");
        }
        return Write(context, StatusCodes.Status404NotFound, "Not found", $"The studio has nothing at {context.Request.Method} {path}; GET /openapi/v1.json lists the API.");
    }

    public static int StatusFor(Exception e) => e switch
    {
        App.UnknownIdException => StatusCodes.Status404NotFound,
        TrainingBusyException => StatusCodes.Status409Conflict,
        UnsupportedMediaException => StatusCodes.Status415UnsupportedMediaType,
        BadHttpRequestException b => b.StatusCode,
        // A client names no file here (uploads stay in memory, models are ids): a file that cannot be read or written
        // is the server's own (a run folder, a dataset, the cache), not a fault of the request.
        IOException or UnauthorizedAccessException => StatusCodes.Status500InternalServerError,
        _ when App.UserErrors.IsUserError(e) => StatusCodes.Status400BadRequest,
        _ => StatusCodes.Status500InternalServerError,
    };

    public static Task FromException(HttpContext context)
    {
        var e = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        int status = e == null ? 500 : StatusFor(e);
        string title = status switch
        {
            400 => "Bad request",
            404 => "Not found",
            409 => "Conflict",
            413 => "Request too large",
            415 => "Unsupported media type",
            500 => "Internal error",
            _ => "Request failed",
        };
        var options = context.RequestServices.GetRequiredService<StudioOptions>();
        string detail = e is IOException or UnauthorizedAccessException && status == 500
            ? $"The studio could not use a file of its own for this request: {Redact(e.Message, options)} (the server log has the path)."
            : status == 500 ? "The studio failed on this request (a bug in Shikaku; the server log has the details)."
            : status == 413 ? $"The request body is larger than the studio accepts ({options.MaxBodyBytes:N0} bytes; start it with --max-body to change that)."
            : Redact(e?.Message ?? title, options);
        if (status == 500 && e != null)
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Shikaku.Studio").LogError(e, "request {Path} failed", context.Request.Path);
        return Write(context, status, title, detail);
    }

    /// <summary>
    /// A message for a client, with the server's folders named as the studio's (runs/, datasets/, the model cache/)
    /// and any other path of this machine cut to its file name: where the server keeps its files is not the client's business.
    /// </summary>
    public static string Redact(string message, StudioOptions options)
    {
        foreach (var (folder, name) in new[] { (options.RunsRoot, "runs"), (options.DatasetsRoot, "datasets"), (Assets.AssetCache.Root, "the model cache") })
        {
            string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
            message = message.Replace(full + Path.DirectorySeparatorChar, name + "/", StringComparison.Ordinal).Replace(full, name, StringComparison.Ordinal);
        }
        // Only what is a path here: "GET /api/models" is an address, not a folder of this machine.
        return AbsolutePath().Replace(message, m => Directory.Exists(Path.GetDirectoryName(m.Value.TrimEnd('/')))
            ? "…/" + Path.GetFileName(m.Value.TrimEnd('/')) : m.Value);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"(?<![\w.~])/(?:[^\s/'""]+/)+[^\s/'"",;:)]*")]
    private static partial System.Text.RegularExpressions.Regex AbsolutePath();
}

/// <summary>A request body in a format the endpoint does not take (415).</summary>
internal sealed class UnsupportedMediaException(string message) : ShikakuException(message);

/// <summary>Response headers and the request checks every request passes.</summary>
internal static class Security
{
    private const string Policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

    /// <summary>Content-Security-Policy and friends on every response; API answers are never cached.</summary>
    public static async Task Headers(HttpContext context, Func<Task> next)
    {
        Apply(context);
        await next().ConfigureAwait(false);
    }

    public static void Apply(HttpContext context)
    {
        var h = context.Response.Headers;
        h.ContentSecurityPolicy = Policy;
        h.XContentTypeOptions = "nosniff";
        h.XFrameOptions = "DENY";
        h["Referrer-Policy"] = "no-referrer";
        h["Cross-Origin-Opener-Policy"] = "same-origin";
        h["Cross-Origin-Resource-Policy"] = "same-origin";
        if (context.Request.Path.StartsWithSegments("/api")) h.CacheControl = "no-store";
    }

    /// <summary>
    /// The token (off loopback), then the origin of every state-changing request: a page of another site may not
    /// make the studio work for it (CSRF). Scripts that send no Origin are allowed; browsers always send one.
    /// </summary>
    public static Func<HttpContext, Func<Task>, Task> Guard(StudioOptions options) => async (context, next) =>
    {
        var request = context.Request;
        // On loopback only the loopback names may reach the studio: a web page whose DNS name was rebound to
        // 127.0.0.1 sends its own name as Host and is refused.
        if (options.IsLoopback && !LoopbackNames.Contains(request.Host.Host))
        {
            await Problems.Write(context, StatusCodes.Status400BadRequest, "Host refused",
                $"The studio on loopback answers to localhost, 127.0.0.1 and [::1], not '{request.Host.Host}'.").ConfigureAwait(false);
            return;
        }
        if (options.Token != null && !HasToken(context, options.Token))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Problems.Write(context, StatusCodes.Status401Unauthorized, "Token required",
                "This studio needs its access token: open the URL it printed (with ?token=...) or send Authorization: Bearer TOKEN.").ConfigureAwait(false);
            return;
        }
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !HttpMethods.IsOptions(request.Method))
        {
            string? origin = request.Headers.Origin;
            bool crossSite = request.Headers["Sec-Fetch-Site"] == "cross-site";
            if (crossSite || (origin != null && !SameOrigin(origin, request)))
            {
                await Problems.Write(context, StatusCodes.Status403Forbidden, "Cross-site request refused",
                    $"A page of {origin ?? "another site"} may not send requests to the studio.").ConfigureAwait(false);
                return;
            }
        }
        await next().ConfigureAwait(false);
    };

    private static readonly HashSet<string> LoopbackNames = new(StringComparer.OrdinalIgnoreCase) { "localhost", "127.0.0.1", "[::1]", "::1" };

    private static bool HasToken(HttpContext context, string token)
    {
        var request = context.Request;
        string? given = null;
        string auth = request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) given = auth[7..].Trim(); // the scheme is case-insensitive (RFC 9110)
        given ??= request.Cookies["shikaku_token"];
        if (given == null && request.Query.TryGetValue("token", out var q) && HttpMethods.IsGet(request.Method))
        {
            given = q.ToString();
            if (Matches(given, token))
                context.Response.Cookies.Append("shikaku_token", token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });
        }
        return given != null && Matches(given, token);
    }

    private static bool Matches(string given, string token) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(given), System.Text.Encoding.UTF8.GetBytes(token));

    private static bool SameOrigin(string origin, HttpRequest request) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var o) && string.Equals(o.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)
        && o.Scheme == request.Scheme;
}

/// <summary>The embedded pages, scripts and styles.</summary>
internal static class Pages
{
    private static readonly Dictionary<string, string> Types = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
    };

    public static void Map(WebApplication app)
    {
        var assembly = typeof(Pages).Assembly;
        var files = assembly.GetManifestResourceNames().Where(n => n.StartsWith("wwwroot/", StringComparison.Ordinal))
            .ToDictionary(n => n["wwwroot".Length..], n => ReadAll(assembly, n), StringComparer.Ordinal);
        IResult Serve(string path) => files.TryGetValue(path, out var bytes) && Types.TryGetValue(Path.GetExtension(path), out var type)
            ? Results.Bytes(bytes, type)
            : Results.Problem(statusCode: 404, title: "Not found", detail: $"The studio has no page {path}.");
        string[] read = [HttpMethods.Get, HttpMethods.Head];
        app.MapMethods("/", read, () => Serve("/index.html")).ExcludeFromDescription();
        app.MapMethods("/static/{name}", read, (string name) => Serve("/" + name)).ExcludeFromDescription();
    }

    private static byte[] ReadAll(System.Reflection.Assembly assembly, string name)
    {
        using var s = assembly.GetManifestResourceStream(name)!;
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }
}
