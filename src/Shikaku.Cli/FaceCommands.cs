using System.Globalization;
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
        new("--landmarks", "facemesh|face-api", "facemesh", "mesh: MediaPipe's 468-point mesh, or face-api.js's 68 points with the canonical face deformed through them"),
        new("--fov", "DEGREES", "63", "pose: the camera's vertical field of view (a phone's main camera: about 63)"),
        new("--out", "DIR|FILE", null, "detect/analyze/identify: folder for annotated PNG + JSON; count: CSV file; encode: JSON file of descriptors"),
        Option.MaxPixels,
        Option.Json,
        Option.Overwrite,
    ];

    public static int Run(CliArgs args, Cli cli)
    {
        if (args.Positionals.Count == 0) throw new UsageException("faces needs a subcommand: detect, analyze, verify, identify, count, encode, pose or mesh.");
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
            "pose" => Pose(args, cli, inputs),
            "mesh" => Mesh(args, cli, inputs),
            "liveness" => Liveness(args, cli, inputs),
            _ => throw new UsageException($"unknown faces subcommand '{sub}'; use detect, analyze, verify, identify, count, encode, pose, mesh or liveness."),
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

    private static ImageLoadOptions LoadOptions(CliArgs args) => new() { MaxPixels = args.Long("--max-pixels", 100_000_000, 1) };

    private static FacesRequest Request(CliArgs args, List<string> inputs, FaceAnalysisOptions options, double threshold = FaceAnalyzer.DefaultThreshold, string? known = null) =>
        new(inputs, options, LoadOptions(args), args.Get("--out"), args.Flag("--overwrite"), threshold, known);

    /// <summary>An image that failed: its error on stderr as it happens (the batch goes on).</summary>
    private static bool Failed(Cli cli, FaceImageResult r)
    {
        if (r.Error == null) return false;
        cli.Error(r.Error);
        return true;
    }

    private static string Percent(double p) => FaceJson.Percent(p);

    private static int DetectOrAnalyze(CliArgs args, Cli cli, List<string> inputs, bool analyze)
    {
        var request = Request(args, inputs, AnalysisOptions(args, full: analyze));
        bool json = args.Flag("--json");
        args.RejectUnknown("faces");
        using var faces = new FaceUseCases(new Fetching(cli.Err));
        Action<FaceImageResult> show = r =>
        {
            if (Failed(cli, r)) return;
            if (!json)
            {
                cli.Out.MarkupLineInterpolated($"[bold]{r.Image}[/]: {r.Width}x{r.Height}, {r.Faces.Count} face(s) in {r.Milliseconds:0} ms");
                var table = new Table().Border(TableBorder.Simple).AddColumns("#", "box (x,y wxh)", "score");
                if (analyze) table.AddColumns("expression", "age", "gender");
                for (int i = 0; i < r.Faces.Count; i++)
                {
                    var f = r.Faces[i];
                    var row = new List<string> { (i + 1).ToString(CultureInfo.InvariantCulture), f.Detection.Box.ToString(), Percent(f.Detection.Score) };
                    if (analyze)
                    {
                        row.Add(f.TopExpression is { } e ? $"{e} {Percent(f.Expressions![e])}" : "-");
                        row.Add(f.Age is { } age ? age.ToString("0", CultureInfo.InvariantCulture) : "-");
                        row.Add(f.Gender is { } g ? $"{g} {Percent(f.GenderProbability!.Value)}" : "-");
                    }
                    table.AddRow(row.Select(Markup.Escape).ToArray());
                }
                if (r.Faces.Count > 0) cli.Out.Write(table);
            }
            if (r.Saved != null) cli.Status($"  -> {r.Saved}.png/.json (no EXIF/GPS)");
        };
        var result = analyze ? faces.Analyze(request, show) : faces.Detect(request, show);
        int code = cli.BatchResult(result.Outcome);
        if (json) cli.WriteJson(result.ToJson());
        if (request.Out != null && analyze)
            cli.Err.MarkupLine("[yellow]note:[/] the JSON files hold face descriptors (biometric data). Keep them only with the consent of the people shown.");
        return code;
    }

    private static int Verify(CliArgs args, Cli cli, List<string> inputs)
    {
        if (inputs.Count != 2) throw new UsageException($"faces verify compares two images, got {inputs.Count}: ./shikaku faces verify a.jpg b.jpg");
        var request = Request(args, inputs, AnalysisOptions(args, full: false), Threshold(args));
        bool json = args.Flag("--json");
        args.RejectUnknown("faces");
        using var faces = new FaceUseCases(new Fetching(cli.Err));
        var result = faces.Verify(request);
        var v = result.Verification;
        if (json)
        {
            cli.WriteJson(result.ToJson());
        }
        else
        {
            cli.Out.WriteLine($"{result.First}: face at {v.First.Detection.Box} (largest)");
            cli.Out.WriteLine($"{result.Second}: face at {v.Second.Detection.Box} (largest)");
            cli.Out.MarkupLineInterpolated(
                $"distance {v.Distance:0.0000} (threshold {result.Threshold:0.###}): [bold]{(v.SamePerson ? "same person" : "different people")}[/]");
            cli.Err.WriteLine("A distance under the threshold is evidence, not proof: look-alikes and relatives can fall under 0.6.");
        }
        return v.SamePerson ? ExitCodes.Ok : ExitCodes.Different;
    }

    private static int Identify(CliArgs args, Cli cli, List<string> inputs)
    {
        string known = args.Require("--known", "people/   (people/<name>.jpg, or one subfolder of photos per person)");
        double threshold = Threshold(args);
        var request = Request(args, inputs, AnalysisOptions(args, full: false), threshold, known);
        bool json = args.Flag("--json");
        args.RejectUnknown("faces");
        using var faces = new FaceUseCases(new Fetching(cli.Err));
        var result = faces.Identify(request,
            onGallery: g => cli.Status($"gallery: {g.Faces} face(s) of {g.People.Count} people ({string.Join(", ", g.People)}); threshold {threshold:0.###}"),
            onImage: r =>
            {
                if (Failed(cli, r)) return;
                if (!json)
                {
                    cli.Out.MarkupLineInterpolated($"[bold]{r.Image}[/]: {r.Faces.Count} face(s)");
                    var table = new Table().Border(TableBorder.Simple).AddColumns("#", "box (x,y wxh)", "name", "distance");
                    var matches = r.Matches!;
                    for (int i = 0; i < r.Faces.Count; i++)
                        table.AddRow(Markup.Escape((i + 1).ToString(CultureInfo.InvariantCulture)), Markup.Escape(r.Faces[i].Detection.Box.ToString()),
                            Markup.Escape(matches[i].Name), matches[i].Distance.ToString("0.000", CultureInfo.InvariantCulture));
                    if (r.Faces.Count > 0) cli.Out.Write(table);
                }
                if (r.Saved != null) cli.Status($"  -> {r.Saved}.png/.json (names and distances, no descriptors)");
            },
            warn: cli.Warn,
            onBadGalleryPhoto: message => cli.Error($"gallery: {message}"));
        int code = cli.BatchResult(result.Outcome);
        if (json) cli.WriteJson(result.ToJson());
        if (result.Gallery!.Failures > 0)
        {
            cli.Error($"{result.Gallery.Failures} photo(s) of the gallery could not be read (see above); they were left out.");
            return ExitCodes.Failed;
        }
        return code;
    }

    private static int Count(CliArgs args, Cli cli, List<string> inputs)
    {
        var request = Request(args, inputs, new FaceAnalysisOptions { Detection = DetectorOptions(args) });
        bool json = args.Flag("--json");
        args.RejectUnknown("faces");
        using var faces = new FaceUseCases(new Fetching(cli.Err));
        bool stream = request.Out == null && !json, header = false;
        var result = faces.Count(request, r =>
        {
            if (stream && !header)
            {
                cli.Out.WriteLine(FaceUseCases.CsvHeader);
                header = true;
            }
            if (Failed(cli, r)) return;
            if (stream) cli.Out.WriteLine(FaceUseCases.CsvLine(r.Image, r.Faces.Count));
        });
        int code = cli.BatchResult(result.Outcome);
        if (json) cli.WriteJson(result.ToJson());
        if (request.Out != null) cli.Status($"{result.Images.Count} image(s), {result.TotalFaces} face(s) -> {request.Out}");
        return code;
    }

    /// <summary>Each face's head pose (yaw, pitch, roll, translation) from its 68 landmarks and the canonical face.</summary>
    private static int Pose(CliArgs args, Cli cli, List<string> inputs)
    {
        var request = Request(args, inputs, AnalysisOptions(args, full: false));
        if (request.Out != null) throw new UsageException("faces pose prints its table (or --json); it takes no --out.");
        double fov = args.Double("--fov", Vision.Mesh.PinholeCamera.DefaultVerticalFieldOfView, 1, 179);
        bool json = args.Flag("--json");
        args.RejectUnknown("faces");
        using var faces = new FaceUseCases(new Fetching(cli.Err));
        var table = new Table().AddColumns("image", "face", "yaw", "pitch", "roll", "distance (cm)", "error (px)");
        var result = faces.Pose(request, fov, r =>
        {
            if (Failed(cli, r)) return;
            for (int i = 0; i < r.Faces.Count; i++)
            {
                var (pose, error) = r.Poses![i];
                table.AddRow(Markup.Escape(r.Image), $"{i + 1}",
                    pose == null ? Markup.Escape(error ?? "") : Degrees(pose.Yaw), pose == null ? "" : Degrees(pose.Pitch), pose == null ? "" : Degrees(pose.Roll),
                    pose == null ? "" : pose.Translation.Z.ToString("0.0", CultureInfo.InvariantCulture), pose == null ? "" : pose.RmsError.ToString("0.0", CultureInfo.InvariantCulture));
            }
            if (r.Faces.Count == 0) table.AddRow(Markup.Escape(r.Image), "no face found", "", "", "", "", "");
        });
        int code = cli.BatchResult(result.Outcome);
        if (json) cli.WriteJson(result.ToJson());
        else
        {
            cli.Out.Write(table);
            cli.Status("yaw > 0: the nose points to the image's right; pitch > 0: up; roll > 0: counter-clockwise. Distance assumes an average-sized head.");
        }
        return code;
    }

    /// <summary>Lecture 8-6's 3-D reconstruction: OBJ, PLY and GLB per face; depth, PNCC and the three panels per image.</summary>
    private static int Mesh(CliArgs args, Cli cli, List<string> inputs)
    {
        var request = Request(args, inputs, AnalysisOptions(args, full: false));
        var landmarks = args.Get("--landmarks") switch
        {
            null or "facemesh" => MeshLandmarks.FaceMesh,
            "face-api" or "faceapi" => MeshLandmarks.FaceApi,
            var other => throw new UsageException($"--landmarks '{other}' is not a landmark source; use facemesh (468 points) or face-api (68 points)."),
        };
        double fov = args.Double("--fov", Vision.Mesh.PinholeCamera.DefaultVerticalFieldOfView, 1, 179);
        bool json = args.Flag("--json"), iris = !args.Flag("--no-iris");
        args.RejectUnknown("faces");
        using var faces = new FaceUseCases(new Fetching(cli.Err));
        var (images, outcome) = faces.Mesh(request, landmarks, fov, iris: iris, onImage: r =>
        {
            if (r.Error != null)
            {
                cli.Error(r.Error); // the message names the file
                return;
            }
            if (json) return;
            for (int i = 0; i < r.Faces.Count; i++)
            {
                var f = r.Faces[i];
                if (f.Reconstruction is { } m)
                    cli.Out.WriteLine($"{r.Image}: face {i + 1}: yaw {Degrees(m.Pose.Yaw)}, pitch {Degrees(m.Pose.Pitch)}, roll {Degrees(m.Pose.Roll)}, " +
                        $"reprojection {m.ReprojectionError.ToString("0.00", CultureInfo.InvariantCulture)} px -> {f.Files[0]}");
                else cli.Out.WriteLine($"{r.Image}: face {i + 1}: no mesh: {f.Error}");
            }
            if (r.Faces.Count == 0) cli.Out.WriteLine($"{r.Image}: no face found");
            cli.Status($"  -> {Path.GetDirectoryName(r.Files[^1])}/ (depth.png, depth.npy, pncc.png, three-panels.png, mesh.json; no EXIF/GPS)");
        });
        int code = cli.BatchResult(outcome);
        if (json) cli.WriteJson(new { images = images.Select(i => i.ToJson()).ToList() });
        cli.Err.MarkupLine("[yellow]note:[/] a 3-D face mesh and its texture are biometric data. Keep them only with the consent of the people shown.");
        return code;
    }

    private static int Liveness(CliArgs args, Cli cli, List<string> inputs)
    {
        var request = Request(args, inputs, AnalysisOptions(args, full: false));
        bool json = args.Flag("--json");
        args.RejectUnknown("faces");
        using var faces = new FaceUseCases(new Fetching(cli.Err));
        var table = new Table().AddColumns("image", "face", "box", "real (antispoof)", "live (liveness)", "the models say");
        var (images, outcome) = faces.Liveness(request, r =>
        {
            if (r.Error != null)
            {
                cli.Error(r.Error); // the message names the file
                return;
            }
            for (int i = 0; i < r.Faces.Count; i++)
            {
                var f = r.Faces[i];
                table.AddRow(Markup.Escape(r.Image), $"{i + 1}", Markup.Escape(f.Box.ToString()), f.Real.ToString("0.00", CultureInfo.InvariantCulture),
                    f.Live.ToString("0.00", CultureInfo.InvariantCulture), f.LooksLive ? "live" : "not live");
            }
            if (r.Faces.Count == 0) table.AddRow(Markup.Escape(r.Image), "no face found", "", "", "", "");
        });
        int code = cli.BatchResult(outcome);
        if (json) cli.WriteJson(new { models = "human-models 3.0.4 antispoof + liveness", images = images.Select(i => i.ToJson()).ToList() });
        else
        {
            cli.Out.Write(table);
            cli.Status("Two small nets' guesses from one picture, not proof: a good print, a screen or a mask can pass, and a live face can fail (README, Liveness).");
        }
        return code;
    }

    private static string Degrees(double d) => d.ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture);

    /// <summary>deepface's `represent`: the 128-d descriptor of every face, written only where the user asks.</summary>
    private static int Encode(CliArgs args, Cli cli, List<string> inputs)
    {
        var request = Request(args, inputs, AnalysisOptions(args, full: false));
        bool json = args.Flag("--json");
        args.RejectUnknown("faces");
        using var faces = new FaceUseCases(new Fetching(cli.Err));
        var result = faces.Encode(request, r =>
        {
            if (Failed(cli, r)) return;
            if (!json) cli.Out.WriteLine($"{r.Image}: {r.Faces.Count} face(s) encoded");
        });
        int code = cli.BatchResult(result.Outcome);
        if (request.Out != null) cli.Status($"{result.TotalFaces} descriptor(s) -> {request.Out}");
        if (json) cli.WriteJson(result.ToJson());
        if (request.Out != null || json)
            cli.Err.MarkupLine("[yellow]note:[/] face descriptors are biometric data. Keep them only with the consent of the people shown, and delete them when the purpose is served.");
        else
            cli.Status($"{result.TotalFaces} descriptor(s) computed and discarded: nothing is written unless you give --out FILE.json (or --json for stdout).");
        return code;
    }
}
