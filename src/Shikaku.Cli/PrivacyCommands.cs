using System.Globalization;
using Shikaku.Vision.Imaging;
using Shikaku.Vision.Privacy;
using Spectre.Console;

namespace Shikaku.Cli;

/// <summary>`shikaku anonymize`: every face in photos and folders hidden, the originals untouched, metadata stripped.</summary>
internal static class PrivacyCommands
{
    public static readonly Option[] AnonymizeOptions =
    [
        new("--out", "DIR|FILE", null, "-o: the folder for the hidden copies, or one output file for one photo (required; originals are never changed)"),
        new("--method", "blur|mosaic|solid", "blur", "how faces are hidden"),
        new("--scale", "X", "1.3", "the hidden ellipse's size against the face box (1..4)"),
        new("--feather", "X", "0.15", "soft edge outside the ellipse, as a fraction of its radius (0..1; 0 for a hard edge)"),
        new("--min-score", "X", "0.3", "smallest SSD face score kept: lower hides more (and more that are not faces)"),
        Option.Flag("--no-tile", "do not search full-resolution tiles for small faces (faster, misses small faces)"),
        Option.Flag("--no-people", "do not hide the heads of people in whom no face was found"),
        new("--report", "FILE.csv", null, "a CSV row per photo: what was found and hidden (counts only)"),
        new("--except", "gallery:consented", null, "leave shown the faces of people enrolled in the gallery (--gallery/--store, --key-file/--passphrase-env) with an unexpired consent"),
        .. GalleryCommands.AccessOptions,
        new("--jobs", "N", "the cores, at most 4", "photos processed at once"),
        new("--quality", "1-100", "92", "JPEG/WebP quality"),
        Option.MaxPixels,
        Option.Json,
        Option.Flag("--overwrite", "replace copies already in --out (default: keep them and count them as done, so a stopped run resumes)"),
    ];

    public static int Anonymize(CliArgs args, Cli cli)
    {
        if (args.Positionals.Count == 0) throw new UsageException("anonymize needs photos or folders, e.g. ./shikaku anonymize photos/ --out anon/");
        string output = args.Require("--out", "--out anon/");
        var method = args.Get("--method") switch
        {
            null or "blur" => RedactionMethod.Blur,
            "mosaic" or "pixelate" => RedactionMethod.Mosaic,
            "solid" or "fill" => RedactionMethod.Solid,
            var other => throw new UsageException($"--method '{other}' is not a way of hiding; use blur, mosaic or solid."),
        };
        var redaction = new RedactionOptions(method, args.DoubleInclusive("--scale", 1.3, 1, 4), args.DoubleInclusive("--feather", 0.15, 0, 1));
        var finder = new FaceFinderOptions(MinScore: args.Double("--min-score", 0.3, 0.01, 0.99), Tile: !args.Flag("--no-tile"), People: !args.Flag("--no-people"));
        // One photo and a path with an image extension: that file; otherwise a folder.
        App.GalleryAccess? except = args.Get("--except") switch
        {
            null => null,
            "gallery:consented" or "gallery" => GalleryCommands.Access(args),
            var other => throw new UsageException($"--except {other} is not known; use --except gallery:consented (the people enrolled with a consent)."),
        };
        bool toFile = args.Positionals.Count == 1 && File.Exists(args.Positionals[0]) && ImageCodec.IsImagePath(output);
        var request = new AnonymizeRequest(args.Positionals, new ImageLoadOptions { MaxPixels = args.Long("--max-pixels", 100_000_000, 1) },
            Out: toFile ? null : output, OutFile: toFile ? output : null, Redaction: redaction, Finder: finder, Report: args.Get("--report"),
            Overwrite: args.Flag("--overwrite"), Quality: args.Int("--quality", 92, 1, 100),
            Parallelism: args.Int("--jobs", 0, 1, 64), Except: except);
        bool json = args.Flag("--json");
        args.RejectUnknown("anonymize");
        using var privacy = new App.PrivacyUseCases(new Fetching(cli.Err));
        int total = App.OutputPolicy.Expand(request.Inputs, "anonymize").Count;
        App.AnonymizeResult result = null!;
        void Line(App.AnonymizedImage r)
        {
            if (r.Error != null) cli.Error(r.Error);
            else if (!json) cli.Out.WriteLine(r.Status == "skipped" ? $"{r.Image}: already done -> {r.Output}"
                : $"{r.Image}: {r.Regions.Count} region(s) hidden ({r.Count(RegionSource.Ssd)} SSD, {r.Count(RegionSource.BlazeFace)} BlazeFace, " +
                  $"{r.Count(RegionSource.Person)} person){(r.Shown.Count > 0 ? $", {r.Shown.Count} consenting face(s) left shown" : "")} in {r.Milliseconds.ToString("0", CultureInfo.InvariantCulture)} ms -> {r.Output}");
        }
        if (cli.Err.Profile.Capabilities.Interactive && total > 1)
            cli.Err.Progress().AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("anonymizing", maxValue: total);
                    result = privacy.Anonymize(request, r =>
                    {
                        Line(r);
                        task.Increment(1);
                    });
                });
        else result = privacy.Anonymize(request, Line);
        if (json) cli.WriteJson(result.ToJson());
        cli.Status(result.Summary + (request.Report != null ? $" Report: {request.Report}." : "") +
            " No EXIF, GPS or other metadata of the originals was written.");
        return cli.BatchResult(result.Outcome);
    }
}
