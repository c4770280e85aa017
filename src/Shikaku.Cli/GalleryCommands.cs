using System.Globalization;
using Shikaku.App;
using Shikaku.Gallery;
using Shikaku.Vision.Imaging;
using Spectre.Console;

namespace Shikaku.Cli;

/// <summary>`shikaku gallery enroll|list|show|forget|identify|audit`: the consent gallery.</summary>
internal static class GalleryCommands
{
    /// <summary>Where the gallery is and what opens it: the options every gallery subcommand (and anonymize --except) takes.</summary>
    public static readonly Option[] AccessOptions =
    [
        new("--gallery", "FILE", "$XDG_DATA_HOME/shikaku/gallery.db", "the SQLite gallery file"),
        new("--store", "postgres://USER@HOST:PORT/DB", null, "a PostgreSQL gallery several machines share (instead of --gallery)"),
        new("--key-file", "FILE", "$XDG_DATA_HOME/shikaku/gallery.key", "the key that seals the gallery (made, readable by you only, on the first enrolment)"),
        new("--passphrase-env", "VAR", null, "take the passphrase from environment variable VAR instead of a key file (PBKDF2-SHA256, 600,000 rounds)"),
    ];

    public static readonly Option[] Options =
    [
        .. AccessOptions,
        new("--name", "NAME", null, "enroll: the person's name (required)"),
        new("--consent", "PURPOSE", null, "enroll: what the person agreed to (required)"),
        new("--expires", "YYYY-MM-DD", null, "enroll: the last day the consent holds (required)"),
        new("--consented-by", "WHO", "the person", "enroll: who gave the consent, if not the person (a guardian)"),
        new("--threshold", "D", "0.45", "identify: largest descriptor distance that names a person (calibrated on the demo photos; README)"),
        new("--margin", "D", "0.05", "identify: how much nearer the best person must be than the next"),
        Option.MaxPixels,
        Option.Json,
    ];

    /// <summary>The gallery named by --gallery or --store, opened by --key-file or --passphrase-env (shared with anonymize --except).</summary>
    public static GalleryAccess Access(CliArgs args)
    {
        string? store = args.Get("--store"), file = args.Get("--gallery");
        if (store != null && file != null) throw new UsageException("Give --gallery FILE or --store postgres://..., not both.");
        string? passphrase = null;
        if (args.Get("--passphrase-env") is { } variable)
        {
            passphrase = Environment.GetEnvironmentVariable(variable);
            if (string.IsNullOrEmpty(passphrase)) throw new UsageException($"--passphrase-env {variable}: the environment variable {variable} is not set.");
            if (args.Get("--key-file") != null) throw new UsageException("Give --key-file or --passphrase-env, not both.");
        }
        return new GalleryAccess(store ?? file, args.Get("--key-file"), passphrase);
    }

    public static int Run(CliArgs args, Cli cli)
    {
        if (args.Positionals.Count == 0) throw new UsageException("gallery needs a subcommand: enroll, list, show, forget, identify or audit.");
        string sub = args.Positionals[0];
        var rest = args.Positionals.Skip(1).ToList();
        var access = Access(args);
        bool json = args.Flag("--json");
        using var gallery = new GalleryUseCases(new Fetching(cli.Err));
        string command = "gallery " + sub;
        switch (sub)
        {
            case "enroll":
            {
                string name = args.Require("--name", "--name alice");
                string purpose = args.Require("--consent", "--consent \"shown in the club newsletter\"");
                string expires = args.Require("--expires", "--expires 2027-06-30");
                if (!DateOnly.TryParseExact(expires, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var until))
                    throw new UsageException($"--expires {expires} is not a date; write it as 2027-06-30.");
                var consent = new Consent(purpose, args.Get("--consented-by") ?? name, DateOnly.FromDateTime(DateTime.UtcNow), until);
                var load = new ImageLoadOptions { MaxPixels = args.Long("--max-pixels", 100_000_000, 1) };
                args.RejectUnknown("gallery");
                if (rest.Count == 0) throw new UsageException("gallery enroll needs photos of the person, e.g. photos/alice/*.jpg");
                var person = gallery.Enroll(access, name, consent, rest, command, load, cli.Warn);
                if (json) cli.WriteJson(GalleryUseCases.PersonJson(person));
                else cli.Out.WriteLine($"{person.Name}: {person.Descriptors} face descriptor(s) enrolled, consent \"{person.Consent.Purpose}\" until {person.Consent.Expires:yyyy-MM-dd}");
                cli.Status($"Sealed in {access.Shown}; the audit log records the enrolment.");
                return ExitCodes.Ok;
            }
            case "list":
            {
                args.RejectUnknown("gallery");
                var people = gallery.List(access);
                if (json) cli.WriteJson(new { people = people.Select(GalleryUseCases.PersonJson).ToList() });
                else if (people.Count == 0) cli.Out.WriteLine("Nobody is enrolled.");
                else
                {
                    var table = new Table().AddColumns("name", "descriptors", "consent", "expires");
                    foreach (var p in people) table.AddRow(Markup.Escape(p.Name), p.Descriptors.ToString(CultureInfo.InvariantCulture), Markup.Escape(p.Consent.Purpose), p.Consent.Expires.ToString("yyyy-MM-dd"));
                    cli.Out.Write(table);
                }
                return ExitCodes.Ok;
            }
            case "show" or "forget":
            {
                args.RejectUnknown("gallery");
                if (rest.Count != 1) throw new UsageException($"gallery {sub} needs one name, e.g. ./shikaku gallery {sub} alice");
                if (sub == "show")
                {
                    var p = gallery.Show(access, rest[0]) ?? throw new GalleryException($"Nobody named {rest[0]} is enrolled (gallery list shows who is).");
                    if (json) cli.WriteJson(GalleryUseCases.PersonJson(p));
                    else cli.Out.WriteLine($"{p.Name}: {p.Descriptors} descriptor(s); consent \"{p.Consent.Purpose}\" given by {p.Consent.GivenBy} on {p.Consent.Given:yyyy-MM-dd}, until {p.Consent.Expires:yyyy-MM-dd}; enrolled {p.Enrolled.UtcDateTime:yyyy-MM-dd HH:mm} UTC");
                    return ExitCodes.Ok;
                }
                var (outcome, message) = gallery.Forget(access, rest[0], command);
                if (outcome == Erasure.Erased) cli.Out.WriteLine(message);
                else cli.Error(message);
                return outcome == Erasure.Erased ? ExitCodes.Ok : ExitCodes.Failed;
            }
            case "identify":
            {
                double threshold = args.Double("--threshold", GalleryUseCases.DefaultThreshold, 0.01, 1.99), margin = args.Double("--margin", GalleryUseCases.DefaultMargin, 0, 0.99);
                var load = new ImageLoadOptions { MaxPixels = args.Long("--max-pixels", 100_000_000, 1) };
                args.RejectUnknown("gallery");
                if (rest.Count == 0) throw new UsageException("gallery identify needs photos, e.g. ./shikaku gallery identify photos/");
                var (images, outcome) = gallery.Identify(access, rest, command, threshold, margin, load, r =>
                {
                    if (r.Error != null) cli.Error(r.Error);
                    else if (!json)
                        cli.Out.WriteLine(r.Faces.Count == 0 ? $"{r.Image}: no face found"
                            : $"{r.Image}: " + string.Join(", ", r.Faces.Select(f => f.Match.Known ? $"{f.Match.Name} ({f.Match.Distance.ToString("0.00", CultureInfo.InvariantCulture)})" : "unknown")));
                });
                if (json) cli.WriteJson(GalleryUseCases.IdentifyJson(images, threshold, margin));
                return cli.BatchResult(outcome);
            }
            case "audit":
            {
                args.RejectUnknown("gallery");
                var log = gallery.Audit(access);
                if (json) cli.WriteJson(GalleryUseCases.AuditJson(log));
                else
                    foreach (var e in log.Entries)
                        cli.Out.WriteLine($"#{e.Id,-5} {e.At.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z  {e.Action,-24} {e.Command,-18} faces {e.Faces,-3} {string.Join(", ", e.People)}");
                foreach (string problem in log.Breaks) cli.Error(problem);
                return log.Intact ? ExitCodes.Ok : ExitCodes.Failed;
            }
            default:
                throw new UsageException($"unknown gallery subcommand '{sub}'; use enroll, list, show, forget, identify or audit.");
        }
    }
}
