using System.Globalization;
using System.Text.Json;
using Shikaku.Vision.Faces;
using Shikaku.Vision.Imaging;
using Spectre.Console;

namespace Shikaku.Cli;

/// <summary>`shikaku faces detect|analyze|verify|identify|count`: face-api.js's networks on Shikaku's engine.</summary>
internal static class FaceCommands
{
    public static readonly string[] Options = ["--detector", "--min-score", "--max-faces", "--input-size", "--threshold", "--known", "--out", "--max-pixels"];
    public static readonly string[] Flags = ["--tiny-landmarks", "--align-eyes", "--tile"];
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static int Run(CliArgs args, IAnsiConsole console)
    {
        if (args.Positionals.Count == 0) throw new UsageException("faces needs a subcommand: detect, analyze, verify, identify or count.");
        string sub = args.Positionals[0];
        var inputs = args.Positionals.Skip(1).ToList();
        return sub switch
        {
            "detect" => DetectOrAnalyze(args, console, inputs, analyze: false),
            "analyze" => DetectOrAnalyze(args, console, inputs, analyze: true),
            "verify" => Verify(args, console, inputs),
            "identify" => Identify(args, console, inputs),
            "count" => Count(args, console, inputs),
            _ => throw new UsageException($"unknown faces subcommand '{sub}'; use detect, analyze, verify, identify or count."),
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
            MaxFaces = args.Int("--max-faces", 100, 1),
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

    /// <summary>Files given, with folders expanded to the images inside them; each must exist.</summary>
    private static List<string> ExpandInputs(IEnumerable<string> inputs, string what)
    {
        var files = new List<string>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input)) files.AddRange(Directory.GetFiles(input).Where(ImageCodec.IsImagePath).Order(StringComparer.Ordinal));
            else if (File.Exists(input)) files.Add(input);
            else throw new UsageException($"{input} does not exist (give image files or folders of images).");
        }
        if (files.Count == 0) throw new UsageException($"faces {what} needs at least one image, e.g. photos/*.jpg.");
        return files;
    }

    /// <summary>An analyzer on the verified face-api.js models, fetched first (with a status line) if the cache lacks them.</summary>
    private static FaceAnalyzer Analyzer(IAnsiConsole console) =>
        new(Fetching.Run(console, "the face models", log => Models.FaceApi.FaceApiModels.Folder(log)));

    private static Image Load(CliArgs args, string path) =>
        ImageCodec.Load(path, new ImageLoadOptions { MaxPixels = args.Long("--max-pixels", 100_000_000, 1) });

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

    private static void Save(Image annotated, object json, string dir, string file, bool overwrite)
    {
        string stem = Path.GetFileNameWithoutExtension(file);
        ImageCodec.Save(annotated, Path.Combine(dir, stem + ".png"), new ImageSaveOptions { Overwrite = overwrite });
        File.WriteAllText(Path.Combine(dir, stem + ".json"), JsonSerializer.Serialize(json, Json));
    }

    private static object BoxJson(FaceBox b) => new { x = Math.Round(b.X, 2), y = Math.Round(b.Y, 2), width = Math.Round(b.Width, 2), height = Math.Round(b.Height, 2) };

    private static string Percent(double p) => p.ToString("0.00", CultureInfo.InvariantCulture);

    private static int DetectOrAnalyze(CliArgs args, IAnsiConsole console, List<string> inputs, bool analyze)
    {
        string verb = analyze ? "analyze" : "detect";
        var files = ExpandInputs(inputs, verb);
        var options = AnalysisOptions(args, full: analyze);
        string? dir = OutputFolder(args, files, ".png", ".json");
        using var analyzer = Analyzer(console);
        foreach (var file in files)
        {
            var image = Load(args, file);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            IReadOnlyList<Face> faces = analyze
                ? analyzer.Analyze(image, options)
                : analyzer.Detect(image, options.Detection).Select(d => new Face { Detection = d }).ToList();
            double ms = sw.Elapsed.TotalMilliseconds;
            console.MarkupLineInterpolated($"[bold]{file}[/]: {image.Width}x{image.Height}, {faces.Count} face(s) in {ms:0} ms");
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
            if (faces.Count > 0) console.Write(table);
            if (dir == null) continue;
            var annotated = FaceAnnotator.Draw(image, faces, analyze ? (f, i) => Label(f, i) : (f, i) => $"{i + 1}: {Percent(f.Detection.Score)}");
            var json = new
            {
                image = file,
                width = image.Width,
                height = image.Height,
                detector = options.Detection.Detector.ToString().ToLowerInvariant(),
                faces = faces.Select(f => new
                {
                    score = f.Detection.Score,
                    box = BoxJson(f.Detection.Box),
                    landmarks = f.Landmarks?.Points.Select(p => new[] { Math.Round(p.X, 2), Math.Round(p.Y, 2) }),
                    expressions = f.Expressions,
                    age = f.Age,
                    gender = f.Gender,
                    genderProbability = f.GenderProbability,
                    descriptor = f.Descriptor,
                }),
            };
            Save(annotated, json, dir, file, args.Flag("--overwrite"));
            console.WriteLine($"  -> {Path.Combine(dir, Path.GetFileNameWithoutExtension(file))}.png/.json (no EXIF/GPS)");
        }
        if (dir != null && analyze)
            console.MarkupLine("[yellow]note:[/] the JSON files hold face descriptors (biometric data). Keep them only with the consent of the people shown.");
        return 0;
    }

    private static string Label(Face f, int i)
    {
        var parts = new List<string> { $"{i + 1}" };
        if (f.TopExpression is { } e) parts.Add($"{e} {Percent(f.Expressions![e])}");
        if (f.Age is { } age) parts.Add($"~{age:0} y");
        if (f.Gender is { } g) parts.Add($"{g} {Percent(f.GenderProbability!.Value)}");
        return string.Join("  ", parts);
    }

    private static int Verify(CliArgs args, IAnsiConsole console, List<string> inputs)
    {
        if (inputs.Count != 2) throw new UsageException($"faces verify compares two images, got {inputs.Count}: ./shikaku faces verify a.jpg b.jpg");
        var files = ExpandInputs(inputs, "verify");
        double threshold = Threshold(args);
        var options = AnalysisOptions(args, full: false) with { Descriptors = true };
        using var analyzer = Analyzer(console);
        var result = analyzer.Verify(Load(args, files[0]), Load(args, files[1]), threshold, options);
        console.WriteLine($"{files[0]}: face at {result.First.Detection.Box} (largest)");
        console.WriteLine($"{files[1]}: face at {result.Second.Detection.Box} (largest)");
        console.MarkupLineInterpolated(
            $"distance {result.Distance:0.0000} (threshold {threshold:0.###}): [bold]{(result.SamePerson ? "same person" : "different people")}[/]");
        console.WriteLine("A distance under the threshold is evidence, not proof: look-alikes and relatives can fall under 0.6.");
        return 0;
    }

    private static int Identify(CliArgs args, IAnsiConsole console, List<string> inputs)
    {
        string known = args.Require("--known", "people/   (one subfolder of photos per person)");
        var files = ExpandInputs(inputs, "identify");
        double threshold = Threshold(args);
        var options = AnalysisOptions(args, full: false) with { Descriptors = true };
        string? dir = OutputFolder(args, files, ".png", ".json");
        using var analyzer = Analyzer(console);
        var gallery = FaceGallery.FromFolder(analyzer, known, options, warn: w => console.MarkupLineInterpolated($"[yellow]warning:[/] {w}"));
        console.WriteLine($"gallery: {gallery.Count} face(s) of {gallery.People.Count} people ({string.Join(", ", gallery.People)}); threshold {threshold:0.###}");
        foreach (var file in files)
        {
            var image = Load(args, file);
            var faces = analyzer.Analyze(image, options);
            var matches = faces.Select(f => gallery.Identify(f.Descriptor, threshold)).ToList();
            console.MarkupLineInterpolated($"[bold]{file}[/]: {faces.Count} face(s)");
            var table = new Table().Border(TableBorder.Simple).AddColumns("#", "box (x,y wxh)", "name", "distance");
            for (int i = 0; i < faces.Count; i++)
                table.AddRow(Markup.Escape((i + 1).ToString(CultureInfo.InvariantCulture)), Markup.Escape(faces[i].Detection.Box.ToString()),
                    Markup.Escape(matches[i].Name), matches[i].Distance.ToString("0.000", CultureInfo.InvariantCulture));
            if (faces.Count > 0) console.Write(table);
            if (dir == null) continue;
            var annotated = FaceAnnotator.Draw(image, faces.Select(f => f with { Landmarks = null }).ToList(), (f, i) => $"{matches[i].Name} ({matches[i].Distance:0.00})");
            var json = new
            {
                image = file,
                threshold,
                faces = faces.Select((f, i) => new { box = BoxJson(f.Detection.Box), name = matches[i].Name, distance = matches[i].Distance }),
            };
            Save(annotated, json, dir, file, args.Flag("--overwrite"));
            console.WriteLine($"  -> {Path.Combine(dir, Path.GetFileNameWithoutExtension(file))}.png/.json (names and distances, no descriptors)");
        }
        return 0;
    }

    private static int Count(CliArgs args, IAnsiConsole console, List<string> inputs)
    {
        var files = ExpandInputs(inputs, "count");
        var options = DetectorOptions(args);
        string? output = args.Get("--out");
        if (output != null && File.Exists(output) && !args.Flag("--overwrite"))
            throw new IOException($"{output} already exists; pass --overwrite to replace it, or choose another name.");
        using var analyzer = Analyzer(console);
        var lines = new List<string> { "image,faces" };
        if (output == null) console.WriteLine(lines[0]);
        int total = 0;
        foreach (var file in files)
        {
            int n = analyzer.Detect(Load(args, file), options).Count;
            total += n;
            // CSV quoting for names with commas or quotes.
            string name = file.Contains(',', StringComparison.Ordinal) || file.Contains('"', StringComparison.Ordinal) ? $"\"{file.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : file;
            lines.Add($"{name},{n}");
            if (output == null) console.WriteLine(lines[^1]);
        }
        if (output != null)
        {
            File.WriteAllLines(output, lines);
            console.WriteLine($"{files.Count} image(s), {total} face(s) -> {output}");
        }
        return 0;
    }
}
