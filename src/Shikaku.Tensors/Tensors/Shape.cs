using System.Collections;

namespace Shikaku.Tensors;

/// <summary>
/// The dimensions of a tensor, outermost first. Image tensors are NHWC: batch, height, width, channels.
/// </summary>
/// <example><code>var s = new Shape(128, 28, 28, 1); // s.Length == 100352</code></example>
public readonly struct Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    private readonly int[]? _dims;

    /// <summary>Creates a shape; every dimension must be at least 1 (0 is allowed for empty tensors).</summary>
    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        long length = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 0)
                throw new ArgumentException($"Dimension {i} of shape {Format(dims)} is {dims[i]}; dimensions must be zero or positive.", nameof(dims));
            length *= dims[i];
            if (length > Array.MaxLength)
                throw new ArgumentException($"Shape {Format(dims)} has more than {Array.MaxLength} elements; split the data into batches.", nameof(dims));
        }
        _dims = (int[])dims.Clone();
    }

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dims?.Length ?? 0;

    /// <summary>Total number of elements.</summary>
    public int Length
    {
        get
        {
            if (_dims is null) return 1;
            int n = 1;
            foreach (int d in _dims) n *= d;
            return n;
        }
    }

    public int this[int index] => (_dims ?? [])[index];
    public int Count => Rank;

    /// <summary>The dimensions as a new array.</summary>
    public int[] ToArray() => (int[])(_dims ?? []).Clone();

    public bool Equals(Shape other) => (_dims ?? []).AsSpan().SequenceEqual(other._dims ?? []);
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (int d in _dims ?? []) h.Add(d);
        return h.ToHashCode();
    }
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)(_dims ?? [])).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => Format(_dims ?? []);
    private static string Format(int[] dims) => "(" + string.Join(", ", dims) + ")";
}
