using Shikaku.Tensors;

namespace Shikaku.Graph.Tests.TfOps;

/// <summary>
/// A naive n-dimensional array for the reference implementations: a shape, the values as doubles (exact for the
/// int32 values and float32 values tests use) and the dtype the graph should give.
/// </summary>
internal sealed record Nd(int[] Shape, double[] Data, DType DType = DType.Float32)
{
    public int Rank => Shape.Length;

    public static int Count(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    public static int[] Strides(int[] shape)
    {
        var s = new int[shape.Length];
        for (int i = shape.Length - 1, stride = 1; i >= 0; stride *= shape[i], i--) s[i] = stride;
        return s;
    }

    public int Flat(int[] index)
    {
        var s = Strides(Shape);
        int at = 0;
        for (int d = 0; d < index.Length; d++)
        {
            if ((uint)index[d] >= (uint)Shape[d]) throw new IndexOutOfRangeException($"reference index {string.Join(",", index)} outside {string.Join(",", Shape)}");
            at += index[d] * s[d];
        }
        return at;
    }

    public double this[params int[] index] => Data[Flat(index)];

    /// <summary>Every index of a shape in row-major order.</summary>
    public static IEnumerable<int[]> Indices(int[] shape)
    {
        int n = Count(shape);
        var index = new int[shape.Length];
        for (int k = 0; k < n; k++)
        {
            yield return (int[])index.Clone();
            for (int d = shape.Length - 1; d >= 0 && ++index[d] == shape[d]; d--) index[d] = 0;
        }
    }

    /// <summary>An array of <paramref name="shape"/> whose element at each index is f(index).</summary>
    public static Nd Build(int[] shape, Func<int[], double> f, DType dtype = DType.Float32) =>
        new(shape, Indices(shape).Select(f).ToArray(), dtype);

    public static Nd Floats(int[] shape, params double[] data) => new(shape, data, DType.Float32);
    public static Nd Ints(int[] shape, params double[] data) => new(shape, data, DType.Int32);
    public static Nd Longs(int[] shape, params double[] data) => new(shape, data, DType.Int64);
    public static Nd Vector(params int[] values) => Ints([values.Length], values.Select(v => (double)v).ToArray());
    public static Nd Scalar(int value) => Ints([], value);

    /// <summary>Random values: floats in -2..2 (as float32), integers in -9..9, bools at random.</summary>
    public static Nd Random(Random rng, DType dtype, params int[] shape) => new(shape, Enumerable.Range(0, Count(shape)).Select(_ => dtype switch
    {
        DType.Float32 => (double)(float)(rng.NextDouble() * 4 - 2),
        DType.Bool => rng.Next(2),
        DType.UInt8 => rng.Next(256),
        _ => rng.Next(-9, 10),
    }).ToArray(), dtype);

    public Tensor ToTensor() => DType switch
    {
        DType.Float32 => Tensor.FromArray(Data.Select(v => (float)v).ToArray(), Shape),
        DType.Int32 => Tensor.FromInt32(Data.Select(v => (int)v).ToArray(), Shape),
        DType.Int64 => Tensor.FromInt64(Data.Select(v => (long)v).ToArray(), Shape),
        DType.Bool => Tensor.FromBool(Data.Select(v => v != 0).ToArray(), Shape),
        _ => Tensor.FromUInt8(Data.Select(v => (byte)v).ToArray(), Shape),
    };

    public static Nd Of(Tensor t) => new(t.Shape.ToArray(), t.DType switch
    {
        DType.Float32 => t.ToArray().Select(v => (double)v).ToArray(),
        DType.Int32 => t.ToArray<int>().Select(v => (double)v).ToArray(),
        DType.Int64 => t.ToArray<long>().Select(v => (double)v).ToArray(),
        DType.Bool => t.ToArray<bool>().Select(v => v ? 1.0 : 0.0).ToArray(),
        _ => t.ToArray<byte>().Select(v => (double)v).ToArray(),
    }, t.DType);

    public override string ToString() => $"{DType.Name()} ({string.Join(", ", Shape)})";
}

/// <summary>Runs one op as a one-node graph through <see cref="GraphPlan"/>, each input a constant or a fed value.</summary>
internal static class TfGraph
{
    public sealed record In(Nd Value, bool Constant);

    /// <summary>A constant input (read once when the node compiles).</summary>
    public static In C(Nd value) => new(value, true);

    /// <summary>A fed input (a value the graph computes or receives: read at every run).</summary>
    public static In F(Nd value) => new(value, false);

    public static Nd Run(string op, Attributes? attributes, params In[] inputs) => RunAll(op, attributes, 1, inputs)[0];

    public static Nd[] RunAll(string op, Attributes? attributes, int outputs, params In[] inputs)
    {
        var tensors = inputs.Select(i => i.Value.ToTensor()).ToArray();
        try
        {
            using var g = new ComputeGraph();
            var names = new List<string>();
            var feeds = new List<Tensor>();
            for (int i = 0; i < inputs.Length; i++)
            {
                string name = $"in{i}";
                names.Add(name);
                if (inputs[i].Constant) g.AddConstant(name, tensors[i], owned: false);
                else
                {
                    g.AddInput(name, tensors[i].Shape.ToArray());
                    feeds.Add(tensors[i]);
                }
            }
            g.AddNode(new Node("node", op, names, attributes ?? new Attributes()));
            for (int o = 0; o < outputs; o++) g.Outputs.Add(o == 0 ? "node" : $"node:{o}");
            var results = GraphPlan.Compile(g).Run([.. feeds]);
            try { return results.Select(Nd.Of).ToArray(); }
            finally { foreach (var r in results) r.Dispose(); }
        }
        finally
        {
            foreach (var t in tensors) t.Dispose();
        }
    }

    /// <summary>The error a node gives, which must name it.</summary>
    public static GraphException Fails(string op, Attributes? attributes, params In[] inputs)
    {
        var e = Assert.Throws<GraphException>(() => RunAll(op, attributes, 1, inputs));
        Assert.Contains("'node'", e.Message);
        return e;
    }

    /// <summary>Same shape and dtype; floats within a relative tolerance, integers and bools exact.</summary>
    public static void Same(Nd expected, Nd actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.DType, actual.DType);
        Assert.Equal(expected.Shape, actual.Shape);
        for (int i = 0; i < expected.Data.Length; i++)
        {
            double e = expected.Data[i], a = actual.Data[i];
            bool ok = expected.DType == DType.Float32
                ? double.IsNaN(e) ? double.IsNaN(a) : e == a || Math.Abs(e - a) <= tolerance * (1 + Math.Abs(e))
                : e == a;
            Assert.True(ok, $"element {i} of {expected}: expected {e}, got {a}");
        }
    }
}

/// <summary>Random shapes for the property tests.</summary>
internal static class Shapes
{
    public static int[] Random(Random rng, int minRank, int maxRank, int maxDim = 4, int minDim = 1) =>
        Enumerable.Range(0, rng.Next(minRank, maxRank + 1)).Select(_ => rng.Next(minDim, maxDim + 1)).ToArray();

    /// <summary>A shape that broadcasts with <paramref name="shape"/>: some leading dimensions dropped, some set to 1.</summary>
    public static int[] BroadcastPartner(Random rng, int[] shape)
    {
        int drop = rng.Next(shape.Length + 1);
        return shape.Skip(drop).Select(d => rng.Next(3) == 0 ? 1 : d).ToArray();
    }

    /// <summary>NumPy's broadcast shape of two shapes that broadcast.</summary>
    public static int[] Broadcast(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        return Enumerable.Range(0, rank).Select(i =>
        {
            int da = i - rank + a.Length < 0 ? 1 : a[i - rank + a.Length], db = i - rank + b.Length < 0 ? 1 : b[i - rank + b.Length];
            return Math.Max(da, db) == 0 || Math.Min(da, db) == 0 ? 0 : Math.Max(da, db);
        }).ToArray();
    }

    /// <summary>The element of <paramref name="x"/> that output index <paramref name="index"/> of a broadcast reads.</summary>
    public static double Read(Nd x, int[] index)
    {
        var at = new int[x.Rank];
        for (int d = 0; d < x.Rank; d++) at[d] = x.Shape[d] == 1 ? 0 : index[index.Length - x.Rank + d];
        return x[at];
    }
}
