using System.Globalization;
using System.Text.Json;
using Shikaku.IO;
using Shikaku.Vision.Faces;
using Shikaku.Vision.Imaging;
using Spectre.Console;

namespace Shikaku.Cli;

/// <summary>`shikaku faces detect|analyze|verify|identify|count|encode`: face-api.js's networks on Shikaku's engine.</summary>
internal static class FaceCommands
{
    public static readonly Option[] Options =
    [
        new("--detector", "ssd|tiny", "ssd", "SSD MobileNet V1 (accurate) or the tiny face detector (fast)"),
        new("--min-score", "X", "0.5", "smallest detection score kept (0..1)"),
        new("--max-faces", "N", "100", "most faces kept per image"),
        new("--input-size", "N", "416", "tiny detector's input, a multiple of 32: larger finds smaller faces"),
        Option.Flag("--tile", "also search overlapping full-resolution tiles (small faces in large photos; slower)"),
        Option.Flag("--tiny-landmarks", "use the tiny 68-point landmark net"),
        Option.Flag("--align-eyes", "level the eyes before computing descriptors"),
        new("--threshold", "D", "0.6", "descriptors closer than D are the same person (verify, identify)"),
        new("--known", "PEOPLE_DIR", null, "identify: people/<name>/*.jpg or people/<name>.jpg"),
        new("--out", "DIR|FILE", null, "detect/analyze/identify: folder for annotated PNG + JSON; count: CSV file; encode: JSON file of descriptors"),
        new("--max-pixels", "N", "100000000", "refuse images larger than N pixels, checked from the header before decoding"),
        Option.Flag("--json", "write the result as one JSON document on stdout (schema: docs/CLI.md)"),
        Option.Flag("--overwrite", "replace files that already exist (default: refuse)"),
    ];

    private static readonly JsonSerializerOptions FileJson = new() { WriteIndented = true };

    public static int Run(CliArgs args, Cli cli)
    {
        if (args.Positionals.Count == 0) throw new UsageException("faces needs a subcommand: detect, analyze, verify, identify, count or encode.");
        string sub = args.Positionals[0];
        var inputs = args.Positionals.Skip(1).ToList();
        return sub switch
        {
            "detect" => DetectOrAnalyze(args, cli, inputs, analyze: false),
            "analyze" => DetectOrAnalyze(args, cli, inputs, analyze: true),
            "verify" => Verify(args, cli, inputs),
            "identify" => Identify(args, cli, inputs),
            "count" => Count(args, cli, inputs),
            "encode" => Encode(args, cli, inputs),
            _ => throw new UsageException($"unknown faces subcommand '{sub}'; use detect, analyze, verify, identify, count or encode."),
        };
    }

    private static FaceDetectorOptions DetectorOptions(CliArgs args)
    {
        var kind = args.Get("--detector") switch
        {
            null or "ssd" => FaceDetectorKind.Ssd,
            "tiny" => FaceDetectorKind.Tiny,
            var other => throw new UsageException($"--detector '{other}' is not a detector; use ssd (accurate) or tiny (fast)."),
        };
        int inputSize = args.Int("--input-size", 416, 32, 4096);
        if (inputSize % 32 != 0) throw new UsageException($"--input-size {inputSize} must be a multiple of 32 (e.g. 320, 416, 608).");
        return new FaceDetectorOptions
        {
            Detector = kind,
            MinScore = args.Double("--min-score", 0.5, 0, 1),
            MaxFaces = args.Int("--max-faces", 100, 1, 10_000),
            InputSize = inputSize,
            Tile = args.Flag("--tile"),
        };
    }

    private static FaceAnalysisOptions AnalysisOptions(CliArgs args, bool full) => new()
    {
        Detection = DetectorOptions(args),
        TinyLandmarks = args.Flag("--tiny-landmarks"),
        AlignEyes = args.Flag("--align-eyes"),
        Expressions = full,
        AgeGender = full,
        Descriptors = full,
    };

    private static double Threshold(CliArgs args) => args.Double("--threshold", FaceAnalyzer.DefaultThreshold, 0, 2);

    /// <summary>An analyzer on the verified face-api.js models, fetched first (with a status line) if the cache lacks them.</summary>
    private static FaceAnalyzer Analyzer(Cli cli) =>
        new(Fetching.Run(cli.Err, "the face models", log => Models.FaceApi.FaceApiModels.Folder(log)));

    private static ImageLoadOptions LoadOptions(CliArgs args) => new() { MaxPixels = args.Long("--max-pixels", 100_000_000, 1) };

    /// <summary>The output folder (created), after checking that no file it would write exists unless --overwrite.</summary>
    private static string? OutputFolder(CliArgs args, IEnumerable<string> files, params string[] extensions)
    {
        string? dir = args.Get("--out");
        if (dir == null) return null;
        if (File.Exists(dir)) throw new UsageException($"--out {dir} is a file; give a folder.");
        var stems = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in files)
        {
            string stem = Path.GetFileNameWithoutExtension(f);
            if (!stems.Add(stem)) throw new UsageException($"Two inputs are named {stem}; their outputs in {dir} would collide. Rename one.");
            foreach (var ext in extensions)
            {
                string target = Path.Combine(dir, stem + ext);
                if (File.Exists(target) && !args.Flag("--overwrite"))
                    throw new IOException($"{target} already exists; pass --overwrite to replace it, or choose another --out folder.");
            }
        }
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>An output file named by --out, checked before any work.</summary>
    private static string? OutputFile(CliArgs args, string example) =>
        args.Get("--out") is { } output ? Inputs.OutputFile(output, args.Flag("--overwrite"), example) : null;

    private static void Save(Image annotated, object json, string dir, string file, bool overwrite)
    {
        string stem = Path.GetFileNameWithoutExtension(file);
        ImageCodec.Save(annotated, Path.Combine(dir, stem + ".png"), new ImageSaveOptions { Overwrite = overwrite });
        SafeFile.WriteAllText(Path.Combine(dir, stem + ".json"), JsonSerializer.Serialize(json, FileJson), overwrite);
    }

    private static object BoxJson(FaceBox b) => new { x = Math.Round(b.X, 2), y = Math.Round(b.Y, 2), width = Math.Round(b.Width, 2), height = Math.Round(b.Height, 2) };

    private static string Percent(double p) => p.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>
    /// Runs <paramref name="work"/> on each image; an image that cannot be read or analysed is reported on
    /// stderr (and in the JSON) and the batch goes on; the exit code says whether all succeeded.
    /// </summary>
    private static int ForEachImage(Cli cli, ImageLoadOptions load, List<string> files, List<object> results, Action<string, Image> work)
    {
        int failures = 0;
        foreach (var file in files)
        {
            try
            {
                work(file, ImageCodec.Load(file, load));
            }
            catch (Exception e) when (Program.IsUserError(e))
            {
                failures++;
                cli.Error(e.Message);
                results.Add(new { image = file, error = e.Message });
            }
        }
        return Inputs.BatchResult(cli, failures, files.Count);
    }

    private static object FaceJson(Face f, bool withDescriptor) => new
    {
        score = f.Detection.Score,
        box = BoxJson(f.Detection.Box),
        landmarks = f.Landmarks?.Points.Select(p => new[] { Math.Round(p.X, 2), Math.Round(p.Y, 2) }),
        expressions = f.Expressions,
        age = f.Age,
        gender = f.Gender,
        genderProbability = f.GenderProbability,
        descriptor = withDescriptor ? f.Descriptor : null,
    };

    private static int DetectOrAnalyze(CliArgs args, Cli cli, List<string> inputs, bool analyze)
    {
        string verb = analyze ? "analyze" : "detect";
        var options = AnalysisOptions(args, full: analyze);
        bool json = args.Flag("--json"), overwrite = args.Flag("--overwrite");
        var files = Inputs.Expand(inputs, "faces " + verb);
        string? dir = OutputFolder(args, files, ".png", ".json");
        var load = LoadOptions(args);
        args.RejectUnknown("faces");
        using var analyzer = Analyzer(cli);
        var results = new List<object>();
        int code = ForEachImage(cli, load, files, results, (file, image) =>
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            IReadOnlyList<Face> faces = analyze
                ? analyzer.Analyze(image, options)
                : analyzer.Detect(image, options.Detection).Select(d => new Face { Detection = d }).ToList();
            double ms = sw.Elapsed.TotalMilliseconds;
            // Descriptors are biometric data: they leave the process only into a file the user named.
            var document = new
            {
                image = file,
                width = image.Width,
                height = image.Height,
                detector = options.Detection.Detector.ToString().ToLowerInvariant(),
                descriptorModel = analyze ? FaceAnalyzer.DescriptorModelId : null,
                faces = faces.Select(f => FaceJson(f, withDescriptor: dir != null)).ToList(),
            };
            results.Add(document);
            if (!json)
            {
                cli.Out.MarkupLineInterpolated($"[bold]{file}[/]: {image.Width}x{image.Height}, {faces.Count} face(s) in {ms:0} ms");
                var table = new Table().Border(TableBorder.Simple).AddColumns("#", "box (x,y wxh)", "score");
                if (analyze) table.AddColumns("expression", "age", "gender");
                for (int i = 0; i < faces.Count; i++)
                {
                    var f = faces[i];
                    var row = new List<string> { (i + 1).ToString(CultureInfo.InvariantCulture), f.Detection.Box.ToString(), Percent(f.Detection.Score) };
                    if (analyze)
                    {
                        row.Add(f.TopExpression is { } e ? $"{e} {Percent(f.Expressions![e])}" : "-");
                        row.Add(f.Age is { } age ? age.ToString("0", CultureInfo.InvariantCulture) : "-");
                        row.Add(f.Gender is { } g ? $"{g} {Percent(f.GenderProbability!.Value)}" : "-");
                    }
                    table.AddRow(row.Select(Markup.Escape).ToArray());
                }
                if (faces.Count > 0) cli.Out.Write(table);
            }
            if (dir == null) return;
            var annotated = FaceAnnotator.Draw(image, faces, analyze ? (f, i) => Label(f, i) : (f, i) => $"{i + 1}: {Percent(f.Detection.Score)}");
            Save(annotated, document, dir, file, overwrite);
            cli.Status($"  -> {Path.Combine(dir, Path.GetFileNameWithoutExtension(file))}.png/.json (no EXIF/GPS)");
        });
        if (json) cli.WriteJson(new { images = results });
        if (dir != null && analyze)
            cli.Err.MarkupLine("[yellow]note:[/] the JSON files hold face descriptors (biometric data). Keep them only with the consent of the people shown.");
        return code;
    }

    private static string Label(Face f, int i)
    {
        var parts = new List<string> { $"{i + 1}" };
        if (f.TopExpression is { } e) parts.Add($"{e} {Percent(f.Expressions![e])}");
        if (f.Age is { } age) parts.Add($"~{age:0} y");
        if (f.Gender is { } g) parts.Add($"{g} {Percent(f.GenderProbability!.Value)}");
        return string.Join("  ", parts);
    }

    private static int Verify(CliArgs args, Cli cli, List<string> inputs)
    {
        if (inputs.Count != 2) throw new UsageException($"faces verify compares two images, got {inputs.Count}: ./shikaku faces verify a.jpg b.jpg");
        double threshold = Threshold(args);
        var options = AnalysisOptions(args, full: false) with { Descriptors = true };
        bool json = args.Flag("--json");
        var load = LoadOptions(args);
        var files = Inputs.Expand(inputs, "faces verify");
        args.RejectUnknown("faces");
        if (files.Count != 2) throw new UsageException($"faces verify compares two images; {string.Join(" ", inputs)} hold {files.Count}.");
        using var analyzer = Analyzer(cli);
        var result = analyzer.Verify(ImageCodec.Load(files[0], load), ImageCodec.Load(files[1], load), threshold, options);
        if (json)
        {
            cli.WriteJson(new
            {
                first = new { image = files[0], box = BoxJson(result.First.Detection.Box) },
                second = new { image = files[1], box = BoxJson(result.Second.Detection.Box) },
                distance = result.Distance,
                threshold,
                samePerson = result.SamePerson,
                descriptorModel = FaceAnalyzer.DescriptorModelId,
            });
        }
        else
        {
            cli.Out.WriteLine($"{files[0]}: face at {result.First.Detection.Box} (largest)");
            cli.Out.WriteLine($"{files[1]}: face at {result.Second.Detection.Box} (largest)");
            cli.Out.MarkupLineInterpolated(
                $"distance {result.Distance:0.0000} (threshold {threshold:0.###}): [bold]{(result.SamePerson ? "same person" : "different people")}[/]");
            cli.Err.WriteLine("A distance under the threshold is evidence, not proof: look-alikes and relatives can fall under 0.6.");
        }
        return result.SamePerson ? ExitCodes.Ok : ExitCodes.Different;
    }

    private static int Identify(CliArgs args, Cli cli, List<string> inputs)
    {
        string known = args.Require("--known", "people/   (people/<name>.jpg, or one subfolder of photos per person)");
        double threshold = Threshold(args);
        var options = AnalysisOptions(args, full: false) with { Descriptors = true };
        bool json = args.Flag("--json"), overwrite = args.Flag("--overwrite");
        var files = Inputs.Expand(inputs, "faces identify");
        string? dir = OutputFolder(args, files, ".png", ".json");
        var load = LoadOptions(args);
        args.RejectUnknown("faces");
        using var analyzer = Analyzer(cli);
        int galleryFailures = 0;
        var gallery = FaceGallery.FromFolder(analyzer, known, options, warn: cli.Warn, onBadImage: (file, e) =>
        {
            galleryFailures++;
            cli.Error($"gallery: {e.Message}");
        });
        cli.Status($"gallery: {gallery.Count} face(s) of {gallery.People.Count} people ({string.Join(", ", gallery.People)}); threshold {threshold:0.###}");
        var results = new List<object>();
        int code = ForEachImage(cli, load, files, results, (file, image) =>
        {
            var faces = analyzer.Analyze(image, options);
            var matches = faces.Select(f => gallery.Identify(f.Descriptor, threshold)).ToList();
            var document = new
            {
                image = file,
                threshold,
                faces = faces.Select((f, i) => new { box = BoxJson(f.Detection.Box), name = matches[i].Name, distance = matches[i].Distance }).ToList(),
            };
            results.Add(document);
            if (!json)
            {
                cli.Out.MarkupLineInterpolated($"[bold]{file}[/]: {faces.Count} face(s)");
                var table = new Table().Border(TableBorder.Simple).AddColumns("#", "box (x,y wxh)", "name", "distance");
                for (int i = 0; i < faces.Count; i++)
                    table.AddRow(Markup.Escape((i + 1).ToString(CultureInfo.InvariantCulture)), Markup.Escape(faces[i].Detection.Box.ToString()),
                        Markup.Escape(matches[i].Name), matches[i].Distance.ToString("0.000", CultureInfo.InvariantCulture));
                if (faces.Count > 0) cli.Out.Write(table);
            }
            if (dir == null) return;
            var annotated = FaceAnnotator.Draw(image, faces.Select(f => f with { Landmarks = null }).ToList(), (f, i) => $"{matches[i].Name} ({matches[i].Distance:0.00})");
            Save(annotated, document, dir, file, overwrite);
            cli.Status($"  -> {Path.Combine(dir, Path.GetFileNameWithoutExtension(file))}.png/.json (names and distances, no descriptors)");
        });
        if (json) cli.WriteJson(new { gallery = new { people = gallery.People, faces = gallery.Count }, threshold, images = results });
        if (galleryFailures > 0)
        {
            cli.Error($"{galleryFailures} photo(s) of the gallery could not be read (see above); they were left out.");
            return ExitCodes.Failed;
        }
        return code;
    }

    private static int Count(CliArgs args, Cli cli, List<string> inputs)
    {
        var options = DetectorOptions(args);
        bool json = args.Flag("--json");
        string? output = OutputFile(args, "faces.csv");
        bool overwrite = args.Flag("--overwrite");
        var files = Inputs.Expand(inputs, "faces count");
        var load = LoadOptions(args);
        args.RejectUnknown("faces");
        using var analyzer = Analyzer(cli);
        var lines = new List<string> { "image,faces" };
        bool stream = output == null && !json;
        if (stream) cli.Out.WriteLine(lines[0]);
        int total = 0;
        var results = new List<object>();
        int code = ForEachImage(cli, load, files, results, (file, image) =>
        {
            int n = analyzer.Detect(image, options).Count;
            total += n;
            results.Add(new { image = file, faces = n });
            // CSV quoting for names with commas, quotes or line breaks.
            string name = file.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{file.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : file;
            lines.Add($"{name},{n}");
            if (stream) cli.Out.WriteLine(lines[^1]);
        });
        if (json) cli.WriteJson(new { images = results, total });
        if (output != null)
        {
            SafeFile.WriteAllText(output, string.Join('\n', lines) + "\n", overwrite);
            cli.Status($"{files.Count} image(s), {total} face(s) -> {output}");
        }
        return code;
    }

    /// <summary>deepface's `represent`: the 128-d descriptor of every face, written only where the user asks.</summary>
    private static int Encode(CliArgs args, Cli cli, List<string> inputs)
    {
        var options = AnalysisOptions(args, full: false) with { Descriptors = true };
        bool json = args.Flag("--json");
        string? output = OutputFile(args, "descriptors.json");
        bool overwrite = args.Flag("--overwrite");
        var files = Inputs.Expand(inputs, "faces encode");
        var load = LoadOptions(args);
        args.RejectUnknown("faces");
        using var analyzer = Analyzer(cli);
        var results = new List<object>();
        int total = 0;
        int code = ForEachImage(cli, load, files, results, (file, image) =>
        {
            var faces = analyzer.Analyze(image, options);
            total += faces.Count;
            results.Add(new
            {
                image = file,
                faces = faces.Select(f => new { score = f.Detection.Score, box = BoxJson(f.Detection.Box), descriptor = f.Descriptor }).ToList(),
            });
            if (!json) cli.Out.WriteLine($"{file}: {faces.Count} face(s) encoded");
        });
        var document = new { descriptorModel = FaceAnalyzer.DescriptorModelId, distance = "euclidean", threshold = FaceAnalyzer.DefaultThreshold, images = results };
        if (output != null)
        {
            SafeFile.WriteAllText(output, JsonSerializer.Serialize(document, FileJson), overwrite);
            cli.Status($"{total} descriptor(s) -> {output}");
        }
        if (json) cli.WriteJson(document);
        if (output != null || json)
            cli.Err.MarkupLine("[yellow]note:[/] face descriptors are biometric data. Keep them only with the consent of the people shown, and delete them when the purpose is served.");
        else
            cli.Status($"{total} descriptor(s) computed and discarded: nothing is written unless you give --out FILE.json (or --json for stdout).");
        return code;
    }
}
