using System.Globalization;

namespace Shikaku.Graph;

/// <summary>A typed attribute value: an integer, a float, a bool, a string, or a list of integers, floats or strings (as in TF's AttrValue).</summary>
public sealed class AttrValue
{
    private AttrValue(object value) => Value = value;

    /// <summary>long, float, bool, string, long[], float[] or string[].</summary>
    public object Value { get; }

    /// <summary>An integer list (TF's list(int)).</summary>
    public static AttrValue Ints(params long[] values) => new(values);
    /// <summary>A float list.</summary>
    public static AttrValue Floats(params float[] values) => new(values);
    /// <summary>A string list (e.g. fused_ops).</summary>
    public static AttrValue Strings(params string[] values) => new(values);

    public static implicit operator AttrValue(long v) => new(v);
    public static implicit operator AttrValue(float v) => new(v);
    public static implicit operator AttrValue(bool v) => new(v);
    public static implicit operator AttrValue(string v) => new(v);
    public static implicit operator AttrValue(long[] v) => new(v);
    public static implicit operator AttrValue(string[] v) => new(v);

    /// <inheritdoc/>
    public override string ToString() => Value switch
    {
        long[] l => "[" + string.Join(", ", l) + "]",
        float[] f => "[" + string.Join(", ", f.Select(x => x.ToString(CultureInfo.InvariantCulture))) + "]",
        string[] s => "[" + string.Join(", ", s) + "]",
        float f => f.ToString(CultureInfo.InvariantCulture),
        _ => Value.ToString() ?? "",
    };
}

/// <summary>A node's attributes by name, with typed getters whose errors name the attribute.</summary>
public sealed class Attributes : Dictionary<string, AttrValue>
{
    /// <summary>No attributes.</summary>
    public Attributes() : base(StringComparer.Ordinal) { }

    /// <summary>A copy of <paramref name="other"/>.</summary>
    public Attributes(IDictionary<string, AttrValue> other) : base(other, StringComparer.Ordinal) { }

    private T Get<T>(string name, T fallback, bool required, string kind)
    {
        if (!TryGetValue(name, out var v)) return required ? throw new GraphException($"Attribute '{name}' is missing; it must be {kind}.") : fallback;
        if (v.Value is T t) return t;
        if (typeof(T) == typeof(float) && v.Value is long l) return (T)(object)(float)l;
        throw new GraphException($"Attribute '{name}' is {v} but must be {kind}.");
    }

    /// <summary>An integer attribute.</summary>
    public long Int(string name, long? fallback = null) => Get(name, fallback ?? 0, fallback == null, "an integer");
    /// <summary>A float attribute.</summary>
    public float Float(string name, float? fallback = null) => Get(name, fallback ?? 0, fallback == null, "a number");
    /// <summary>A bool attribute.</summary>
    public bool Bool(string name, bool? fallback = null) => Get(name, fallback ?? false, fallback == null, "true or false");
    /// <summary>A string attribute.</summary>
    public string String(string name, string? fallback = null) => Get(name, fallback ?? "", fallback == null, "a string");
    /// <summary>An integer-list attribute.</summary>
    public long[] Ints(string name, long[]? fallback = null) => Get(name, fallback ?? [], fallback == null, "a list of integers");
    /// <summary>A string-list attribute.</summary>
    public string[] Strings(string name, string[]? fallback = null) => Get(name, fallback ?? [], fallback == null, "a list of strings");
}
