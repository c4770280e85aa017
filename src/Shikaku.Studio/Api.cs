using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Shikaku.App;
using Shikaku.Vision.Detection;
using Shikaku.Vision.Faces;
using Shikaku.Vision.Imaging;

namespace Shikaku.Studio;

/// <summary>What /api/conv takes: the lecture's examples as text, as the CLI's conv1d, conv2d and pool take them.</summary>
public sealed record ConvRequest(string Operation = "conv2d", string? Data = null, string? Kernel = null, int Stride = 1, int Dilation = 1,
    string? Padding = "valid", int Size = 2, int? PoolStride = null, string? Mode = "max");

/// <summary>The multipart/form-data of an endpoint that takes one image (for the OpenAPI document; the handlers read the form).</summary>
/// <param name="Image">The photo or drawing (JPEG, PNG, WebP, BMP, GIF or TIFF).</param>
public sealed record ImageUpload(IFormFile Image);

/// <summary>The form of POST /api/filter.</summary>
/// <param name="Image">The photo.</param>
/// <param name="Kernel">A FilterKernel spec (gaussian:2, sobel, box:3) or a kernel as text ("1 0 -1; 2 0 -2; 1 0 -1"); default gaussian:2.</param>
public sealed record FilterUpload(IFormFile Image, string? Kernel = null);

/// <summary>The form of POST /api/faces/analyze.</summary>
/// <param name="Image">The photo.</param>
/// <param name="Detector">ssd (default) or tiny.</param>
/// <param name="MinScore">The detector's threshold, 0.01..1 (default 0.5).</param>
public sealed record FacesUpload(IFormFile Image, string? Detector = null, double? MinScore = null);

/// <summary>The form of POST /api/gallery/enroll.</summary>
/// <param name="Image">A photo of the person (the largest face is theirs).</param>
/// <param name="Name">The person's name.</param>
/// <param name="Consent">What the person agreed to.</param>
/// <param name="Expires">The last day the consent holds, YYYY-MM-DD.</param>
/// <param name="ConsentedBy">Who gave the consent, if not the person.</param>
public sealed record EnrollUpload(IFormFile Image, string Name, string Consent, string Expires, string? ConsentedBy = null);

/// <summary>The form of POST /api/gallery/forget.</summary>
/// <param name="Name">The person to erase.</param>
public sealed record ForgetForm(string Name);

/// <summary>The form of POST /api/faces/verify.</summary>
/// <param name="First">The first photo.</param>
/// <param name="Second">The second photo.</param>
/// <param name="Threshold">The largest descriptor distance that is one person, 0.01..2 (default 0.6).</param>
/// <param name="Detector">ssd (default) or tiny.</param>
/// <param name="MinScore">The detector's threshold, 0.01..1 (default 0.5).</param>
public sealed record VerifyUpload(IFormFile First, IFormFile Second, double? Threshold = null, string? Detector = null, double? MinScore = null);

/// <summary>The form of POST /api/detect.</summary>
/// <param name="Image">The photo.</param>
/// <param name="Model">centernet (default) or nanodet.</param>
/// <param name="Threshold">The lowest score kept, 0..1 (default 0.3).</param>
public sealed record DetectUpload(IFormFile Image, string? Model = null, double? Threshold = null);

/// <summary>
/// The JSON API every page uses, for scripts too. Images arrive as multipart/form-data and stay in memory; the JSON
/// answers are the app layer's contracts (the CLI's --json).
/// </summary>
internal static class Api
{
    /// <summary>The contracts' options on one line: an explanation is tens of thousands of numbers, each on a line when indented.</summary>
    private static readonly System.Text.Json.JsonSerializerOptions Compact = new(Contract.Options) { WriteIndented = false };

    /// <summary>The most multiply-adds one filter request may cost (about a second here: a 21x21 custom kernel on a 12-megapixel photo).</summary>
    public const long MaxFilterWork = 16_000_000_000;

    /// <summary>JSON request bodies: the contract's names, and a field the endpoint does not know is an error, not ignored.</summary>
    private static readonly System.Text.Json.JsonSerializerOptions RequestJson = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict,
    };

    /// <summary>A JSON body as <typeparamref name="T"/>: 415 for another content type, 400 naming what is wrong.</summary>
    private static async Task<T> Body<T>(HttpRequest request) where T : class
    {
        if (!request.HasJsonContentType())
            throw new UnsupportedMediaException($"This endpoint takes a JSON body (Content-Type: application/json), not {request.ContentType ?? "a body without a content type"}.");
        try
        {
            return await request.ReadFromJsonAsync<T>(RequestJson, request.HttpContext.RequestAborted).ConfigureAwait(false)
                ?? throw new UsageException("The body is JSON null; send an object.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new UsageException($"The JSON body cannot be read: {e.Message.Split(" Path:", 2)[0]}{(e.Path is { } path ? $" (at {path})" : "")}");
        }
    }

    public static void Map(WebApplication app)
    {
        var api = app.MapGroup("/api");

        api.MapGet("/models", (RunCatalog runs, TrainingSessions training) => Results.Json(new
        {
            runs = runs.List(),
            graphModels = GraphExplainer.List().Select(g => new { id = g.Id, task = g.Task }),
            faceApiModels = GraphExplainer.FaceApiList().Select(g => new { id = g.Id, task = g.Task }),
            datasets = training.Datasets(),
            architectures = NN.Models.Names,
            detectors = ObjectDetector.Models,
            faceDetectors = Enum.GetNames<FaceDetectorKind>().Select(n => n.ToLowerInvariant()),
        }, Compact)).Json().WithSummary("The trained run folders the explainer opens, the datasets and architectures training offers, the object detectors and the face detectors.");

        api.MapPost("/conv", async (HttpRequest request) => Results.Json(Conv(await Body<ConvRequest>(request).ConfigureAwait(false)).ToJson(), Compact))
            .Accepts<ConvRequest>("application/json").RequireRateLimiting(StudioApp.Heavy).Json().Refused(400, 413, 415, 429)
            .WithSummary("A sliding-window trace of the lecture's 1-D or 2-D convolution or pooling: the output and every window's patch, products and value.");

        api.MapPost("/filter", async (HttpRequest request, StudioOptions options) =>
        {
            var (form, image, _) = await ImageForm(request, options).ConfigureAwait(false);
            string kernel = Field(form, "kernel") ?? "gaussian:2";
            var (result, name, ms) = ImageUseCases.FilterImage(image, kernel, MaxFilterWork);
            var headers = request.HttpContext.Response.Headers;
            headers["X-Shikaku-Filter"] = name;
            headers["X-Shikaku-Milliseconds"] = ms.ToString("0.###", CultureInfo.InvariantCulture);
            return Results.Bytes(ImageCodec.Encode(result, ImageFormat.Png), "image/png");
        }).RequireRateLimiting(StudioApp.Heavy).DisableAntiforgery()
            .Accepts<FilterUpload>(Multipart).Produces(StatusCodes.Status200OK, typeof(Stream), "image/png").Refused(400, 413, 415, 429)
            .WithSummary("A classic filter (FilterKernel spec, e.g. gaussian:2, sobel, box:3 or a kernel as text) on an uploaded photo; the PNG comes back, without metadata.");

        api.MapPost("/faces/analyze", async (HttpRequest request, StudioOptions options, FaceUseCases faces) =>
        {
            var (form, image, name) = await ImageForm(request, options).ConfigureAwait(false);
            return Results.Json(faces.AnalyzeImage(name, image, FaceOptions(form)).ToJson(), Compact);
        }).RequireRateLimiting(StudioApp.Heavy).Accepts<FacesUpload>(Multipart).Json().Refused(400, 413, 415, 429)
            .WithSummary("Faces in an uploaded photo: boxes, 68 landmarks, expression, age and gender (faces analyze --json). Nothing is kept; descriptors are never sent.");

        api.MapPost("/faces/mesh", async (HttpRequest request, StudioOptions options, FaceUseCases faces) =>
        {
            var (_, image, name) = await ImageForm(request, options).ConfigureAwait(false);
            return Results.Json(faces.MeshView(name, image), Compact);
        }).RequireRateLimiting(StudioApp.Heavy).Accepts<ImageUpload>(Multipart).Json().Refused(400, 413, 415, 429)
            .WithSummary("Each face of an uploaded photo in 3-D for the viewer: vertices (cm), triangles, texture coordinates, the texture and the pose. Biometric data: sent, never kept.");

        api.MapPost("/faces/verify", async (HttpRequest request, StudioOptions options, FaceUseCases faces) =>
        {
            var form = await Form(request).ConfigureAwait(false);
            var first = Upload(form, "first", options);
            var second = Upload(form, "second", options);
            double threshold = Number(form, "threshold", Vision.Faces.FaceAnalyzer.DefaultThreshold, 0.01, 2);
            var result = faces.VerifyImages(FileName(form, "first"), first, FileName(form, "second"), second, threshold, FaceOptions(form));
            return Results.Json(result.ToJson(), Compact);
        }).RequireRateLimiting(StudioApp.Heavy).Accepts<VerifyUpload>(Multipart).Json().Refused(400, 413, 415, 429)
            .WithSummary("Whether the largest faces of two uploaded photos are one person: their descriptor distance against the threshold (faces verify --json).");

        api.MapGet("/gallery", (StudioOptions options, GalleryUseCases gallery) =>
            Results.Json(new { people = (options.Gallery.MayExist ? gallery.List(options.Gallery) : []).Select(GalleryUseCases.PersonJson).ToList() }, Compact))
            .RequireRateLimiting(StudioApp.Heavy).Json().Refused(400, 429)
            .WithSummary("Who is enrolled in the studio's gallery, with their consent records (gallery list --json); never their descriptors.");

        api.MapPost("/gallery/enroll", async (HttpRequest request, StudioOptions options, GalleryUseCases gallery) =>
        {
            var (form, image, name) = await ImageForm(request, options).ConfigureAwait(false);
            string person = Field(form, "name") ?? throw new UsageException("The form has no 'name': whom is this photo of?");
            string purpose = Field(form, "consent") ?? throw new UsageException("The form has no 'consent': nothing is stored without a consent record (what did the person agree to?).");
            string expires = Field(form, "expires") ?? throw new UsageException("The form has no 'expires': the last day the consent holds, YYYY-MM-DD.");
            if (!DateOnly.TryParseExact(expires, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var until))
                throw new UsageException($"expires '{expires}' is not a date; write it as 2027-06-30.");
            var consent = new Gallery.Consent(purpose, Field(form, "consentedBy") ?? person, DateOnly.FromDateTime(DateTime.UtcNow), until);
            return Results.Json(GalleryUseCases.PersonJson(gallery.EnrollImages(options.Gallery, person, consent, [(name, image)], "studio enroll")), Compact);
        }).RequireRateLimiting(StudioApp.Heavy).Accepts<EnrollUpload>(Multipart).Json().Refused(400, 413, 415, 429)
            .WithSummary("Enrols the largest face of an uploaded photo under a consent record (gallery enroll --json). Sealed at rest; the photo is not kept.");

        api.MapPost("/gallery/identify", async (HttpRequest request, StudioOptions options, GalleryUseCases gallery) =>
        {
            var (form, image, name) = await ImageForm(request, options).ConfigureAwait(false);
            double threshold = Number(form, "threshold", GalleryUseCases.DefaultThreshold, 0.01, 1.99);
            var result = gallery.IdentifyImage(options.Gallery, name, image, "studio identify", threshold);
            return Results.Json(GalleryUseCases.IdentifyJson([result], threshold, GalleryUseCases.DefaultMargin), Compact);
        }).RequireRateLimiting(StudioApp.Heavy).Accepts<ImageUpload>(Multipart).Json().Refused(400, 413, 415, 429)
            .WithSummary("Names the faces of an uploaded photo: enrolled, unexpired people only, else unknown (gallery identify --json). Audited.");

        api.MapPost("/gallery/forget", async (HttpRequest request, StudioOptions options, GalleryUseCases gallery) =>
        {
            var form = await Form(request).ConfigureAwait(false);
            string person = Field(form, "name") ?? throw new UsageException("The form has no 'name': whom to erase?");
            var (outcome, message) = gallery.Forget(options.Gallery, person, "studio forget");
            return Results.Json(new { forgotten = person, compacted = outcome == Gallery.Erasure.Erased, message }, Compact);
        }).RequireRateLimiting(StudioApp.Heavy).Accepts<ForgetForm>("multipart/form-data").Json().Refused(400, 429)
            .WithSummary("Erases a person: their rows are deleted and the store compacted (gallery forget). Audited, without the name.");

        api.MapGet("/gallery/audit", (StudioOptions options, GalleryUseCases gallery) => Results.Json(GalleryUseCases.AuditJson(gallery.Audit(options.Gallery)), Compact))
            .RequireRateLimiting(StudioApp.Heavy).Json().Refused(400, 429)
            .WithSummary("The gallery's audit log (gallery audit --json): when, what, which command, which people.");

        api.MapPost("/detect", async (HttpRequest request, StudioOptions options, ObjectUseCases objects) =>
        {
            var (form, image, name) = await ImageForm(request, options).ConfigureAwait(false);
            var keep = new DetectionOptions(MinScore: Number(form, "threshold", 0.3, 0, 1));
            return Results.Json(objects.DetectImage(name, image, Field(form, "model") ?? ObjectDetector.Models[0], new ObjectDetectionOptions(keep)).ToJson(), Compact);
        }).RequireRateLimiting(StudioApp.Heavy).Accepts<DetectUpload>(Multipart).Json().Refused(400, 413, 415, 429)
            .WithSummary("Objects in an uploaded photo (COCO's 80 classes) with boxes, labels and scores (detect --json); model centernet or nanodet.");

        api.MapPost("/models/{id}/explain", async (string id, HttpRequest request, StudioOptions options, RunCatalog runs, GraphExplainer graphs) =>
        {
            var (_, image, _) = await ImageForm(request, options).ConfigureAwait(false);
            string model = Unescape(id);
            return Results.Json(GraphExplainer.Names(model)
                ? graphs.Explain(model, image).ToJson()
                : ExplainUseCases.Explain(runs, model, image).ToJson(), Compact);
        }).RequireRateLimiting(StudioApp.Heavy).Accepts<ImageUpload>(Multipart).Json().Refused(400, 404, 413, 415, 429)
            .WithSummary("Every layer's output of a trained model (a run id from GET /api/models) on an uploaded image or drawing, prepared as predict prepares it, " +
                "and the class probabilities; or, for an imported network (graph:NAME, faceapi:NAME), a preview of every node's output.");

        api.MapPost("/models/{id}/explain/conv", async (string id, int layer, int channel, HttpRequest request, StudioOptions options, RunCatalog runs) =>
        {
            if (GraphExplainer.Names(Unescape(id)))
                throw new UsageException("The channel-by-channel view is for the convolutions of trained run folders; an imported network shows its nodes' maps.");
            var (_, image, _) = await ImageForm(request, options).ConfigureAwait(false);
            return Results.Json(ExplainUseCases.ExplainConv(runs, Unescape(id), image, layer, channel), Compact);
        }).RequireRateLimiting(StudioApp.Heavy).Accepts<ImageUpload>(Multipart).Json().Refused(400, 404, 413, 415, 429)
            .WithSummary("How one map of a convolution layer was computed: each input channel with its kernel and the map they made, their sum plus bias, the activation.");

        api.MapPost("/train", async (HttpRequest request, TrainingSessions sessions) =>
        {
            var session = sessions.Start(await Body<TrainStart>(request).ConfigureAwait(false));
            return Results.Json(new { id = session.Id, events = $"/api/train/{Uri.EscapeDataString(session.Id)}/events" }, Compact, statusCode: 202);
        }).RequireRateLimiting(StudioApp.Heavy)
            .Accepts<TrainStart>("application/json").Produces(StatusCodes.Status202Accepted, typeof(System.Text.Json.JsonElement), "application/json").Refused(400, 404, 409, 413, 415, 429)
            .WithSummary("Starts training (the settings of shikaku train) into the next free run folder; 409 while another run trains.");

        api.MapGet("/train", (TrainingSessions sessions) => Results.Json(sessions.Current is { } s
            ? new { id = s.Id, finished = s.Finished, settings = s.Settings }
            : (object)new { id = (string?)null }, Compact)).Json().WithSummary("The run training now or last, if any.");

        api.MapPost("/train/{id}/stop", (string id, TrainingSessions sessions) =>
        {
            var session = sessions.Get(Unescape(id));
            session.Stop();
            return Results.Json(new { id = session.Id, stopping = !session.Finished }, Compact, statusCode: 202);
        }).Produces(StatusCodes.Status202Accepted, typeof(System.Text.Json.JsonElement), "application/json").Refused(404).WithSummary("Stops a run after its current batch; the best epoch so far stays saved.");

        api.MapGet("/train/{id}/events", async (string id, HttpContext context, TrainingSessions sessions) =>
        {
            var session = sessions.Get(Unescape(id));
            var response = context.Response;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-store";
            // A reconnecting EventSource says the last event it had: go on after it.
            int next = long.TryParse(context.Request.Headers["Last-Event-ID"], NumberStyles.None, CultureInfo.InvariantCulture, out long last)
                ? (int)Math.Min(last + 1, int.MaxValue) : 0;
            var ct = context.RequestAborted;
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    var events = await session.NextAsync(next, ct).ConfigureAwait(false);
                    if (events.Count == 0) break;
                    foreach (var e in events)
                        await response.WriteAsync($"id: {e.Id}\nevent: {e.Kind}\ndata: {e.Json}\n\n", ct).ConfigureAwait(false);
                    await response.Body.FlushAsync(ct).ConfigureAwait(false);
                    next = events[^1].Id + 1;
                }
            }
            catch (OperationCanceledException)
            {
                // The page went away.
            }
        }).Produces(StatusCodes.Status200OK, typeof(string), "text/event-stream").Refused(404).WithSummary("The run's events as server-sent events: start, batch (running loss and accuracy), epoch (with validation), end or error.");
    }

    private const string Multipart = "multipart/form-data";

    /// <summary>For the OpenAPI document: the endpoint answers 200 with JSON (the app layer's contract).</summary>
    private static RouteHandlerBuilder Json(this RouteHandlerBuilder endpoint) => endpoint.Produces(StatusCodes.Status200OK, typeof(System.Text.Json.JsonElement), "application/json");

    /// <summary>For the OpenAPI document: the statuses the endpoint refuses with, each an RFC 9457 problem.</summary>
    private static RouteHandlerBuilder Refused(this RouteHandlerBuilder endpoint, params int[] statuses)
    {
        foreach (int status in statuses) endpoint.ProducesProblem(status);
        return endpoint;
    }

    private static TraceResult Conv(ConvRequest r)
    {
        ArgumentNullException.ThrowIfNull(r);
        string data = r.Data ?? throw new UsageException("data is missing: the sequence (\"0 1 0 1\") or matrix (\"1 2; 3 4\") to slide over.");
        var window = new WindowSettings(r.Stride, r.Dilation, r.Padding ?? "valid");
        return r.Operation switch
        {
            "conv1d" => Traces.Conv1D(new Conv1DRequest(data, Kernel(r), window)),
            "conv2d" => Traces.Conv2D(new Conv2DRequest(data, Kernel(r), window)),
            "pool" => Traces.Pool(new PoolMatrixRequest(data, r.Size, r.PoolStride, r.Padding ?? "valid", PoolMode(r.Mode))),
            _ => throw new UsageException($"operation '{r.Operation}' is not conv1d, conv2d or pool."),
        };
    }

    private static bool PoolMode(string? mode) => mode switch
    {
        null or "max" => true,
        "avg" or "average" or "mean" => false,
        _ => throw new UsageException($"mode '{mode}' is not max or avg."),
    };

    private static string Kernel(ConvRequest r) => r.Kernel ?? throw new UsageException("kernel is missing: the weights that slide (\"1 0 1\" or \"1 0; 0 1\").");

    private static async Task<IFormCollection> Form(HttpRequest request)
    {
        if (!request.HasFormContentType || !(request.ContentType ?? "").StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            throw new UnsupportedMediaException($"This endpoint takes multipart/form-data with the image as a file field, not {request.ContentType ?? "a body without a content type"}.");
        try
        {
            return await request.ReadFormAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            throw new UsageException($"The form cannot be read: {e.Message}");
        }
    }

    /// <summary>A form with one uploaded image in field "image": the form, the decoded image and the upload's name.</summary>
    private static async Task<(IFormCollection Form, Image Image, string Name)> ImageForm(HttpRequest request, StudioOptions options)
    {
        var form = await Form(request).ConfigureAwait(false);
        return (form, Upload(form, "image", options), FileName(form, "image"));
    }

    private static Image Upload(IFormCollection form, string field, StudioOptions options)
    {
        var file = form.Files.GetFile(field) ?? throw new UsageException($"The form has no file field '{field}' (the image to work on).");
        if (file.Length == 0) throw new UsageException($"{FileName(form, field)}: the file is empty.");
        using var stream = file.OpenReadStream();
        var bytes = new byte[file.Length];
        stream.ReadExactly(bytes);
        return ImageCodec.Decode(bytes, FileName(form, field), new ImageLoadOptions { MaxPixels = options.MaxPixels, MaxFileBytes = options.MaxBodyBytes });
    }

    /// <summary>The upload's own name without any folder part (only for messages and the JSON's "image").</summary>
    private static string FileName(IFormCollection form, string field)
    {
        string name = form.Files.GetFile(field)?.FileName ?? field;
        name = name.Replace('\\', '/');
        name = name[(name.LastIndexOf('/') + 1)..];
        return name.Length == 0 ? field : name;
    }

    private static string? Field(IFormCollection form, string name) => form.TryGetValue(name, out var v) && v.Count > 0 && v[0] is { Length: > 0 } s ? s : null;

    private static double Number(IFormCollection form, string name, double fallback, double min, double max)
    {
        string? text = Field(form, name);
        if (text == null) return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            throw new UsageException($"{name} '{text}' is not a number.");
        if (v < min || v > max) throw new UsageException($"{name} {text} is out of range ({min.ToString(CultureInfo.InvariantCulture)}..{max.ToString(CultureInfo.InvariantCulture)}).");
        return v;
    }

    private static FaceAnalysisOptions FaceOptions(IFormCollection form)
    {
        string detector = Field(form, "detector") ?? "ssd";
        // By name only: Enum.TryParse would also take "1" or the flag list "ssd,tiny".
        string? known = Enum.GetNames<FaceDetectorKind>().FirstOrDefault(n => n.Equals(detector, StringComparison.OrdinalIgnoreCase));
        var kind = known != null ? Enum.Parse<FaceDetectorKind>(known)
            : throw new UsageException($"detector '{detector}' is not one of {string.Join(", ", Enum.GetNames<FaceDetectorKind>().Select(n => n.ToLowerInvariant()))}.");
        return new FaceAnalysisOptions { Detection = new FaceDetectorOptions { Detector = kind, MinScore = Number(form, "minScore", 0.5, 0.01, 1) } };
    }

    /// <summary>
    /// Run ids hold '/', which a route segment carries escaped as %2F (mnist%2Fa); routing has decoded everything else
    /// already, so only that is undone here (decoding twice made "50%41" the id "50A").
    /// </summary>
    private static string Unescape(string id) => id.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
}
