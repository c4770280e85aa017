using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Graph.Ops;

/// <summary>
/// What every op family needs: definitions that check a node's number of inputs when it is compiled, TF dtype
/// attributes, output shapes within the tensor limit, and TF's NCHW layout through transposes.
/// </summary>
internal static class OpSupport
{
    /// <summary>The most outputs a node may declare (num_split, num): a lying file must not make millions of slots.</summary>
    public const int MaxOutputs = 1024;

    /// <summary>The value inputs of a node (control inputs "^name" excluded).</summary>
    public static int ValueInputs(Node node) => node.Inputs.Count(i => !i.StartsWith('^'));

    /// <summary>An op whose nodes take <paramref name="min"/> to <paramref name="max"/> value inputs, checked when compiled.</summary>
    public static OpDefinition Op(string name, int min, int max, Func<CompileContext, IOpKernel> compile, int outputs = 1, bool aliases = false) =>
        new(name, c =>
        {
            ExpectInputs(c, min, max);
            return compile(c);
        }, outputs, aliases);

    /// <summary>An op whose nodes take exactly <paramref name="inputs"/> value inputs.</summary>
    public static OpDefinition Op(string name, int inputs, Func<CompileContext, IOpKernel> compile, int outputs = 1, bool aliases = false) =>
        Op(name, inputs, inputs, compile, outputs, aliases);

    /// <summary>Throws unless the node has <paramref name="min"/> to <paramref name="max"/> value inputs.</summary>
    public static void ExpectInputs(CompileContext c, int min, int max)
    {
        int n = ValueInputs(c.Node);
        if (n < min || n > max)
            throw c.Error(min == max ? $"takes {min} input(s), got {n}." : $"takes {min} to {(max == int.MaxValue ? "any number of" : max)} inputs, got {n}.");
    }

    /// <summary>The number of outputs an integer attribute declares (1..<see cref="MaxOutputs"/>), or an error naming the node.</summary>
    public static int CountAttribute(Node node, string name)
    {
        long n;
        try { n = node.Attributes.Int(name); }
        catch (GraphException e) { throw new GraphException($"Node '{node.Name}' ({node.Op}): {e.Message}", e); }
        if (n < 1 || n > MaxOutputs)
            throw new GraphException($"Node '{node.Name}' ({node.Op}): '{name}' is {n}; it must be 1..{MaxOutputs}.");
        return (int)n;
    }

    /// <summary>
    /// A dtype attribute as TF.js graphs carry it: TF's names ("DT_FLOAT", "DT_INT32", "DT_INT64", "DT_BOOL", "DT_UINT8"),
    /// Shikaku's ("float32", ...) or TF's DataType numbers (1, 3, 9, 10, 4).
    /// </summary>
    public static DType DTypeOf(CompileContext c, string name, DType? fallback = null)
    {
        if (!c.Attributes.TryGetValue(name, out var v))
            return fallback ?? throw c.Error($"attribute '{name}' (a dtype) is missing.");
        DType? t = v.Value switch
        {
            "DT_FLOAT" or "float32" or "float" => DType.Float32,
            "DT_INT32" or "int32" => DType.Int32,
            "DT_INT64" or "int64" => DType.Int64,
            "DT_BOOL" or "bool" => DType.Bool,
            "DT_UINT8" or "uint8" => DType.UInt8,
            1L => DType.Float32,
            3L => DType.Int32,
            4L => DType.UInt8,
            9L => DType.Int64,
            10L => DType.Bool,
            _ => null,
        };
        return t ?? throw c.Error($"'{name}' is {v}; Shikaku's tensors are float32, int32, int64, bool or uint8.");
    }

    /// <summary>
    /// The shape of a tensor an op is about to make, refused before anything is allocated when a dimension is
    /// negative or the whole is more than a tensor holds (the limit <see cref="Shape"/> itself enforces).
    /// </summary>
    public static Shape OutputShape(ReadOnlySpan<long> dims, string what)
    {
        long length = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 0) throw new GraphException($"{what}: dimension {i} of ({string.Join(", ", dims.ToArray())}) is {dims[i]}; dimensions must be >= 0.");
            length = dims[i] == 0 || length == 0 ? 0 : length > Array.MaxLength / dims[i] ? Array.MaxLength + 1L : length * dims[i];
            if (length > Array.MaxLength || dims[i] > int.MaxValue)
                throw new GraphException($"{what}: shape ({string.Join(", ", dims.ToArray())}) has more than {Array.MaxLength:N0} elements, more than a tensor holds; the model or its input is damaged.");
        }
        var ints = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++) ints[i] = (int)dims[i];
        return new Shape(ints);
    }

    /// <summary>
    /// Two 4-value window attributes in the node's layout (strides and dilations, or ksize and strides): each must be 1
    /// along the batch and the channels and at least 1 along height and width. Returns their (height, width) values.
    /// </summary>
    public static (int AH, int AW, int BH, int BW) Spatial(long[] a, long[] b, string nameA, string nameB, bool nchw, string why = "")
    {
        string order = nchw ? "NCHW" : "NHWC", both = $"'{nameA}' [{string.Join(", ", a)}] and '{nameB}' [{string.Join(", ", b)}]";
        if (a.Length != 4 || b.Length != 4) throw new GraphException($"'{nameA}' and '{nameB}' must have 4 values ({order}), got {a.Length} and {b.Length}.");
        int h = nchw ? 2 : 1, w = h + 1, c = nchw ? 1 : 3;
        if (a[0] != 1 || a[c] != 1 || b[0] != 1 || b[c] != 1) throw new GraphException($"{both} must be 1 along the batch and the channels ({order}){why}.");
        if (new[] { a[h], a[w], b[h], b[w] }.Any(v => v < 1 || v > int.MaxValue)) throw new GraphException($"{both} must be at least 1.");
        return ((int)a[h], (int)a[w], (int)b[h], (int)b[w]);
    }

    /// <summary>The layout attribute of a node: false for NHWC (TF's default), true for NCHW; anything else is an error.</summary>
    public static bool IsNchw(Attributes a, string prefix = "")
    {
        string format = a.String(prefix + "data_format", "NHWC");
        return format switch
        {
            "NHWC" => false,
            "NCHW" => true,
            _ => throw new GraphException($"data_format '{format}' is not NHWC or NCHW."),
        };
    }

    /// <summary>An NCHW tensor as NHWC (a copy).</summary>
    public static Tensor ToNhwc(Tensor x) => x.Rank == 4 ? TensorOps.Transpose(x, 0, 2, 3, 1)
        : throw new GraphException($"an NCHW image tensor has 4 dimensions, got {x.Shape}.");

    /// <summary>An NHWC tensor as NCHW, disposing the NHWC one.</summary>
    public static Tensor ToNchw(Tensor y)
    {
        using (y) return TensorOps.Transpose(y, 0, 3, 1, 2);
    }

    /// <summary>
    /// Runs an NHWC image operation on an NCHW input: transposes in and out (correct first; a layout pass that
    /// removes back-to-back transposes can come later).
    /// </summary>
    public static Tensor InNhwc(Tensor x, bool nchw, Func<Tensor, Tensor> op)
    {
        if (!nchw) return op(x);
        using var nhwc = ToNhwc(x);
        return ToNchw(op(nhwc));
    }
}

/// <summary>
/// An input that holds integers (axes, a shape, begin and end, paddings, sizes): TF gives these as tensors, which in
/// graphs are nearly always constants. A constant is read once when the node is compiled; anything else at every run.
/// </summary>
internal sealed class IntegerInput
{
    private readonly int _index;
    private readonly string _what;
    private readonly long[]? _constant;

    public IntegerInput(CompileContext c, int index, string what)
    {
        (_index, _what) = (index, what);
        if (c.Constant(index) is { } t)
        {
            try { _constant = Read(t); }
            catch (GraphException e) { throw c.Error(e.Message); }
        }
    }

    /// <summary>The values when the input is a constant, else null.</summary>
    public long[]? Constant => _constant;

    /// <summary>The values of this run.</summary>
    public long[] Values(ref KernelContext c) => _constant ?? Read(c.Input(_index));

    /// <summary>A scalar's value (a one-element tensor of any rank, as TF accepts for axes).</summary>
    public long Scalar(ref KernelContext c)
    {
        var v = Values(ref c);
        return v.Length == 1 ? v[0] : throw new GraphException($"{_what} must be one integer, got {v.Length}.");
    }

    private long[] Read(Tensor t) => t.DType is DType.Int32 or DType.Int64 ? ShapeOps.Integers(t)
        : throw new GraphException($"{_what} must be int32 or int64, got a {t.DType.Name()} tensor {t.Shape}.");
}
