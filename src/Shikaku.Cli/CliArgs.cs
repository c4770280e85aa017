using System.Globalization;

namespace Shikaku.Cli;

/// <summary>
/// Parsed arguments of one command: positionals, "--name value" options and "--flag" switches.
/// Every option a command reads is recorded so that <see cref="RejectUnknown(string)"/> can name options a command does not use.
/// </summary>
public sealed class CliArgs
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    /// <summary>Splits raw arguments; <paramref name="flags"/> are the switches that take no value.</summary>
    public CliArgs(IEnumerable<string> args, params string[] flags)
    {
        var flagSet = new HashSet<string>(flags) { "--help", "-h" };
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string a = list[i];
            if (a.StartsWith('-') && a.Length > 1 && !IsNumber(a))
            {
                string name = a, value;
                int eq = a.IndexOf('=');
                if (eq > 0)
                {
                    name = a[..eq];
                    value = a[(eq + 1)..];
                }
                else if (flagSet.Contains(a))
                {
                    _options[Canonical(a)] = null;
                    continue;
                }
                else
                {
                    if (i + 1 >= list.Count) throw new UsageException($"Option {a} needs a value.");
                    value = list[++i];
                }
                name = Canonical(name);
                if (_options.ContainsKey(name)) throw new UsageException($"Option {name} is given twice.");
                _options[name] = value;
            }
            else
            {
                Positionals.Add(a);
            }
        }
    }

    private static bool IsNumber(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static string Canonical(string name) => name switch
    {
        "-o" => "--out",
        "-h" => "--help",
        "-k" => "--kernel",
        _ => name,
    };

    /// <summary>The whole command as typed after ./shikaku (recorded in run folders).</summary>
    public string CommandLine { get; init; } = "";

    /// <summary>Arguments that are not options.</summary>
    public List<string> Positionals { get; } = [];

    /// <summary>True when the switch was given.</summary>
    public bool Flag(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out var v) && v == null;
    }

    /// <summary>The option's value, or null.</summary>
    public string? Get(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out var v) ? v : null;
    }

    /// <summary>The option's value, or a usage error naming it.</summary>
    public string Require(string name, string example) =>
        Get(name) ?? throw new UsageException($"Missing {name}; for example {name} {example}.");

    /// <summary>A number option strictly between <paramref name="min"/> and <paramref name="max"/>.</summary>
    public double Double(string name, double fallback, double min, double max) => Double(name, fallback, min, max, inclusive: false);

    /// <summary>A number option within bounds that may be the bounds themselves (--feather 0 for a hard edge).</summary>
    public double DoubleInclusive(string name, double fallback, double min, double max) => Double(name, fallback, min, max, inclusive: true);

    private double Double(string name, double fallback, double min, double max, bool inclusive)
    {
        string? v = Get(name);
        if (v == null) return fallback;
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) || !double.IsFinite(x))
            throw new UsageException($"{name} '{v}' is not a number.");
        if (inclusive ? !(x >= min && x <= max) : !(x > min && x < max))
            throw new UsageException($"{name} {v} is out of range; use a number " + (inclusive
                ? $"from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}."
                : $"between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)} (exclusive)."));
        return x;
    }

    /// <summary>A whole-number option within bounds.</summary>
    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        string? v = Get(name);
        if (v == null) return fallback;
        if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n))
            throw new UsageException($"{name} '{v}' is not a whole number.");
        if (n < min || n > max)
            throw new UsageException($"{name} {n} is out of range; use {min}..{(max == int.MaxValue ? "" : max.ToString(CultureInfo.InvariantCulture))}.");
        return n;
    }

    /// <summary>A long option (e.g. a pixel count) at least <paramref name="min"/>.</summary>
    public long Long(string name, long fallback, long min)
    {
        string? v = Get(name);
        if (v == null) return fallback;
        if (!long.TryParse(v.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) || n < min)
            throw new UsageException($"{name} '{v}' must be a whole number >= {min}.");
        return n;
    }

    /// <summary>Fails on options outside <paramref name="known"/> (typos), naming them.</summary>
    public void RejectUnknown(string command, IEnumerable<string> known)
    {
        var allowed = new HashSet<string>(known) { "--help" };
        var unknown = _options.Keys.Where(k => !allowed.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new UsageException($"'{command}' does not know {string.Join(", ", unknown)}; see ./shikaku {command} --help.");
    }

    /// <summary>Fails on options the command never read (given but meaningless here), naming them.</summary>
    public void RejectUnknown(string command)
    {
        var unknown = _options.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new UsageException($"'{command}' does not know {string.Join(", ", unknown)}; see ./shikaku {command} --help.");
    }
}
