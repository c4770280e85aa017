using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Shikaku.Assets;
using Shikaku.Explain;
using Shikaku.Tensors;
using Shikaku.IO;
using Shikaku.Kernels;
using Shikaku.Vision.Faces;
using Shikaku.Vision.Filters;
using Shikaku.Vision.Imaging;
using Shikaku.Vision.Mesh;

namespace Shikaku.App;

/// <summary>demo: the page goes to <paramref name="Out"/>; <paramref name="Photo"/> null takes face-api.js's sample1.jpg (fetched).</summary>
public sealed record DemoRequest(string Out, string? Photo = null, bool Overwrite = false);

/// <summary>A line of what demo did, for the terminal: <paramref name="Heading"/> (shown bold, may be empty), then <paramref name="Text"/>.</summary>
public sealed record DemoLine(string Heading, string Text);

/// <summary>What demo wrote: the page and its size.</summary>
public sealed record DemoResult(string Page, long Bytes);

/// <summary>
/// The README's main job: the lecture's worked examples, then classic filters and pooling on a real
/// photo, then face analysis of it, all written into one self-contained HTML page (images embedded, no metadata).
/// </summary>
/// <example><code>var page = Demo.Run(new DemoRequest("out/demo"), IFetchProgress.Silent, line => { }, warn => { }).Page;</code></example>
public static class Demo
{
    private const string Marker = "<!-- written by shikaku demo -->";
    private const string ManifestName = ".shikaku-demo.json";
    private static readonly string[] Outputs = ["index.html", "filters.jpg", "faces.jpg", "faces-3d.jpg", "objects.jpg"];

    /// <summary>Writes index.html, filters.jpg, faces.jpg, faces-3d.jpg and objects.jpg into the request's folder; a section whose assets cannot be fetched is left out with a warning.</summary>
    public static DemoResult Run(DemoRequest request, IFetchProgress fetch, Action<DemoLine> onLine, Action<string> warn)
    {
        string outDir = request.Out;
        string? photoPath = request.Photo;
        bool overwrite = request.Overwrite;
        var report = new Report(fetch, onLine, warn);
        if (File.Exists(outDir)) throw new UsageException($"--out {outDir} is a file; give a folder.");
        if (!overwrite) CheckNothingOfTheUsersIsReplaced(outDir);

        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<!doctype html>\n{Marker}\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Shikaku demo</title>\n<style>{Css}</style></head><body>\n");
        html.Append("<h1>Shikaku 視覚: convolution and pooling, as the lecture teaches them</h1>\n");
        html.Append(CultureInfo.InvariantCulture, $"<p class=\"meta\">Engine: {Engine.Simd}, {Engine.Threads} thread(s), .NET {Environment.Version}. Every number below comes from the same kernels that train networks.</p>\n");

        report.Heading("Lecture examples");
        var examples = new (string Title, string Command, SlidingWindowTrace Trace)[]
        {
            ("1-D convolution", "./shikaku conv1d --data \"0 1 0 1 0 0 1 1 1 0\" --kernel \"1 0 1\" --explain",
                SlidingWindowTrace.Convolve1D([0, 1, 0, 1, 0, 0, 1, 1, 1, 0], [1, 0, 1])),
            ("2-D convolution", "./shikaku conv2d --matrix \"0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1\" --kernel \"1 0 1; 1 1 1; 0 0 1\" --explain",
                SlidingWindowTrace.Convolve(MatrixText.Parse("0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1"), MatrixText.Parse("1 0 1; 1 1 1; 0 0 1"))),
            ("2x2 max pooling", "./shikaku pool --matrix \"4 8; 7 1\" --size 2 --explain",
                SlidingWindowTrace.Pool(MatrixText.Parse("4 8; 7 1"), new PoolOptions(2), max: true)),
        };
        html.Append("<h2>The lecture's worked examples</h2>\n");
        foreach (var (title, command, trace) in examples)
        {
            report.WriteLine($"  {title,-16} -> {MatrixText.Format(trace.Output)}");
            html.Append(CultureInfo.InvariantCulture, $"<h3>{Esc(title)}</h3><pre class=\"cmd\">{Esc(command)}</pre>\n");
            html.Append(HtmlTrace.Render(trace));
        }

        var written = new Dictionary<string, byte[]>();
        string? photo = photoPath;
        if (photo == null)
        {
            try
            {
                photo = DemoPhoto(report);
            }
            catch (AssetException e)
            {
                Absent(report, html, "Filters and faces on a real photo", e.Message);
            }
        }
        if (photo != null)
        {
            var image = ImageCodec.Load(photo);
            written["filters.jpg"] = FilterSection(report, html, image, photo);
            try
            {
                var models = report.Fetch.Run("the face models", log => Models.FaceApi.FaceApiModels.Folder(log));
                written["faces.jpg"] = FaceSection(report, html, models, image, Path.GetFileName(photo));
            }
            catch (AssetException e)
            {
                Absent(report, html, "Faces", e.Message);
            }
            try
            {
                var meshModels = report.Fetch.Run("the face mesh models", log => Models.Human.GraphModels.Folder(log));
                var canonical = report.Fetch.Run("the canonical face model", log => Models.MediaPipe.CanonicalFace.Load(log));
                written["faces-3d.jpg"] = Face3DSection(report, html, meshModels, canonical, image, Path.GetFileName(photo));
            }
            catch (AssetException e)
            {
                Absent(report, html, "Faces in 3-D", e.Message);
            }
        }
        try
        {
            var scene = report.Fetch.Run("the object-detection photos", log => AssetCache.Fetch(KnownAssets.DarknetPhotos, log))["usr/share/darknet/data/dog.jpg"];
            written["objects.jpg"] = ObjectSection(report, html, scene);
        }
        catch (AssetException e)
        {
            Absent(report, html, "Objects", e.Message);
        }
        html.Append("</body></html>\n");
        written["index.html"] = Encoding.UTF8.GetBytes(html.ToString());

        Directory.CreateDirectory(outDir);
        // The folder's manifest records what demo wrote, so the next run knows which files it may replace.
        var manifest = new System.Text.Json.Nodes.JsonObject();
        foreach (var (name, bytes) in written)
        {
            SafeFile.WriteAllBytes(Path.Combine(outDir, name), bytes, overwrite: true);
            manifest[name] = Convert.ToHexStringLower(SHA256.HashData(bytes));
        }
        SafeFile.WriteAllText(Path.Combine(outDir, ManifestName), manifest.ToJsonString(), overwrite: true);
        string page = Path.Combine(outDir, "index.html");
        return new DemoResult(page, new FileInfo(page).Length);
    }

    /// <summary>Where the sections report to: the front end's lines, warnings and fetch progress.</summary>
    private sealed record Report(IFetchProgress Fetch, Action<DemoLine> Line, Action<string> Warn)
    {
        public void Heading(string heading, string text = "") => Line(new DemoLine(heading, text));

        public void WriteLine(string text) => Line(new DemoLine("", text));
    }

    /// <summary>
    /// demo replaces its own earlier output, and nothing else: a file of the same name that it did not
    /// write, or that was changed since, is refused unless --overwrite.
    /// </summary>
    private static void CheckNothingOfTheUsersIsReplaced(string outDir)
    {
        Dictionary<string, string> ours = [];
        string manifest = Path.Combine(outDir, ManifestName);
        if (File.Exists(manifest))
        {
            try
            {
                var doc = System.Text.Json.Nodes.JsonNode.Parse(SafeFile.ReadAllText(manifest, 1 << 16, "shikaku demo's list of its files")) as System.Text.Json.Nodes.JsonObject;
                foreach (var (name, hash) in doc ?? [])
                    if (hash is System.Text.Json.Nodes.JsonValue v && v.TryGetValue(out string? h)) ours[name] = h;
            }
            catch (System.Text.Json.JsonException)
            {
                // A damaged manifest vouches for nothing: every existing file counts as the user's.
            }
        }
        foreach (var name in Outputs)
        {
            string path = Path.Combine(outDir, name);
            if (!File.Exists(path)) continue;
            bool unchanged = ours.TryGetValue(name, out var hash)
                && Convert.ToHexStringLower(SHA256.HashData(SafeFile.ReadAllBytes(path, 256 << 20, "a file of shikaku demo"))) == hash;
            if (!unchanged)
                throw new IOException($"{path} exists and was not written by shikaku demo (or was changed since); pass --overwrite to replace it, or choose another --out folder.");
        }
    }

    /// <summary>A section that could not be made (its assets could not be fetched): the page and stderr say why.</summary>
    private static void Absent(Report report, StringBuilder html, string section, string why)
    {
        report.Warn($"{section} left out of the page: {why}");
        html.Append(CultureInfo.InvariantCulture, $"<h2>{Esc(section)}: not shown</h2>\n<p class=\"absent\">This part needs pinned packages that could not be fetched: {Esc(why)}</p>\n");
    }

    /// <summary>Classic filters and pooling of the photo; returns the contact sheet (filters.jpg) as JPEG.</summary>
    private static byte[] FilterSection(Report report, StringBuilder html, Image image, string photo)
    {
        report.Heading("Filters on a real photo", $" ({Path.GetFileName(photo)}, {image.Width}x{image.Height})");
        // Shrink to a page-friendly width with area averaging; the filters then run on what is shown.
        var shown = image.Width > 640 ? image.Resize(640, (int)Math.Round(image.Height * 640.0 / image.Width), ResizeMode.Area) : image;
        html.Append(CultureInfo.InvariantCulture, $"<h2>Convolution beyond AI: classic filters on a real photo</h2>\n<p>{Esc(Path.GetFileName(photo))}, " +
            $"{image.Width}x{image.Height}, shown at {shown.Width}x{shown.Height}. Written without EXIF/GPS metadata. Each filter is the shared depthwise convolution, same kernel on R, G and B, mirrored border.</p>\n<div class=\"grid\">\n");
        html.Append(Figure("original", "", shown));
        var sheet = new List<(string, Image)>();
        string[] filters = ["box:5", "gaussian:2", "sharpen", "sobel-x", "sobel-y", "sobel", "prewitt", "laplacian", "emboss", "1 0 -1; 2 0 -2; 1 0 -1"];
        foreach (string spec in filters)
        {
            var f = FilterKernel.Parse(spec);
            var sw = Stopwatch.StartNew();
            var result = ImageFilters.Apply(shown, f);
            report.WriteLine($"  {spec,-24} {sw.Elapsed.TotalMilliseconds,7:0.0} ms");
            html.Append(Figure(spec, $"./shikaku filter photo.jpg --kernel \"{spec}\" -o out.png<br>kernel {MatrixText.Format(Round(f.Kernel))}", result));
            if (spec is "gaussian:2" or "sharpen" or "sobel" or "laplacian" or "emboss") sheet.Add((spec, result));
        }
        foreach (bool max in new[] { true, false })
        {
            var pooled = ImageFilters.Pool(shown, 8, max);
            string mode = max ? "max" : "avg";
            report.WriteLine($"  pool {mode} 8x8           {shown.Width}x{shown.Height} -> {pooled.Width}x{pooled.Height}");
            html.Append(Figure($"{mode} pooling 8x8", $"./shikaku pool photo.jpg --size 8 --mode {mode} -o small.png<br>{pooled.Width}x{pooled.Height}, shown enlarged", pooled, pixelated: true));
            if (max) sheet.Add(("max pool 8x8", pooled.Resize(shown.Width, shown.Height, ResizeMode.Nearest)));
        }
        html.Append("</div>\n");
        return ImageCodec.Encode(ContactSheet(sheet.Select(x => x.Item2).ToList(), columns: 3, width: 320), ImageFormat.Jpeg, new ImageSaveOptions { Quality = 85 });
    }

    /// <summary>Face analysis of the photo with face-api.js's networks: annotated image (as JPEG) and a table (no descriptors shown or kept).</summary>
    private static byte[] FaceSection(Report report, StringBuilder html, string modelFolder, Image image, string name)
    {
        using var analyzer = new FaceAnalyzer(modelFolder);
        var sw = Stopwatch.StartNew();
        var faces = analyzer.Analyze(image, new FaceAnalysisOptions { Descriptors = false });
        report.Heading("Faces", $": {faces.Count} in {name} ({sw.Elapsed.TotalMilliseconds:0} ms: detection, 68 landmarks, expression, age, gender)");
        var annotated = FaceAnnotator.Draw(image, faces, (f, i) => $"{i + 1}");
        var shown = annotated.Width > 960 ? annotated.Resize(960, (int)Math.Round(annotated.Height * 960.0 / annotated.Width), ResizeMode.Area) : annotated;
        html.Append("<h2>Faces: detection, 68 landmarks, expression, age and gender</h2>\n");
        html.Append("<p>face-api.js's pretrained networks (SSD MobileNet V1, 68-point landmark net, expression net, age/gender net) running on Shikaku's kernels. " +
            "<code>./shikaku faces analyze photo.jpg --out out/faces</code>. Age, gender and expression are the networks' guesses from appearance, " +
            "not facts about the people: see the README's section on responsible use.</p>\n");
        html.Append("<div class=\"grid\" style=\"grid-template-columns:1fr\">").Append(Figure(name, $"{faces.Count} faces", shown)).Append("</div>\n");
        html.Append("<table class=\"m\"><tr><td>#</td><td>box</td><td>score</td><td>expression</td><td>age</td><td>gender</td></tr>\n");
        for (int i = 0; i < faces.Count; i++)
        {
            var f = faces[i];
            string expression = f.TopExpression is { } e ? $"{e} {f.Expressions![e]:0.00}" : "-";
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{i + 1}</td><td>{Esc(f.Detection.Box.ToString())}</td><td>{f.Detection.Score:0.00}</td><td>{Esc(expression)}</td><td>{f.Age:0}</td><td>{Esc(f.Gender ?? "-")} {f.GenderProbability:0.00}</td></tr>\n");
            report.WriteLine($"  {i + 1}: {f.Detection.Box}  {expression}, ~{f.Age:0} y, {f.Gender} {f.GenderProbability:0.00}");
        }
        html.Append("</table>\n");
        return ImageCodec.Encode(shown, ImageFormat.Jpeg, new ImageSaveOptions { Quality = 85 });
    }

    /// <summary>
    /// Lecture 8-6's three pictures (after 3DDFA): the photo, its landmarks, the canonical 3-D face fitted to them and
    /// drawn lit over the photo. Only the picture is written: no mesh file, a face's 3-D shape is biometric data.
    /// </summary>
    private static byte[] Face3DSection(Report report, StringBuilder html, string modelFolder, Models.MediaPipe.CanonicalFace canonical, Image image, string name)
    {
        using var detector = new FaceMeshDetector(modelFolder);
        var sw = Stopwatch.StartNew();
        var meshes = detector.Detect(image);
        var camera = PinholeCamera.ForImage(image.Width, image.Height);
        var drawn = new List<MeshFace>();
        var faces = new List<FaceReconstruction>();
        foreach (var m in meshes)
        {
            // A face that cannot be fitted is left out of the picture; faces mesh says why, face by face.
            if (FaceUseCases.Reconstruct(m.Box, m, null, canonical, camera).Face is not { } face) continue;
            faces.Add(face);
            drawn.Add(m);
        }
        var panels = MeshRender.ThreePanels(image, drawn, faces, canonical.Triangles);
        report.Heading("Faces in 3-D", $": {faces.Count} of {meshes.Count} faces in {name} fitted ({sw.Elapsed.TotalMilliseconds:0} ms: BlazeFace, FaceMesh, pose, reconstruction, drawing)");
        html.Append("<h2>Faces in 3-D: detect, find the landmarks, fit a prepared 3-D face</h2>\n");
        html.Append("<p>As the lecture shows with 3DDFA: BlazeFace finds each face, FaceMesh its 468 landmarks, and MediaPipe's canonical face " +
            "model is posed and shaped to them; left the photo, middle the landmarks, right the fitted mesh lit by Shikaku's own rasterizer. " +
            "<code>./shikaku faces mesh photo.jpg --out out/mesh</code> writes the meshes (OBJ, PLY, glTF), depth and PNCC; they are biometric data, " +
            "so the demo writes only this picture.</p>\n");
        html.Append("<div class=\"grid\" style=\"grid-template-columns:1fr\">").Append(Figure(name, $"{faces.Count} faces in 3-D", panels)).Append("</div>\n");
        for (int i = 0; i < faces.Count; i++)
            report.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {i + 1}: yaw {faces[i].Pose.Yaw:+0.0;-0.0}, pitch {faces[i].Pose.Pitch:+0.0;-0.0}, roll {faces[i].Pose.Roll:+0.0;-0.0} degrees, {faces[i].Pose.Translation.Z:0} cm away"));
        return ImageCodec.Encode(panels, ImageFormat.Jpeg, new ImageSaveOptions { Quality = 85 });
    }

    /// <summary>COCO object detection (lecture 8-5) on a real photo with CenterNet on the graph runtime: the annotated image (as JPEG) and a table.</summary>
    private static byte[] ObjectSection(Report report, StringBuilder html, string photo)
    {
        var image = ImageCodec.Load(photo);
        using var detector = report.Fetch.Run("the object models", log => new Vision.Detection.ObjectDetector("centernet", log: log));
        var found = detector.Detect(image);
        var items = found.Results.Items;
        report.Heading("Objects", $": {string.Join(", ", items.GroupBy(d => d.ClassName).Select(g => $"{g.Count()} {g.Key}"))} in {Path.GetFileName(photo)} " +
            $"({found.Timing.Inference.TotalMilliseconds:0} ms inference)");
        var annotated = found.Plot(image);
        html.Append("<h2>Objects: where, how large, and what (lecture 8-5)</h2>\n");
        html.Append("<p>A CenterNet (MobileNetV3, COCO's 80 classes, from human-models) on Shikaku's graph runtime: each object's centre is a peak of a " +
            "class's heat map, its box the size predicted there. <code>./shikaku detect photo.jpg --out out/detect</code>.</p>\n");
        html.Append("<div class=\"grid\" style=\"grid-template-columns:1fr\">").Append(Figure(Path.GetFileName(photo), $"{items.Count} objects", annotated)).Append("</div>\n");
        html.Append("<table class=\"m\"><tr><td>#</td><td>class</td><td>confidence</td><td>box</td></tr>\n");
        for (int i = 0; i < items.Count; i++)
        {
            var d = items[i];
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{i + 1}</td><td>{Esc(d.ClassName)}</td><td>{d.Score:0.00}</td><td>{Esc(d.Box.ToString())}</td></tr>\n");
            report.WriteLine($"  {i + 1}: {d.ClassName} {d.Score:0.00} at {d.Box}");
        }
        html.Append("</table>\n");
        return ImageCodec.Encode(annotated, ImageFormat.Jpeg, new ImageSaveOptions { Quality = 85 });
    }

    private static string DemoPhoto(Report report)
    {
        var files = report.Fetch.Run("the demo photos", log => AssetCache.Fetch(KnownAssets.FaceApiDemoPhotos, log));
        return files["package/demo/sample1.jpg"];
    }

    /// <summary>Thumbnails side by side in a grid, 4 px apart on white (the README's picture).</summary>
    private static Image ContactSheet(IReadOnlyList<Image> images, int columns, int width)
    {
        var thumbs = images.Select(i => i.ToRgb().Resize(width, (int)Math.Round(i.Height * (double)width / i.Width), ResizeMode.Area)).ToList();
        int cellH = thumbs.Max(t => t.Height), rows = (thumbs.Count + columns - 1) / columns, gap = 4;
        int sheetW = columns * width + (columns - 1) * gap, sheetH = rows * cellH + (rows - 1) * gap;
        var px = Enumerable.Repeat((byte)255, sheetW * sheetH * 3).ToArray();
        for (int k = 0; k < thumbs.Count; k++)
        {
            int x0 = k % columns * (width + gap), y0 = k / columns * (cellH + gap);
            for (int y = 0; y < thumbs[k].Height; y++)
                Buffer.BlockCopy(thumbs[k].Pixels, y * width * 3, px, ((y0 + y) * sheetW + x0) * 3, width * 3);
        }
        return new Image(sheetW, sheetH, 3, px);
    }

    private static float[,] Round(float[,] k)
    {
        var r = (float[,])k.Clone();
        for (int i = 0; i < k.GetLength(0); i++)
            for (int j = 0; j < k.GetLength(1); j++) r[i, j] = MathF.Round(k[i, j], 3);
        return r;
    }

    private static string Figure(string title, string caption, Image image, bool pixelated = false)
    {
        string data = Convert.ToBase64String(ImageCodec.Encode(image, ImageFormat.Jpeg, new ImageSaveOptions { Quality = 85 }));
        return $"<figure><img src=\"data:image/jpeg;base64,{data}\" alt=\"{Esc(title)}\"{(pixelated ? " class=\"px\"" : "")}>" +
               $"<figcaption><b>{Esc(title)}</b><br><code>{caption}</code></figcaption></figure>\n";
    }

    internal static string Esc(string s) => WebUtility.HtmlEncode(s);

    private const string Css =
        "body{font-family:system-ui,sans-serif;max-width:1400px;margin:2em auto;padding:0 1em;color:#222}" +
        "pre.cmd{background:#f4f4f4;padding:.5em;overflow:auto}.meta{color:#666}" +
        ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:1em}" +
        "figure{margin:0}figure img{width:100%}img.px{image-rendering:pixelated}figcaption{font-size:.85em}" +
        ".steps{display:flex;flex-wrap:wrap;gap:.8em}.step{border:1px solid #ddd;padding:.4em;border-radius:4px}" +
        "table.m{border-collapse:collapse;margin:.2em}table.m td{border:1px solid #ccc;padding:.1em .4em;text-align:right}" +
        "td.pad{color:#aaa}.out td{background:#eef6ff}";
}

/// <summary>A sliding-window trace as HTML: input, kernel, then each window's patch, products and result.</summary>
internal static class HtmlTrace
{
    public static string Render(SlidingWindowTrace t)
    {
        var sb = new StringBuilder("<div class=\"steps\">");
        sb.Append("<div class=\"step\">input").Append(Matrix(t.Input, null)).Append("</div>");
        if (t.Kernel != null) sb.Append("<div class=\"step\">kernel").Append(Matrix(t.Kernel, null)).Append("</div>");
        sb.Append("<div class=\"step out\">output").Append(Matrix(t.Output, null)).Append("</div></div>\n<div class=\"steps\">");
        foreach (var s in t.Steps)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<div class=\"step\">out[{s.OutRow},{s.OutCol}]: patch").Append(Matrix(s.Patch, s.Padded));
            if (s.Products != null) sb.Append("products").Append(Matrix(s.Products, null)).Append("sum = ");
            else sb.Append(Demo.Esc(t.Operation.Split(' ')[0])).Append(" = ");
            sb.Append(MatrixText.FormatValue(s.Value)).Append("</div>");
        }
        return sb.Append("</div>\n").ToString();
    }

    private static string Matrix(float[,] m, bool[,]? padded)
    {
        var sb = new StringBuilder("<table class=\"m\">");
        for (int r = 0; r < m.GetLength(0); r++)
        {
            sb.Append("<tr>");
            for (int c = 0; c < m.GetLength(1); c++)
                sb.Append(padded != null && padded[r, c] ? "<td class=\"pad\">" : "<td>").Append(MatrixText.FormatValue(m[r, c])).Append("</td>");
            sb.Append("</tr>");
        }
        return sb.Append("</table>").ToString();
    }
}
